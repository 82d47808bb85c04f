'use strict';
// live.test.js -- the whole event path with every real process: a POST to
// the API (lighttpd + FastCGI + PostgreSQL) is PUSHed over ZeroMQ to
// ws-daemon and arrives on the other users' WebSockets, direct and through
// lighttpd's /ws proxy; the tap sees it; a ws-daemon killed with -9 costs
// no request and, after a restart, /api/sync brings a client exactly up to
// date.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, sleep } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

async function directChat(a, b) {
  return (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
}
async function post(u, chatId, content) {
  const r = await api(S, 'POST', `/api/chats/${chatId}/messages`, { token: u.token, body: { content } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function open(u, opts) {
  const c = wsConnect(S, u.token, opts);
  await c.opened;
  const hello = await c.waitFor((m) => m.type === 'connected');
  assert.equal(hello.user_id, u.id);
  assert.equal(hello.username, u.username);
  return c;
}

test('new_message reaches the other member with unread 1 then 2, and the sender\'s other tab with 0', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const bws = await open(b);
  const bproxy = await open(b, { proxy: true });
  const aws = await open(a);
  const m1 = await post(a, chat.id, 'first');
  const e1 = await bws.waitFor((m) => m.type === 'new_message' && m.message.id === m1.id);
  assert.equal(e1.chat_id, chat.id);
  assert.equal(e1.unread_count, 1);
  assert.equal(e1.total_unread, 1);
  assert.equal(e1.message.content, 'first');
  assert.equal(e1.message.sender_username, a.username);
  assert.ok(Number.isInteger(e1.seq) && e1.seq > 0);
  const p1 = await bproxy.waitFor((m) => m.type === 'new_message' && m.message.id === m1.id);
  assert.equal(p1.unread_count, 1, 'the second tab (through lighttpd) gets it too');
  const own = await aws.waitFor((m) => m.type === 'new_message' && m.message.id === m1.id);
  assert.equal(own.unread_count, 0);
  const m2 = await post(a, chat.id, 'second');
  const e2 = await bws.waitFor((m) => m.type === 'new_message' && m.message.id === m2.id);
  assert.equal(e2.unread_count, 2);
  assert.equal(e2.total_unread, 2);
  assert.ok(e2.seq > e1.seq);

  // Reading in one tab: every tab of the reader gets unread_update 0, the
  // author gets a read receipt.
  const r = await api(S, 'POST', `/api/chats/${chat.id}/read`, { token: b.token });
  assert.equal(r.json.unread_count, 0);
  const u = await bproxy.waitFor((m) => m.type === 'unread_update' && m.chat_id === chat.id);
  assert.equal(u.unread_count, 0);
  assert.equal(u.total_unread, 0);
  const rr = await aws.waitFor((m) => m.type === 'read_receipt' && m.chat_id === chat.id);
  assert.equal(rr.user_id, b.id);
  assert.equal(rr.last_read_message_id, m2.id);

  // Edit and delete.
  await api(S, 'PATCH', `/api/messages/${m2.id}`, { token: a.token, body: { content: 'second, edited' } });
  const upd = await bws.waitFor((m) => m.type === 'message_updated' && m.message.id === m2.id);
  assert.equal(upd.message.content, 'second, edited');
  assert.ok(upd.message.edited_at);
  const m3 = await post(a, chat.id, 'third');
  await bws.waitFor((m) => m.type === 'new_message' && m.message.id === m3.id && m.unread_count === 1);
  await api(S, 'DELETE', `/api/messages/${m3.id}`, { token: a.token });
  const del = await bws.waitFor((m) => m.type === 'message_deleted' && m.message_id === m3.id);
  assert.equal(del.unread_count, 0, 'a deleted unread message no longer counts');
  assert.equal(del.total_unread, 0);

  // Typing goes to the others only.
  assert.equal((await api(S, 'POST', `/api/chats/${chat.id}/typing`, { token: a.token })).status, 204);
  const ty = await bws.waitFor((m) => m.type === 'typing');
  assert.deepEqual([ty.chat_id, ty.user_id, ty.username], [chat.id, a.id, a.username]);
  await sleep(200);
  assert.ok(!aws.frames.some((m) => m.type === 'typing'), 'the typist does not get their own typing event');
  for (const c of [aws, bws, bproxy]) await c.close();
});

test('chat_created reaches the invited user with their own view of the chat', async () => {
  const a = await newUser(S);
  const c = await newUser(S);
  const cws = await open(c);
  const chat = await directChat(a, c);
  const ev = await cws.waitFor((m) => m.type === 'chat_created');
  assert.equal(ev.chat.id, chat.id);
  assert.equal(ev.chat.title, a.username);
  const d = await newUser(S);
  const g = (await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'Crew', member_ids: [c.id, d.id] } })).json;
  const ge = await cws.waitFor((m) => m.type === 'chat_created' && m.chat.id === g.id);
  assert.equal(ge.chat.title, 'Crew');
  assert.equal(ge.chat.members.length, 3);
  await cws.close();
});

test('a non-member never receives a chat\'s events', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const outsider = await newUser(S);
  const chat = await directChat(a, b);
  const ows = await open(outsider);
  const bws = await open(b);
  const m = await post(a, chat.id, 'secret');
  await bws.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
  await sleep(200);
  assert.ok(!ows.frames.some((e) => e.type === 'new_message'), JSON.stringify(ows.frames));
  await ows.close();
  await bws.close();
});

test('the tap prints the event that was delivered', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const bws = await open(b);
  const tap = spawn(path.join(S.buildDir, 'bin', 'parley-tap'),
    ['--endpoint', S.tapEndpoint, '--type', 'new_message', '--user', String(b.id), '--count', '1', '--timeout', '10'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PARLEY_CONFIG: S.confPath } });
  let out = '';
  tap.stdout.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => tap.on('exit', resolve));
  await sleep(500);    // PUB/SUB: the subscription must reach the daemon first
  const m = await post(a, chat.id, 'tapped');
  const ev = await bws.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
  assert.equal(await exited, 0, out);
  const line = JSON.parse(out.trim().split('\n')[0]);
  assert.equal(line.type, 'new_message');
  assert.equal(line.event.message.id, m.id);
  assert.equal(line.event.seq, ev.seq);
  assert.ok(line.recipients.some((r) => r.user_id === b.id && r.unread_count === 1));
  assert.ok(!out.includes(S.jwtSecret), 'the tap never shows the secret');
  await bws.close();
});

test('ws-daemon killed with -9 while posting: no request fails, a reconnecting client syncs exactly', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const bws = await open(b);
  const cursor = (await api(S, 'GET', '/api/sync', { token: b.token })).json.seq;
  const posted = [];
  const slow = [];
  const poster = (async () => {
    for (let i = 0; i < 60; i++) {
      const t0 = Date.now();
      const r = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content: `m${i}` } });
      assert.equal(r.status, 201, `post ${i}: ${r.status} ${r.text}`);
      const ms = Date.now() - t0;
      if (ms > 500) slow.push(ms);
      posted.push(r.json.id);
      await sleep(10);
    }
  })();
  await sleep(150);
  await S.shAsync('wsd-kill 1');    // the daemon bws is on (the stack runs two)
  const closed = await bws.closed;
  assert.ok(closed.code === 1006 || closed.code >= 1000, `client saw close ${closed.code}`);
  await sleep(300);
  await S.shAsync('wsd-start');
  await poster;
  assert.deepEqual(slow, [], 'posting stayed fast while the daemon was away');
  // The client comes back and catches up from its last cursor.
  const again = await open(b);
  const got = new Map();
  for (const f of bws.frames) if (f.type === 'new_message') got.set(f.message.id, (got.get(f.message.id) || 0) + 1);
  const s = (await api(S, 'GET', `/api/sync?since=${cursor}`, { token: b.token })).json;
  assert.equal(s.reset, false);
  const fromSync = s.changes.filter((e) => e.type === 'new_message').map((e) => e.message.id);
  assert.equal(new Set(fromSync).size, fromSync.length, 'sync repeats nothing');
  const all = new Set([...got.keys(), ...fromSync]);
  const stored = (await api(S, 'GET', `/api/chats/${chat.id}/messages?limit=200`, { token: b.token })).json.messages.map((m) => m.id);
  assert.deepEqual([...all].sort((x, y) => x - y), stored.sort((x, y) => x - y));
  assert.deepEqual(stored.sort((x, y) => x - y), posted.sort((x, y) => x - y));
  assert.equal(s.chats.find((c) => c.id === chat.id).unread_count, 60);
  // And live delivery works again after the restart.
  const m = await post(a, chat.id, 'after restart');
  const e = await again.waitFor((f) => f.type === 'new_message' && f.message.id === m.id);
  assert.equal(e.unread_count, 61);
  await again.close();
});

test('bad tokens get close code 4001 through both the direct port and lighttpd', async () => {
  for (const proxy of [false, true]) {
    for (const token of [undefined, 'garbage', 'a.b.c']) {
      const c = wsConnect(S, token, { proxy });
      const closed = await c.closed;
      assert.equal(closed.code, 4001, `proxy=${proxy} token=${token}: ${closed.code}`);
      assert.ok(closed.reason.length > 0);
    }
  }
});
