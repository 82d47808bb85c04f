'use strict';
// ws.test.js -- ws-daemon on its own, over real sockets: auth and close
// codes, fan-out to every tab, per-recipient unread fields, ping/pong and bad
// frames, the per-user cap, slow-consumer culling with bounded memory,
// /metrics, the tap (and that a stopped tap cannot slow delivery), the
// Origin allow-list, server pings, lighttpd's mod_proxy in front, idle
// memory per connection, and a clean SIGTERM (no sanitizer reports).
//
//   node --test tests/integration/ws.test.js    (PARLEY_BUILD=build-san for ASan)
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {
  BUILD, sleep, freePort, waitPort, signToken, envelope, connect, startDaemon,
  sanitizerReport,
} = require('../tools/wsd-harness');

const SANITIZED = /san/.test(path.basename(BUILD)) || !!process.env.PARLEY_SANITIZED;
const QUEUE_MAX = 131072;
let d;       // the daemon most tests share
let uid = 100;
const nextUser = () => ++uid;

test.before(async () => {
  d = await startDaemon({ ws_ping_secs: 1, ws_max_conns_per_user: 3, ws_queue_max: QUEUE_MAX,
    // Every test client is 127.0.0.1; the idle test alone opens 1,000.
    ws_max_conns_per_addr: 5000 });
});

test.after(async () => {
  if (d && d.proc.exitCode === null) await d.stop();
  if (d && process.env.PARLEY_WSD_LOG) fs.writeFileSync(process.env.PARLEY_WSD_LOG, d.log);
});

// Pushes probe envelopes until `tap` prints one: a subscriber misses what is
// published before its subscription reaches the daemon (ZeroMQ slow joiner).
async function tapReady(tap) {
  const probe = envelope('probe', 0, {}, []);
  for (let i = 0; i < 50; i++) {
    await d.push([probe]);
    try {
      await tap.waitLine((l) => l.includes('"probe"'), 150);
      return;
    } catch (e) { /* not subscribed yet */ }
  }
  throw new Error('tap never saw a probe: ' + tap.stderr);
}

test('good token: first frame is connected with user_id and username', async () => {
  const id = nextUser();
  const c = connect(d.wsUrl(d.token(id, 'alice_1')));
  const first = await c.next();
  assert.deepEqual(first, { type: 'connected', user_id: id, username: 'alice_1' });
  await c.close();
});

test('missing, garbage, tampered, expired, wrong-key and alg:none tokens close with 4001', async () => {
  const before = (await d.metrics()).m.parley_ws_auth_failures_total;
  const good = d.token(nextUser(), 'bob_2');
  const [h, p, s] = good.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 1 })).toString('base64url');
  const cases = {
    missing: undefined,
    empty: '',
    garbage: 'not-a-jwt',
    tampered: `${h}.${forged}.${s}`,
    'bad signature': `${h}.${p}.${s.slice(0, -4)}AAAA`,
    expired: d.token(nextUser(), 'carol', { exp: Math.floor(Date.now() / 1000) - 5 }),
    'wrong key': signToken('another-secret-another-secret-xx', claims),
    'alg none': signToken('', claims, { alg: 'none', typ: 'JWT' }),
  };
  for (const [name, tok] of Object.entries(cases)) {
    const c = connect(d.wsUrl(tok));
    const closed = await c.closed;
    assert.equal(closed.code, 4001, `${name}: close code`);
    assert.ok(closed.reason.length > 0, `${name}: a reason is given`);
    assert.equal(c.frames.length, 0, `${name}: no frame before the close`);
  }
  const after = (await d.metrics()).m.parley_ws_auth_failures_total;
  assert.equal(after - before, Object.keys(cases).length, 'auth failures counted');
  assert.ok(!/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]{20}/.test(d.log),
    'the log never shows a whole token');
});

test('every tab of a recipient gets the event; unread fields are per recipient', async () => {
  const u2 = nextUser(), u3 = nextUser(), u4 = nextUser();
  const a1 = await d.user(u2), a2 = await d.user(u2), b = await d.user(u3), c = await d.user(u4);
  const message = { id: 9, chat_id: 5, sender_id: u3, content: 'hi "there" \u00e9' };
  await d.push([envelope('new_message', 41, { chat_id: 5, message }, [
    { user_id: u2, unread_count: 1, total_unread: 4 },
    { user_id: u3 },
  ])]);
  const want2 = { type: 'new_message', seq: 41, chat_id: 5, message, unread_count: 1, total_unread: 4 };
  assert.deepEqual(await a1.next(), want2, 'tab 1 of the recipient, with its unread counts');
  assert.deepEqual(await a2.next(), want2, 'tab 2 of the recipient, same frame');
  assert.deepEqual(await b.next(), { type: 'new_message', seq: 41, chat_id: 5, message },
    'recipient without unread fields gets the bare event');

  // Two recipients with different counts get different frames.
  await d.push([envelope('message_deleted', 42, { chat_id: 5, message_id: 9 }, [
    { user_id: u2, unread_count: 0, total_unread: 3 },
    { user_id: u3, unread_count: 7, total_unread: 8 },
  ])]);
  assert.equal((await a1.next()).unread_count, 0);
  assert.equal((await a2.next()).total_unread, 3);
  const gotB = await b.next();
  assert.equal(gotB.unread_count, 7);
  assert.equal(gotB.total_unread, 8);

  // A non-recipient got nothing: its first frame is the event meant for it.
  await d.push([envelope('typing', 0, { chat_id: 6, user_id: u2, username: 'x' }, [{ user_id: u4 }])]);
  assert.equal((await c.next()).type, 'typing');
  assert.equal(c.frames.length, 0);
  for (const x of [a1, a2, b, c]) await x.close();
});

test('ping gets pong; bad frames get a bad_frame error and the socket stays usable', async () => {
  const c = await d.user(nextUser());
  c.ws.send('{"type":"ping"}');
  assert.deepEqual(await c.next(), { type: 'pong' });
  const bad = ['not json', '{"type":"dance"}', '[1,2]', '{"type":7}', '{"type":"ping"} trailing'];
  for (const f of bad) {
    c.ws.send(f);
    const e = await c.next();
    assert.equal(e.type, 'error', `error for ${f}`);
    assert.equal(e.error.code, 'bad_frame');
    assert.equal(typeof e.error.message, 'string');
  }
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  assert.equal((await c.next()).error.code, 'bad_frame', 'binary frame refused');
  // A 3000-byte ping spans several 1 KiB rx chunks and must reassemble.
  c.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(3000) }));
  assert.deepEqual(await c.next(), { type: 'pong' }, 'reassembled large frame');
  // ... as must a message split into WebSocket fragments.
  c.ws.send('{"type":', { fin: false });
  c.ws.send('"ping"}', { fin: true });
  assert.deepEqual(await c.next(), { type: 'pong' }, 'fragmented message');
  c.ws.send('{"type":"ping"}');
  assert.deepEqual(await c.next(), { type: 'pong' }, 'still usable');
  await c.close();
});

test('a client message over 4 KiB is closed with 1009', async () => {
  const c = await d.user(nextUser());
  c.ws.send(JSON.stringify({ type: 'ping', pad: 'y'.repeat(5000) }));
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
});

test('the per-user connection cap closes the extra connection with 4008', async () => {
  const id = nextUser();
  const tabs = [await d.user(id), await d.user(id), await d.user(id)];
  const extra = connect(d.wsUrl(d.token(id, 'capped')));
  const closed = await extra.closed;
  assert.equal(closed.code, 4008);
  assert.match(closed.reason, /too many/);
  // A tab leaving makes room again.
  await tabs[0].close();
  await sleep(50);
  const again = await d.user(id);
  assert.equal(again.hello.user_id, id);
  for (const t of [again, tabs[1], tabs[2]]) await t.close();
});

test('a reader that stalls is closed with 1008 and daemon memory stays bounded', async () => {
  const id = nextUser();
  const slow = await d.user(id);
  const fast = await d.user(nextUser());
  const m0 = (await d.metrics()).m;
  const rss0 = d.rss();
  slow.ws._socket.pause();   // stop reading: kernel buffers, then our queue fill

  const big = 'z'.repeat(60000);
  const N = 600;             // 36 MB offered to one socket
  const flood = [];
  for (let i = 0; i < N; i++)
    flood.push(envelope('new_message', 1000 + i, { chat_id: 1, message: { id: i, content: big } }, [{ user_id: id }]));
  await d.push(flood);

  // Wait until the daemon has taken in the whole flood: 36 MB through
  // memcheck can take well over the 5 s it takes elsewhere.
  let m;
  const until = Date.now() + (SANITIZED ? 60000 : 10000);
  for (;;) {
    m = (await d.metrics()).m;
    if (m.parley_events_in_total >= m0.parley_events_in_total + N || Date.now() > until) break;
    await sleep(25);
  }
  assert.equal(m.parley_events_in_total, m0.parley_events_in_total + N, 'flood taken in');
  assert.equal(m.parley_ws_slow_closes_total, m0.parley_ws_slow_closes_total + 1, 'slow close counted');
  assert.ok(m.parley_frames_dropped_total > m0.parley_frames_dropped_total, 'dropped frames counted');
  assert.ok(m.parley_ws_queue_bytes <= QUEUE_MAX, `queue bytes ${m.parley_ws_queue_bytes} within the cap`);
  const grew = d.rss() - rss0;
  console.log(`# RSS grew ${(grew / 1048576).toFixed(1)} MiB while 36 MB were offered to a stalled reader`);
  // ASan keeps freed memory in quarantine, so RSS says nothing there.
  if (!SANITIZED) assert.ok(grew < 16 * 1048576, `RSS grew ${grew} bytes`);

  slow.ws._socket.resume();  // now it reads what the kernel held, then the close
  const closed = await slow.closed;
  assert.equal(closed.code, 1008);
  assert.equal(closed.reason, 'slow consumer');
  assert.ok(slow.frames.length < N, `slow reader got ${slow.frames.length} of ${N}`);
  // The first frames were written at once, the one the kernel refused in
  // part was held by lws, the next ones queued: what arrived is a prefix of
  // the flood, in order, with nothing skipped or repeated.
  const ids = slow.frames.filter((f) => f && f.type === 'new_message').map((f) => f.message.id);
  assert.ok(ids.length > 0, 'some frames arrived before the close');
  assert.deepEqual(ids, ids.map((_, i) => i), 'frames in order, none skipped or repeated');

  // Other connections were not affected.
  await d.push([envelope('typing', 0, { chat_id: 1 }, [{ user_id: fast.hello.user_id }])]);
  assert.equal((await fast.next()).type, 'typing');
  await fast.close();
});

test('a reader that never reads again is closed 1008 and dropped without waiting for it', async () => {
  const id = nextUser();
  const dead = await d.user(id);
  const m0 = (await d.metrics()).m;
  dead.ws._socket.pause();
  // Trickle 30 KB events so the socket buffers fill before our queue does
  // (the other slow-reader test overflows the queue in one burst).  The
  // reader never resumes: the daemon must free the connection on its own
  // (the close frame, or a kill timeout if even that cannot be written).
  const pusher = d.pusher();
  const big = 'd'.repeat(30000);
  let m = m0, sent = 0;
  while (m.parley_ws_slow_closes_total === m0.parley_ws_slow_closes_total && sent < 2000) {
    const batch = [];
    for (let i = 0; i < 4; i++)
      batch.push(envelope('new_message', ++sent, { chat_id: 1, message: { content: big } }, [{ user_id: id }]));
    await pusher.write(batch);
    await sleep(3);
    if (sent % 40 === 0) m = (await d.metrics()).m;
  }
  await pusher.end();
  assert.ok(m.parley_ws_slow_closes_total > m0.parley_ws_slow_closes_total, 'slow close decided');
  console.log(`# slow close after ${(sent * 30000 / 1048576).toFixed(1)} MB were offered`);
  const t0 = Date.now();
  for (;;) {
    m = (await d.metrics()).m;
    if (m.parley_ws_connections < m0.parley_ws_connections) break;
    assert.ok(Date.now() - t0 < 9000, 'the jammed connection is gone within 9 s');
    await sleep(100);
  }
  console.log(`# jammed connection dropped ${Date.now() - t0} ms after the slow close`);
  assert.match(d.log, new RegExp(`user ${id} disconnected \\(code 1008`));
  dead.ws.terminate();
  // Let the daemon take in everything this test offered before the next
  // test counts events (under valgrind the backlog drains for seconds).
  const t1 = Date.now();
  while ((await d.metrics()).m.parley_events_in_total < m0.parley_events_in_total + sent) {
    assert.ok(Date.now() - t1 < 30000, `all ${sent} offered events taken in within 30 s`);
    await sleep(100);
  }
});

test('GET /metrics is Prometheus text; other paths are 404', async () => {
  const c = await d.user(nextUser());
  const r = await d.metrics();
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/plain/);
  for (const name of ['parley_ws_connections', 'parley_ws_users', 'parley_events_in_total',
    'parley_events_bad_total', 'parley_frames_out_total', 'parley_frames_dropped_total',
    'parley_ws_queue_bytes', 'parley_ws_slow_closes_total', 'parley_ws_auth_failures_total']) {
    assert.ok(name in r.m, `${name} present`);
    assert.match(r.text, new RegExp(`# TYPE ${name} (counter|gauge)`));
  }
  assert.ok(r.m.parley_ws_connections >= 1);
  const before = r.m;
  await d.push([envelope('typing', 0, { chat_id: 1 }, [{ user_id: c.hello.user_id }])]);
  await c.next((x) => x.type === 'typing');
  const after = (await d.metrics()).m;
  assert.equal(after.parley_events_in_total, before.parley_events_in_total + 1);
  assert.ok(after.parley_frames_out_total >= before.parley_frames_out_total + 1);
  for (const p of ['/', '/nope', '/metrics/x', '/ws']) {
    const res = await fetch(`http://127.0.0.1:${d.ports.ws}${p}`);
    await res.text();
    assert.equal(res.status, 404, `${p} is 404`);
  }
  await c.close();
});

test('bad envelopes are dropped, counted and logged; delivery goes on', async () => {
  const c = await d.user(nextUser());
  const before = (await d.metrics()).m.parley_events_bad_total;
  await d.push([
    'not json',
    '{"v":2,"type":"x","seq":1,"event":{"type":"x"},"recipients":[]}',
    '{"v":1,"type":"x","seq":1,"event":{"type":"x"},"recipients":[{"user_id":"7"}]}',
    '{"v":1,"type":"x","seq":1,"event":[],"recipients":[]}',
    envelope('typing', 0, { chat_id: 2 }, [{ user_id: c.hello.user_id }]),
  ]);
  assert.equal((await c.next()).chat_id, 2, 'the good envelope after the bad ones arrives');
  assert.equal((await d.metrics()).m.parley_events_bad_total, before + 4);
  assert.match(d.log, /warn .*bad event envelope/);
  await c.close();
});

test('the tap prints each envelope as received, connect/disconnect notes, and filters', async () => {
  const tap = d.tap();
  await tapReady(tap);
  const id = nextUser();
  const c = await d.user(id);
  const note = JSON.parse(await tap.waitLine((l) => l.includes('"ws_connect"') && l.includes(`"user_id":${id}`)));
  assert.deepEqual(note, { type: 'ws_connect', user_id: id, connections: 1 });

  const env = envelope('new_message', 77, { chat_id: 3, message: { id: 1, content: 'tap me' } },
    [{ user_id: id, unread_count: 2, total_unread: 2 }]);
  const raw = JSON.stringify(env);
  await d.push([raw]);
  await c.next((m) => m.type === 'new_message');
  assert.equal(await tap.waitLine((l) => l.includes('"seq":77')), raw, 'exactly as it travelled');
  await d.push(['{broken']);
  const bad = JSON.parse(await tap.waitLine((l) => l.includes('bad_envelope')));
  assert.equal(bad.bytes, 7);

  await c.close();
  const bye = JSON.parse(await tap.waitLine((l) => l.includes('"ws_disconnect"') && l.includes(`"user_id":${id}`)));
  assert.equal(bye.code, 1000);
  const st = await tap.stop();
  assert.equal(st.code, 0, 'tap exits 0 on SIGINT');
  assert.equal(sanitizerReport(tap.stderr), '');

  // --type and --user filters with --count: non-matching envelopes go first,
  // so a broken filter would print one of them.
  const ft = d.tap(['--type', 'new_message', '--user', String(id), '--count', '1', '--timeout', '10']);
  const other = envelope('typing', 0, { chat_id: 3 }, [{ user_id: id }]);
  const otherUser = envelope('new_message', 78, { chat_id: 3 }, [{ user_id: id + 1000 }]);
  const match = envelope('new_message', 79, { chat_id: 3 }, [{ user_id: id + 1 }, { user_id: id }]);
  let done = false;
  ft.exited.then(() => { done = true; });
  for (let i = 0; i < 60 && !done; i++) {
    await d.push([other, otherUser, match]);
    await sleep(100);
  }
  const ex = await ft.exited;
  assert.equal(ex.code, 0, 'tap --count 1 exits 0');
  assert.equal(ft.lines.length, 1);
  assert.equal(JSON.parse(ft.lines[0]).seq, 79);
  assert.equal(sanitizerReport(ft.stderr), '');
});

test('a stopped tap does not slow or block delivery', async () => {
  const tap = d.tap();
  await tapReady(tap);
  const c = await d.user(nextUser());
  const rss0 = d.rss();
  tap.proc.kill('SIGSTOP');
  try {
    // 24 MB of envelopes for an offline user: they reach only the tap, far
    // more than its socket buffers and high-water mark can hold.
    const big = 'q'.repeat(60000);
    const flood = [];
    for (let i = 0; i < 400; i++)
      flood.push(envelope('new_message', i + 1, { chat_id: 4, message: { content: big } }, [{ user_id: 999999 }]));
    const t0 = Date.now();
    await d.push(flood);
    const N = 50;
    const envs = [];
    for (let i = 0; i < N; i++)
      envs.push(envelope('typing', 5000 + i, { chat_id: 4 }, [{ user_id: c.hello.user_id }]));
    await d.push(envs);
    const last = await c.next((m) => m.seq === 5000 + N - 1, 5000);
    assert.equal(last.chat_id, 4);
    assert.equal(c.frames.length, N - 1, 'every event delivered while the tap was stopped');
    const grew = d.rss() - rss0;
    console.log(`# 24 MB to a stopped tap + ${N} deliveries in ${Date.now() - t0} ms; RSS grew ${(grew / 1048576).toFixed(1)} MiB`);
    if (!SANITIZED) assert.ok(grew < 40 * 1048576, `RSS grew ${grew} bytes`);
  } finally {
    const st = await tap.stop();
    await c.close();
    assert.equal(sanitizerReport(tap.stderr), '');
    assert.equal(st.code, 0);
  }
});

test('the daemon pings quiet connections (keepalive)', async () => {
  const c = await d.user(nextUser());
  const t0 = Date.now();
  while (c.pings === 0 && Date.now() - t0 < 4000) await sleep(50);
  assert.ok(c.pings > 0, 'received a server ping within 4 s (ws_ping_secs=1)');
  await c.close();
});

test('Origin allow-list: listed or absent origins upgrade, others get 403', async () => {
  const o = await startDaemon({ ws_origins: 'http://good.example, http://127.0.0.1:8080' });
  try {
    const tok = o.token(5, 'orig_user');
    const good = connect(o.wsUrl(tok), { origin: 'http://good.example' });
    assert.equal((await good.next()).type, 'connected');
    const none = connect(o.wsUrl(tok));
    assert.equal((await none.next()).type, 'connected', 'no Origin header: allowed');
    const evil = connect(o.wsUrl(tok), { origin: 'http://evil.example' });
    const closed = await evil.closed;
    assert.equal(closed.httpStatus, 403);
    await good.close();
    await none.close();
  } finally {
    const r = await o.stop();
    assert.equal(r.code, 0);
    assert.equal(sanitizerReport(o.log), '');
  }
});

test('through lighttpd mod_proxy: connected, events, and 4001 as a real close', async (t) => {
  const lighttpd = ['/usr/sbin/lighttpd', '/usr/bin/lighttpd'].find((p) => fs.existsSync(p));
  if (!lighttpd) { t.skip('lighttpd not installed'); return; }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(d.dir, 'lighttpd-'));
  fs.writeFileSync(path.join(dir, 'lighttpd.conf'), [
    `server.document-root = "${dir}"`,
    'server.bind = "127.0.0.1"',
    `server.port = ${port}`,
    `server.errorlog = "${dir}/error.log"`,
    'server.modules = ( "mod_proxy" )',
    `proxy.server = ( "/ws" => (( "host" => "127.0.0.1", "port" => ${d.ports.ws} )) )`,
    'proxy.header = ( "upgrade" => "enable" )',
    '',
  ].join('\n'));
  const lt = spawn(lighttpd, ['-D', '-f', path.join(dir, 'lighttpd.conf')], { stdio: 'ignore' });
  try {
    await waitPort(port, lt, 'lighttpd');
    const url = `ws://127.0.0.1:${port}/ws`;
    const id = nextUser();
    const c = connect(`${url}?token=${encodeURIComponent(d.token(id, 'proxied'))}`);
    assert.deepEqual(await c.next(), { type: 'connected', user_id: id, username: 'proxied' });
    await d.push([envelope('typing', 0, { chat_id: 8 }, [{ user_id: id }])]);
    assert.equal((await c.next()).chat_id, 8);
    c.ws.send('{"type":"ping"}');
    assert.deepEqual(await c.next(), { type: 'pong' });
    await c.close();
    for (const tok of [undefined, 'garbage']) {
      const bad = connect(tok === undefined ? url : `${url}?token=${tok}`);
      const closed = await bad.closed;
      assert.equal(closed.code, 4001, `4001 through the proxy (${tok})`);
    }
  } finally {
    lt.kill('SIGTERM');
    await new Promise((r) => (lt.exitCode !== null ? r() : lt.on('exit', r)));
  }
});

test('idle authenticated connections cost little memory', async () => {
  const N = 1000;
  const rss0 = d.rss();
  const conns = [];
  for (let i = 0; i < N; i += 100) {
    const batch = [];
    for (let j = 0; j < 100; j++) {
      const id = 50000 + i + j;
      const c = connect(d.wsUrl(d.token(id, `idle${id}`)));
      batch.push(c.next((m) => m.type === 'connected', 10000).then(() => c));
    }
    conns.push(...(await Promise.all(batch)));
  }
  await sleep(200);
  const per = (d.rss() - rss0) / N;
  const m = (await d.metrics()).m;
  assert.ok(m.parley_ws_connections >= N);
  console.log(`# ${N} idle connections: ${(per / 1024).toFixed(2)} KiB RSS each${SANITIZED ? ' (sanitizer build)' : ''}`);
  if (!SANITIZED) assert.ok(per < 4096, `RSS per idle connection ${per.toFixed(0)} bytes`);
  await Promise.all(conns.map((c) => c.close()));
});

test('SIGTERM: clean shutdown with connections open, no sanitizer reports', async () => {
  const c = await d.user(nextUser());
  const r = await d.stop();
  assert.equal(r.code, 0, `exit status (signal ${r.sig})`);
  assert.match(d.log, /shutting down/);
  assert.equal(sanitizerReport(d.log), '', 'sanitizer output');
  const closed = await c.closed;
  assert.ok(closed.code > 0);
});
