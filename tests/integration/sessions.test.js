'use strict';
// sessions.test.js -- server-side sessions end to end: every token names a
// session; logout, logout-all, password change and DELETE /api/sessions/{id}
// refuse the token at once and close that session's sockets with 4001
// within a second, on every daemon; a token's socket closes when its exp passes; tokens with
// a numeric sub (issued before sub became a string) still work.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const WebSocket = require('ws');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, randomLoopback, sleep, runSql } = require('../lib/client');

let S;
const sockets = [];   // every socket opened here, ended however a test ends
test.before(async () => { S = await getStack(); });
test.after(() => { for (const c of sockets) c.ws.terminate(); });

const claims = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function sign(payload) {
  const head = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64(payload);
  return head + '.' + crypto.createHmac('sha256', S.jwtSecret).update(head).digest('base64url');
}
// A second session of `u` (a login from another address/browser).
async function loginAgain(u, agent = 'second-browser/1.0') {
  const r = await api(S, 'POST', '/api/auth/login', {
    body: { username: u.username, password: u.password }, from: randomLoopback(),
    headers: { 'user-agent': agent },
  });
  assert.equal(r.status, 200, r.text);
  return r.json.access_token;
}
function track(c) { sockets.push(c); return c; }
async function openSocket(token) {
  const c = track(wsConnect(S, token));
  await c.opened;
  await c.waitFor((m) => m.type === 'connected');
  return c;
}
// Resolves with {code, reason, ms} once c closes, or fails after `ms`.
async function closedWithin(c, t0, ms) {
  const closed = await Promise.race([c.closed, sleep(ms).then(() => null)]);
  assert.ok(closed, `socket still open ${ms} ms after the session ended`);
  return { ...closed, ms: Date.now() - t0 };
}

test('tokens carry sub as a string and a session id; /api/sessions lists it with the user agent', async () => {
  const u = await newUser(S, 'sess');
  const c = claims(u.token);
  assert.equal(typeof c.sub, 'string');
  assert.equal(c.sub, String(u.id));
  assert.ok(Number.isInteger(c.sid) && c.sid > 0, JSON.stringify(c));
  const second = await loginAgain(u, 'Mozilla/5.0 (test agent)');
  const r = await api(S, 'GET', '/api/sessions', { token: second });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.sessions.length, 2);
  const cur = r.json.sessions.find((s) => s.current);
  assert.equal(cur.id, claims(second).sid);
  assert.equal(cur.user_agent, 'Mozilla/5.0 (test agent)');
  for (const s of r.json.sessions) {
    for (const k of ['created_at', 'last_used_at', 'expires_at']) assert.ok(!Number.isNaN(Date.parse(s[k])), `${k}: ${s[k]}`);
  }
  assert.equal(r.json.sessions.filter((s) => s.current).length, 1);
});

test('logout ends this session only: its token is refused and its socket closes 4001 within 1 s', async () => {
  const u = await newUser(S, 'out');
  const other = await loginAgain(u);
  const mine = await openSocket(u.token);
  const theirs = await openSocket(other);
  const t0 = Date.now();
  assert.equal((await api(S, 'POST', '/api/auth/logout', { token: u.token })).status, 204);
  const closed = await closedWithin(mine, t0, 1000);
  assert.equal(closed.code, 4001);
  assert.ok(mine.frames.some((m) => m.type === 'session_revoked' && m.session_id === claims(u.token).sid));
  const r = await api(S, 'GET', '/api/me', { token: u.token });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, 'session_ended');
  // Nor can the ended token open a new socket (until it would expire).
  const retry = track(wsConnect(S, u.token));
  const refused = await closedWithin(retry, Date.now(), 2000);
  assert.equal(refused.code, 4001);
  assert.equal(refused.reason, 'session ended');
  assert.equal((await api(S, 'GET', '/api/me', { token: other })).status, 200, 'the other session lives');
  await sleep(200);
  assert.equal(theirs.ws.readyState, 1, 'the other session\'s socket stays open');
  theirs.close();
  console.log(`# logout -> socket closed 4001 in ${closed.ms} ms`);
});

// The busiest routes check the session in the same round trip and
// transaction as their own statement (fcgi-api/router.c, AUTH_GUARD):
// an ended session must still be refused by each, with nothing written,
// also when the handler answers a bad request without the database.
test('an ended session is refused by every route that checks it with its own statement, and writes nothing', async () => {
  const u = await newUser(S, 'guard');
  const peer = await newUser(S, 'guardp');
  const c = await api(S, 'POST', '/api/chats', { token: u.token, body: { user_id: peer.id } });
  assert.ok(c.status === 200 || c.status === 201, c.text);
  const chat = c.json.id;
  const m = await api(S, 'POST', `/api/chats/${chat}/messages`, { token: u.token, body: { content: 'before' } });
  assert.equal(m.status, 201, m.text);
  const other = await loginAgain(u);
  // While the session is open the same routes answer as usual.
  assert.equal((await api(S, 'GET', '/api/chats', { token: u.token })).status, 200);
  assert.equal((await api(S, 'POST', '/api/auth/logout', { token: u.token })).status, 204);
  const count = () => Number(runSql(S, `SELECT count(*) FROM messages WHERE chat_id = ${chat}`));
  const before = count();
  const probes = [
    ['GET', '/api/chats'], ['GET', `/api/chats/${chat}`], ['GET', `/api/chats/${chat}/messages`],
    ['POST', `/api/chats/${chat}/messages`, { content: 'after logout' }],
    ['POST', `/api/chats/${chat}/messages`, { content: '' }],          // a 400 without the database
    ['POST', `/api/chats/${chat}/read`, {}],
    ['PATCH', `/api/messages/${m.json.id}`, { content: 'edited after logout' }],
    ['PUT', `/api/messages/${m.json.id}/reactions/%F0%9F%91%8D`],
    ['PUT', `/api/chats/${chat}/mute`, { muted: true }],
    ['GET', '/api/search?q=before'], ['GET', '/api/search?q='],           // the second is a 400 without it
    ['DELETE', `/api/messages/${m.json.id}`],
  ];
  for (const [method, path, body] of probes) {
    const r = await api(S, method, path, { token: u.token, body });
    assert.equal(r.status, 401, `${method} ${path}: ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'session_ended', `${method} ${path}`);
    assert.match(r.headers.get('www-authenticate') || '', /invalid_token/, `${method} ${path}`);
  }
  assert.equal(count(), before, 'nothing was posted');
  const h = await api(S, 'GET', `/api/chats/${chat}/messages`, { token: other });
  assert.equal(h.status, 200, h.text);
  const first = h.json.messages.find((x) => x.id === m.json.id);
  assert.equal(first.content, 'before', 'neither edited nor deleted');
  assert.deepEqual(first.reactions, [], 'no reaction');
  assert.equal((await api(S, 'GET', `/api/chats/${chat}`, { token: other })).json.muted, false, 'not muted');
});

test('logout closes the session\'s sockets on every daemon (through the bus) within 1 s', async () => {
  assert.equal(S.wsUrls.length, 2, 'the suite\'s stack runs two daemons');
  const u = await newUser(S, 'both');
  const onDaemon = async (i) => {
    const c = track(wsConnect({ wsUrl: S.wsUrls[i] }, u.token));
    await c.opened;
    await c.waitFor((m) => m.type === 'connected');
    return c;
  };
  const socks = [await onDaemon(0), await onDaemon(1), await onDaemon(1)];
  const t0 = Date.now();
  assert.equal((await api(S, 'POST', '/api/auth/logout', { token: u.token })).status, 204);
  const closed = [];
  for (const c of socks) closed.push(await closedWithin(c, t0, 1000));
  assert.deepEqual(closed.map((c) => c.code), [4001, 4001, 4001]);
  console.log(`# logout -> sockets on both daemons closed 4001 in ${closed.map((c) => c.ms).join(', ')} ms`);
});

test('logout-all ends every other session and closes their sockets; this one stays', async () => {
  const u = await newUser(S, 'all');
  const b = await loginAgain(u);
  const c = await loginAgain(u);
  const sb = await openSocket(b);
  const sc = await openSocket(c);
  const mine = await openSocket(u.token);
  const t0 = Date.now();
  assert.equal((await api(S, 'POST', '/api/auth/logout-all', { token: u.token })).status, 204);
  for (const s of [sb, sc]) assert.equal((await closedWithin(s, t0, 1000)).code, 4001);
  assert.equal((await api(S, 'GET', '/api/me', { token: b })).status, 401);
  assert.equal((await api(S, 'GET', '/api/me', { token: c })).status, 401);
  assert.equal((await api(S, 'GET', '/api/me', { token: u.token })).status, 200);
  const list = await api(S, 'GET', '/api/sessions', { token: u.token });
  assert.deepEqual(list.json.sessions.map((s) => s.id), [claims(u.token).sid]);
  await sleep(200);
  assert.equal(mine.ws.readyState, 1);
  mine.close();
});

test('DELETE /api/sessions/{id}: ends one of yours (socket closed 4001); someone else\'s is 404', async () => {
  const u = await newUser(S, 'del');
  const v = await newUser(S, 'del');
  const other = await loginAgain(u);
  const sock = await openSocket(other);
  const sid = claims(other).sid;
  assertErr(await api(S, 'DELETE', `/api/sessions/${sid}`, { token: v.token }), 404, 'not_found');
  assert.equal((await api(S, 'GET', '/api/me', { token: other })).status, 200, 'a stranger ended nothing');
  const t0 = Date.now();
  assert.equal((await api(S, 'DELETE', `/api/sessions/${sid}`, { token: u.token })).status, 204);
  assert.equal((await closedWithin(sock, t0, 1000)).code, 4001);
  assert.equal((await api(S, 'GET', '/api/me', { token: other })).status, 401);
  assertErr(await api(S, 'DELETE', `/api/sessions/${sid}`, { token: u.token }), 404, 'not_found');
  assertErr(await api(S, 'DELETE', '/api/sessions/abc', { token: u.token }), 404, 'not_found');
});

function assertErr(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json.error.code, code);
}

test('password change: current password required; new token; every other session ends', async () => {
  const u = await newUser(S, 'pw');
  const other = await loginAgain(u);
  const sock = await openSocket(other);
  const mineSock = await openSocket(u.token);
  assertErr(await api(S, 'POST', '/api/auth/password', { token: u.token, body: { current_password: 'not-it-at-all', new_password: 'brand-new-pw' } }), 403, 'wrong_password');
  assertErr(await api(S, 'POST', '/api/auth/password', { token: u.token, body: { current_password: u.password, new_password: 'short' } }), 400, 'invalid_password');
  assertErr(await api(S, 'POST', '/api/auth/password', { token: u.token, body: { new_password: 'brand-new-pw' } }), 400, 'invalid_field');
  assertErr(await api(S, 'POST', '/api/auth/password', { token: u.token, body: { current_password: 5, new_password: 'brand-new-pw' } }), 400, 'invalid_field');
  assert.equal((await api(S, 'GET', '/api/me', { token: other })).status, 200, 'failed attempts end nothing');
  const t0 = Date.now();
  const r = await api(S, 'POST', '/api/auth/password', { token: u.token, body: { current_password: u.password, new_password: 'brand-new-pw' } });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.access_token);
  assert.equal(r.json.user.id, u.id);
  for (const s of [sock, mineSock]) assert.equal((await closedWithin(s, t0, 1000)).code, 4001);
  assert.equal((await api(S, 'GET', '/api/me', { token: other })).status, 401);
  assert.equal((await api(S, 'GET', '/api/me', { token: u.token })).status, 401, 'the token used ends too');
  assert.equal((await api(S, 'GET', '/api/me', { token: r.json.access_token })).status, 200);
  const from = randomLoopback();
  assert.equal((await api(S, 'POST', '/api/auth/login', { body: { username: u.username, password: u.password }, from })).status, 401);
  assert.equal((await api(S, 'POST', '/api/auth/login', { body: { username: u.username, password: 'brand-new-pw' }, from })).status, 200);
});

test('a socket closes with 4001 when its token expires', async () => {
  const u = await newUser(S, 'exp');
  const now = Math.floor(Date.now() / 1000);
  const t = sign({ sub: String(u.id), sid: claims(u.token).sid, username: u.username, iat: now, exp: now + 2 });
  const s = await openSocket(t);
  const closed = await closedWithin(s, Date.now(), 4000);
  assert.equal(closed.code, 4001);
  assert.match(closed.reason, /expired/);
});

test('a token with a numeric sub and no session still works until ended by logout-all', async () => {
  const u = await newUser(S, 'old');
  const now = Math.floor(Date.now() / 1000);
  const old = sign({ sub: u.id, username: u.username, iat: now - 5, exp: now + 600 });
  const r = await api(S, 'GET', '/api/me', { token: old });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, u.id);
  const s = await openSocket(old);
  const t0 = Date.now();
  assert.equal((await api(S, 'POST', '/api/auth/logout-all', { token: u.token })).status, 204);
  assert.equal((await closedWithin(s, t0, 1000)).code, 4001);
  assert.equal((await api(S, 'GET', '/api/me', { token: old })).status, 401);
});

test('a token whose bytes are not UTF-8 gets close 4001 on /ws, not an HTTP error', async () => {
  for (const [base, q] of [[S.wsUrl, '%FF%FE%FD'], [S.wsUrl, 'eyJ%C3%28.x.y'], [S.wsProxyUrl, 'abc%E9.x.y'],
    [S.wsProxyUrl, 'abc%C3%28.x.y']]) {
    // (lighttpd itself answers 400 to some escapes in any URL, such as %FF
    // or the overlong %C0%80, before /ws is routed: that is the front
    // server's request parsing, and it logs such URLs whole, so no "eyJ"
    // token prefix goes that way here.)
    const ws = new WebSocket(`${base}?token=${q}`);
    sockets.push({ ws });
    const res = await new Promise((resolve) => {
      ws.on('close', (code) => resolve({ code }));
      ws.on('unexpected-response', (req, resp) => { resolve({ http: resp.statusCode }); ws.terminate(); });
      ws.on('error', () => {});
    });
    assert.deepEqual(res, { code: 4001 }, `${base}?token=${q}`);
  }
});
