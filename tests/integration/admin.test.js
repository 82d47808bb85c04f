'use strict';
// admin.test.js -- user administration: admins only (403 otherwise);
// deactivation ends the user's sessions and sockets, refuses their logins
// with 403 account_deactivated and shows them as deactivated to others;
// reactivation; a password reset ends the user's sessions.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, randomLoopback, sleep } = require('../lib/client');

let S;
let admin;
const sockets = [];
test.after(() => { for (const c of sockets) c.ws.terminate(); });
test.before(async () => {
  S = await getStack();
  const r = await api(S, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'admin123' }, from: randomLoopback() });
  assert.equal(r.status, 200, r.text);
  admin = { id: r.json.user.id, token: r.json.access_token };
});

function assertErr(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json.error.code, code);
}
const loginFrom = (u, password = u.password) => api(S, 'POST', '/api/auth/login', { body: { username: u.username, password }, from: randomLoopback() });

test('non-admins get 403 on every admin route; unauthenticated get 401', async () => {
  const u = await newUser(S, 'plain');
  const v = await newUser(S, 'plain');
  assertErr(await api(S, 'GET', '/api/admin/users', { token: u.token }), 403, 'forbidden');
  assertErr(await api(S, 'POST', `/api/admin/users/${v.id}/deactivate`, { token: u.token }), 403, 'forbidden');
  assertErr(await api(S, 'POST', `/api/admin/users/${v.id}/reactivate`, { token: u.token }), 403, 'forbidden');
  assertErr(await api(S, 'POST', `/api/admin/users/${v.id}/password`, { token: u.token, body: { new_password: 'hijacked-pw' } }), 403, 'forbidden');
  assertErr(await api(S, 'GET', '/api/admin/users'), 401, 'missing_token');
  assert.equal((await loginFrom(v)).status, 200, 'nothing happened to v');
});

test('GET /api/admin/users pages through users with admin and deactivated flags', async () => {
  const r = await api(S, 'GET', '/api/admin/users?limit=2', { token: admin.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.users.length, 2);
  assert.equal(r.json.has_more, true);
  const a = r.json.users.find((x) => x.username === 'admin');
  assert.equal(a.is_admin, true);
  assert.equal(a.deactivated, false);
  assert.ok(!Number.isNaN(Date.parse(a.created_at)));
  const next = await api(S, 'GET', `/api/admin/users?after=${r.json.users[1].id}&limit=2`, { token: admin.token });
  assert.ok(next.json.users[0].id > r.json.users[1].id);
  assertErr(await api(S, 'GET', '/api/admin/users?limit=0', { token: admin.token }), 400, 'invalid_field');
  assertErr(await api(S, 'GET', '/api/admin/users?limit=201', { token: admin.token }), 400, 'invalid_field');
  assertErr(await api(S, 'GET', '/api/admin/users?after=x', { token: admin.token }), 400, 'invalid_field');
});

test('deactivation: sessions end, sockets close 4001 within 1 s, login is 403, others see the flag; reactivation restores login', async () => {
  const u = await newUser(S, 'gone');
  const friend = await newUser(S, 'friend');
  const chat = (await api(S, 'POST', '/api/chats', { token: friend.token, body: { user_id: u.id } })).json;
  const sock = wsConnect(S, u.token);
  sockets.push(sock);
  await sock.opened;
  await sock.waitFor((m) => m.type === 'connected');
  const t0 = Date.now();
  const r = await api(S, 'POST', `/api/admin/users/${u.id}/deactivate`, { token: admin.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.deactivated, true);
  const closed = await Promise.race([sock.closed, sleep(1000).then(() => null)]);
  assert.ok(closed, `socket open ${Date.now() - t0} ms after deactivation`);
  assert.equal(closed.code, 4001);
  assert.equal((await api(S, 'GET', '/api/me', { token: u.token })).status, 401);
  assertErr(await loginFrom(u), 403, 'account_deactivated');
  assertErr(await loginFrom(u, 'not-the-password'), 401, 'invalid_credentials');
  const seen = await api(S, 'GET', `/api/chats/${chat.id}`, { token: friend.token });
  assert.equal(seen.json.members.find((m) => m.id === u.id).deactivated, true);
  assert.equal(seen.json.members.find((m) => m.id === friend.id).deactivated, false);
  const found = await api(S, 'GET', `/api/users?q=${u.username}`, { token: friend.token });
  assert.equal(found.json.users[0].deactivated, true);

  const back = await api(S, 'POST', `/api/admin/users/${u.id}/reactivate`, { token: admin.token });
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.deactivated, false);
  assert.equal((await api(S, 'GET', '/api/me', { token: u.token })).status, 401, 'old sessions stay ended');
  assert.equal((await loginFrom(u)).status, 200);
});

test('deactivate: unknown user 404, yourself 409; bad ids 404', async () => {
  assertErr(await api(S, 'POST', '/api/admin/users/999999999/deactivate', { token: admin.token }), 404, 'not_found');
  assertErr(await api(S, 'POST', `/api/admin/users/${admin.id}/deactivate`, { token: admin.token }), 409, 'cannot_deactivate_self');
  assertErr(await api(S, 'POST', '/api/admin/users/0/deactivate', { token: admin.token }), 404, 'not_found');
  assertErr(await api(S, 'GET', `/api/admin/users/${admin.id}/deactivate`, { token: admin.token }), 405, 'method_not_allowed');
});

test('password reset by an admin: the user\'s sessions end; the new password works', async () => {
  const u = await newUser(S, 'reset');
  const sock = wsConnect(S, u.token);
  sockets.push(sock);
  await sock.opened;
  await sock.waitFor((m) => m.type === 'connected');
  assertErr(await api(S, 'POST', `/api/admin/users/${u.id}/password`, { token: admin.token, body: { new_password: 'short' } }), 400, 'invalid_password');
  assertErr(await api(S, 'POST', `/api/admin/users/${u.id}/password`, { token: admin.token, body: {} }), 400, 'invalid_field');
  assertErr(await api(S, 'POST', '/api/admin/users/999999999/password', { token: admin.token, body: { new_password: 'reset-by-admin' } }), 404, 'not_found');
  const t0 = Date.now();
  assert.equal((await api(S, 'POST', `/api/admin/users/${u.id}/password`, { token: admin.token, body: { new_password: 'reset-by-admin' } })).status, 204);
  const closed = await Promise.race([sock.closed, sleep(1000).then(() => null)]);
  assert.ok(closed, `socket open ${Date.now() - t0} ms after the reset`);
  assert.equal(closed.code, 4001);
  assert.equal((await api(S, 'GET', '/api/me', { token: u.token })).status, 401);
  assert.equal((await loginFrom(u)).status, 401);
  assert.equal((await loginFrom(u, 'reset-by-admin')).status, 200);
});
