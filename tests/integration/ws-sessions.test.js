'use strict';
// ws-sessions.test.js -- ws-daemon on its own: session_revoked envelopes
// close exactly the sockets they name (one session, or all but one) with
// 4001 after delivering the event; the cap on connections per client
// address answers 429 with Retry-After at the upgrade and frees places as
// sockets close; X-Forwarded-For counts only from the local proxy.
const test = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { sleep, connect, startDaemon, envelope } = require('../tools/wsd-harness');
const { randomLoopback } = require('../lib/client');

let d;
test.before(async () => { d = await startDaemon({ ws_max_conns_per_addr: 3 }); });
test.after(async () => { if (d && d.proc.exitCode === null) await d.stop(); });

// A user's socket, from its own loopback address unless opts says (the
// daemon here caps each address at 3).
async function userSocket(sub, sid, opts = {}) {
  const extra = sid ? { sid } : {};
  const c = connect(d.wsUrl(d.token(String(sub), `user${sub}`, extra)), { localAddress: randomLoopback(), ...opts });
  const hello = await c.next((m) => m.type === 'connected');
  assert.equal(hello.user_id, sub);
  return c;
}
const revoked = (sub, fields) => envelope('session_revoked', 0,
  { type: 'session_revoked', seq: 0, reason: 'logout', ...fields }, [{ user_id: sub }]);
const within = (p, ms) => Promise.race([p, sleep(ms).then(() => null)]);

test('session_revoked for one session closes only its sockets, after delivering the event', async () => {
  const a1 = await userSocket(501, 11);
  const a2 = await userSocket(501, 11);
  const b = await userSocket(501, 12);
  await d.push([revoked(501, { session_id: 11, all: false, except_session_id: null })]);
  for (const c of [a1, a2]) {
    const closed = await within(c.closed, 1000);
    assert.ok(closed, 'socket of the revoked session still open');
    assert.equal(closed.code, 4001);
  }
  assert.ok(a1.frames.some((m) => m.type === 'session_revoked' && m.session_id === 11), JSON.stringify(a1.frames));
  // The ended session's token cannot open a new socket here either.
  const again = connect(d.wsUrl(d.token('501', 'user501', { sid: 11 })), { localAddress: randomLoopback() });
  const refused = await within(again.closed, 2000);
  assert.equal(refused && refused.code, 4001);
  assert.equal(refused.reason, 'session ended');
  await sleep(100);
  assert.equal(b.ws.readyState, WebSocket.OPEN, 'another session of the same user stays');
  b.ws.send(JSON.stringify({ type: 'ping' }));
  assert.equal((await b.next((m) => m.type === 'pong')).type, 'pong');
  await b.close();
});

test('session_revoked with all:true closes every socket of the user except the kept session (and tokens without sid)', async () => {
  const keep = await userSocket(502, 21);
  const other = await userSocket(502, 22);
  const legacy = await userSocket(502, 0);
  const stranger = await userSocket(503, 21);
  await d.push([revoked(502, { session_id: null, all: true, except_session_id: 21 })]);
  assert.equal((await within(other.closed, 1000)).code, 4001);
  assert.equal((await within(legacy.closed, 1000)).code, 4001);
  await sleep(100);
  assert.equal(keep.ws.readyState, WebSocket.OPEN);
  assert.equal(stranger.ws.readyState, WebSocket.OPEN, 'another user with the same session number is untouched');
  // Tokens issued before the revocation stay refused, the kept session's
  // and later ones connect.
  const old = connect(d.wsUrl(d.token('502', 'user502', { sid: 22, iat: Math.floor(Date.now() / 1000) - 10 })), { localAddress: randomLoopback() });
  assert.equal((await within(old.closed, 2000)).code, 4001);
  const kept = await userSocket(502, 21);
  const later = await userSocket(502, 23, { });
  for (const c of [kept]) await c.close();
  await later.close();
  await d.push([revoked(502, { session_id: null, all: true, except_session_id: null })]);
  assert.equal((await within(keep.closed, 1000)).code, 4001);
  await stranger.close();
});

test('a malformed session_revoked is dropped and counted, closing nothing', async () => {
  const c = await userSocket(504, 31);
  const before = (await d.metrics()).m.parley_events_bad_total;
  await d.push([revoked(504, { session_id: 'x' })]);
  await sleep(300);
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  const after = (await d.metrics()).m.parley_events_bad_total;
  assert.equal(after, before + 1);
  await c.close();
});

function tryUpgrade(url, opts) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('open', () => resolve({ ws, open: true }));
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (x) => { body += x; });
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'], body }));
    });
    ws.on('error', (e) => resolve({ error: e.message }));
  });
}

test('connections per address are capped: 429 + Retry-After + JSON at the upgrade; a close frees a place', async () => {
  const from = '127.0.0.77';
  const socks = [];
  for (let i = 0; i < 3; i++) socks.push(await userSocket(600 + i, 1, { localAddress: from }));
  const r = await tryUpgrade(d.wsUrl(d.token('610', 'user610')), { localAddress: from });
  assert.equal(r.status, 429, JSON.stringify(r));
  assert.ok(Number(r.retryAfter) >= 1);
  assert.equal(JSON.parse(r.body).error.code, 'too_many_connections');
  const elsewhere = await userSocket(611, 1, { localAddress: '127.0.0.78' });
  await socks[0].close();
  await sleep(100);
  const again = await userSocket(612, 1, { localAddress: from });
  for (const c of [...socks.slice(1), elsewhere, again]) await c.close();
});

test('X-Forwarded-For names the client only when the peer is the local proxy', async () => {
  const xff = { headers: { 'x-forwarded-for': '203.0.113.9' } };
  const socks = [];
  for (let i = 0; i < 3; i++) socks.push(await userSocket(700 + i, 1, { ...xff, localAddress: '127.0.0.1' }));
  const r = await tryUpgrade(d.wsUrl(d.token('710', 'user710')), { ...xff, localAddress: '127.0.0.1' });
  assert.equal(r.status, 429, 'the forwarded address is at its cap');
  // From any other address the header is the client's own claim: ignored.
  const direct = await userSocket(711, 1, { ...xff, localAddress: '127.0.0.79' });
  for (const c of [...socks, direct]) await c.close();
});
