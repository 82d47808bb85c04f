'use strict';
// bus.test.js -- the event bus with two ws-daemons behind one forwarder (the
// suite's stack runs two): users on different daemons each get their
// events with their own unread counts; lighttpd spreads /ws over both; a
// peer whose CURVE key is not allowed can neither publish nor listen; the
// forwarder killed with -9 and restarted costs nothing a client can't
// recover exactly: every daemon tells its clients to resync, and live
// frames plus /api/sync hold every stored message once.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, sleep } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

async function post(u, chatId, content) {
  const r = await api(S, 'POST', `/api/chats/${chatId}/messages`, { token: u.token, body: { content } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
// Opens a WebSocket straight to daemon i (0 or 1).
async function openOn(i, u) {
  const c = wsConnect({ wsUrl: S.wsUrls[i] }, u.token);
  await c.opened;
  await c.waitFor((m) => m.type === 'connected');
  return c;
}
async function daemonConns(i) {
  const r = await fetch(S.wsUrls[i].replace('ws://', 'http://').replace('/ws', '/metrics'));
  return Number(/^parley_ws_connections (\d+)/m.exec(await r.text())[1]);
}
// A parley-tap with the given config file and extra args.
function tap(conf, args) {
  const p = spawn(path.join(S.buildDir, 'bin', 'parley-tap'), args,
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PARLEY_CONFIG: conf } });
  const r = { out: '', err: '' };
  p.stdout.on('data', (d) => { r.out += d; });
  p.stderr.on('data', (d) => { r.err += d; });
  r.exited = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
  r.proc = p;
  return r;
}
// The stack's config with this host's CURVE key pair replaced by a fresh
// one the forwarder has never heard of.
function strangerConf() {
  const keys = execFileSync(path.join(S.buildDir, 'bin', 'parley-forwarder'), ['--keygen'], { encoding: 'utf8' });
  const pub = /^public = (.*)$/m.exec(keys)[1];
  const sec = /^secret = (.*)$/m.exec(keys)[1];
  const text = fs.readFileSync(S.confPath, 'utf8')
    .replace(/^zmq_curve_public = .*$/m, `zmq_curve_public = ${pub}`)
    .replace(/^zmq_curve_secret = .*$/m, `zmq_curve_secret = ${sec}`);
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-stranger-')), 'parley.conf');
  fs.writeFileSync(f, text, { mode: 0o600 });
  return f;
}

test('users on different daemons each get a group message live, with their own unread counts', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const g = await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'spread', member_ids: [b.id, c.id] } });
  assert.equal(g.status, 201, g.text);
  await post(a, g.json.id, 'first');
  const bws = await openOn(0, b);      // b on daemon 1
  const cws = await openOn(1, c);      // c on daemon 2
  const m = await post(a, g.json.id, 'second');
  const eb = await bws.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
  const ec = await cws.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
  assert.equal(eb.unread_count, 2);
  assert.equal(ec.unread_count, 2);
  assert.equal(eb.message.content, 'second');
  // c reads; only c's counts change, on c's daemon.
  const r = await api(S, 'POST', `/api/chats/${g.json.id}/read`, { token: c.token, body: { message_id: m.id } });
  assert.ok(r.status === 200 || r.status === 204, r.text);
  const m3 = await post(a, g.json.id, 'third');
  assert.equal((await bws.waitFor((e) => e.type === 'new_message' && e.message.id === m3.id)).unread_count, 3);
  assert.equal((await cws.waitFor((e) => e.type === 'new_message' && e.message.id === m3.id)).unread_count, 1);
  assert.equal(bws.frames.filter((e) => e.type === 'new_message' && e.message.id === m.id).length, 1, 'once');
  await bws.close();
  await cws.close();
});

test('lighttpd spreads /ws over both daemons', async () => {
  const u = await newUser(S);
  const before = [await daemonConns(0), await daemonConns(1)];
  const socks = [];
  for (let i = 0; i < 8; i++) {
    const s = wsConnect(S, u.token, { proxy: true });
    await s.opened;
    await s.waitFor((m) => m.type === 'connected');
    socks.push(s);
  }
  const after = [await daemonConns(0), await daemonConns(1)];
  const added = [after[0] - before[0], after[1] - before[1]];
  assert.equal(added[0] + added[1], 8, JSON.stringify({ before, after }));
  assert.ok(added[0] >= 2 && added[1] >= 2, `both daemons hold some: ${added}`);
  // Every one of them gets the user's events.
  const a = await newUser(S);
  const chat = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: u.id } })).json;
  const m = await post(a, chat.id, 'to every tab');
  for (const s of socks) await s.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
  for (const s of socks) await s.close();
});

test('the bus sockets are ipc:// in a folder only the group can enter', () => {
  for (const key of ['zmq_events', 'zmq_fanout', 'zmq_tap']) assert.match(S.conf(key), /^ipc:\/\//);
  const dir = path.dirname(S.conf('zmq_fanout').slice('ipc://'.length));
  assert.equal(fs.statSync(dir).mode & 0o777, 0o750);
  assert.equal(fs.statSync(S.confPath).mode & 0o077, 0, 'parley.conf (keys inside) is private');
});

test('a peer without an allowed CURVE key gets nothing and sends nothing', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
  const bws = await openOn(1, b);
  const stranger = strangerConf();
  const spy = tap(stranger, ['--endpoint', S.tapEndpoint, '--timeout', '6']);
  const friend = tap(S.confPath, ['--endpoint', S.tapEndpoint, '--type', 'new_message', '--user', String(b.id), '--count', '1', '--timeout', '20']);
  let friendDone = false;
  friend.exited.then(() => { friendDone = true; });
  // A subscription is in place only after its CURVE handshake, which takes
  // longer on a loaded machine (a SUB misses what is published before):
  // post until the allowed tap has seen one, while the stranger listens too.
  await sleep(300);
  for (let i = 0; i < 30 && !friendDone; i++) {
    const m = await post(a, chat.id, `secret plans ${i}`);
    await bws.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
    await sleep(300);
  }
  assert.equal(await friend.exited, 0, 'an allowed tap sees it: ' + friend.err);
  // A forged event "from" a, pushed with the stranger's key.
  const forged = JSON.stringify({ v: 1, type: 'new_message', seq: 1,
    event: { type: 'new_message', seq: 1, chat_id: chat.id, message: { id: 999999999, chat_id: chat.id, content: 'forged', sender_id: a.id } },
    recipients: [{ user_id: b.id, unread_count: 1, total_unread: 1 }] });
  const inject = tap(stranger, ['--send', '-', '--endpoint', S.conf('zmq_events')]);
  inject.proc.stdin.end(forged + '\n');
  await inject.exited;
  await spy.exited;
  assert.equal(spy.out, '', 'the stranger saw nothing on the tap');
  await sleep(500);
  assert.ok(!bws.frames.some((e) => e.type === 'new_message' && e.message.id === 999999999), 'forged event not delivered');
  // The refusal is logged by the forwarder's ZAP thread: wait for it (a
  // single read failed once in .ci/run), and say what the taps said if not.
  const refused = /refused a CURVE peer .*key not in the allow-list/;
  let log = '';
  for (let i = 0; i < 50 && !refused.test(log); i++) {
    if (i) await sleep(100);
    log = fs.readFileSync(path.join(S.varDir, 'log', 'forwarder.log'), 'utf8');
  }
  assert.match(log, refused, `forwarder log:\n${log.slice(-1500)}\nspy (exit ${await spy.exited}): ${spy.err}\ninject (exit ${await inject.exited}): ${inject.err}`);
  // The same envelope with the host's own key is delivered: the refusal was the key.
  const ok = tap(S.confPath, ['--send', '-', '--endpoint', S.conf('zmq_events')]);
  ok.proc.stdin.end(forged + '\n');
  assert.equal(await ok.exited, 0, ok.err);
  await bws.waitFor((e) => e.type === 'new_message' && e.message.id === 999999999);
  await bws.close();
  fs.rmSync(path.dirname(stranger), { recursive: true, force: true });
});

test('forwarder killed with -9 while posting: every daemon says resync, nothing is lost or doubled', async (t) => {
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const g = (await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'kill', member_ids: [b.id, c.id] } })).json;
  const readers = [{ u: b, ws: await openOn(0, b) }, { u: c, ws: await openOn(1, c) }];
  t.after(() => { for (const r of readers) r.ws.close(); });
  for (const r of readers) r.cursor = (await api(S, 'GET', '/api/sync', { token: r.u.token })).json.seq;
  const posted = [];
  const poster = (async () => {
    for (let i = 0; i < 40; i++) {
      posted.push((await post(a, g.id, `k${i}`)).id);
      await sleep(15);
    }
  })();
  await sleep(150);
  S.sh('fwd-kill');
  await sleep(400);
  S.sh('fwd-start');
  await poster;
  // Either reason is right: the daemon noticed the reconnect, or first a
  // gap in the worker's sequence (envelopes the dead forwarder held).
  for (const r of readers) {
    const rs = await r.ws.waitFor((e) => e.type === 'resync', 8000);
    assert.ok(['bus_reconnect', 'gap'].includes(rs.reason), `resync reason ${rs.reason}`);
  }
  await sleep(300);
  const stored = (await api(S, 'GET', `/api/chats/${g.id}/messages?limit=200`, { token: b.token })).json.messages.map((m) => m.id).sort((x, y) => x - y);
  assert.deepEqual(stored, posted.slice().sort((x, y) => x - y), 'every post stored');
  for (const r of readers) {
    const live = r.ws.frames.filter((e) => e.type === 'new_message').map((e) => e.message.id);
    assert.equal(new Set(live).size, live.length, 'no live frame twice');
    const s = (await api(S, 'GET', `/api/sync?since=${r.cursor}`, { token: r.u.token })).json;
    assert.equal(s.reset, false);
    const synced = s.changes.filter((e) => e.type === 'new_message').map((e) => e.message.id);
    const all = [...new Set([...live, ...synced])].sort((x, y) => x - y);
    assert.deepEqual(all, stored, `${r.u.username}: live + sync = stored`);
    assert.equal(s.chats.find((x) => x.id === g.id).unread_count, 40);
    console.log(`# reader ${r.u.username}: posted ${posted.length}, stored ${stored.length}, live ${live.length}, lost 0, duplicated 0`);
  }
  // Live again after the restart, on both daemons.
  const m = await post(a, g.id, 'after');
  for (const r of readers) await r.ws.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
});
