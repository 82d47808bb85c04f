'use strict';
// api.test.js -- every route and error in docs/api.md, over real HTTP through
// lighttpd to the FastCGI workers and a real PostgreSQL.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { getStack } = require('../lib/stack');
const { api, newUser, login } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function assertError(r, status, code) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.match(r.headers.get('content-type') || '', /application\/json/);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
  if (code) assert.equal(r.json.error.code, code);
}

function assertMessageShape(m) {
  for (const k of ['id', 'chat_id', 'sender_id', 'sender_username', 'content', 'created_at',
    'edited_at', 'deleted', 'client_id']) assert.ok(k in m, `message lacks ${k}`);
  assert.match(m.created_at, RFC3339_MS);
}

// Signs an HS256 token like the server would, with any claims and header.
function signToken(secret, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const data = `${b64(header)}.${b64(claims)}`;
  const sig = crypto.createHmac('sha256', secret).update(data).digest('base64url');
  return `${data}.${sig}`;
}

async function directChat(a, b) {
  const r = await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  return r.json;
}

async function post(u, chatId, content, extra = {}) {
  return api(S, 'POST', `/api/chats/${chatId}/messages`, { token: u.token, body: { content, ...extra } });
}

test('health answers ok', async () => {
  const r = await api(S, 'GET', '/api/health');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

test('seeded users log in with JSON and form bodies; the seeded direct chat exists', async () => {
  const r = await api(S, 'POST', '/api/auth/login', { body: { username: 'user1', password: 'password123' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.token_type, 'bearer');
  assert.ok(r.json.expires_in > 0);
  assert.equal(r.json.user.username, 'user1');
  assert.equal(r.json.access_token.split('.').length, 3);
  const f = await api(S, 'POST', '/api/auth/login', {
    raw: 'username=user2&password=password123',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(f.status, 200, f.text);
  assert.equal(f.json.user.username, 'user2');
  const a = await api(S, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'admin123' } });
  assert.equal(a.status, 200);
  const chats = await api(S, 'GET', '/api/chats', { token: r.json.access_token });
  const direct = chats.json.chats.find((c) => c.kind === 'direct' && c.title === 'user2');
  assert.ok(direct, 'user1-user2 direct chat is seeded');
  assert.deepEqual(direct.members.map((m) => m.username).sort(), ['user1', 'user2']);
});

test('login refuses bad credentials and bad bodies with the error shape', async () => {
  assertError(await api(S, 'POST', '/api/auth/login', { body: { username: 'user1', password: 'nope' } }), 401, 'invalid_credentials');
  assertError(await api(S, 'POST', '/api/auth/login', { body: { username: 'no_such_user', password: 'x' } }), 401, 'invalid_credentials');
  assertError(await api(S, 'POST', '/api/auth/login', { raw: '{"username":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  assertError(await api(S, 'POST', '/api/auth/login', { body: { username: 5, password: 'x' } }), 400);
  assertError(await api(S, 'POST', '/api/auth/login', { raw: 'hello', headers: { 'content-type': 'text/plain' } }), 415);
  assertError(await api(S, 'GET', '/api/auth/login'), 405, 'method_not_allowed');
  // A NUL must not cut a name or password short ("alice\0evil" is not "alice").
  assertError(await api(S, 'POST', '/api/auth/login', { raw: '{"username":"user1\\u0000x","password":"password123"}', headers: { 'content-type': 'application/json' } }), 400);
  assertError(await api(S, 'POST', '/api/auth/login', { raw: '{"username":"user1","password":"password123\\u0000x"}', headers: { 'content-type': 'application/json' } }), 400);
  assertError(await api(S, 'POST', '/api/auth/login', { raw: 'username=user1%00x&password=password123', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400);
  assertError(await api(S, 'POST', '/api/auth/login', { raw: 'username=user1&password=password123%00x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400);
});

test('register creates a user (201, login shape); duplicates and bad names refused', async () => {
  const name = 'reg_' + crypto.randomBytes(4).toString('hex');
  const r = await api(S, 'POST', '/api/auth/register', { body: { username: name, password: 'longenough' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.username, name);
  assert.ok(r.json.access_token);
  assertError(await api(S, 'POST', '/api/auth/register', { body: { username: name.toUpperCase(), password: 'longenough' } }), 409, 'username_taken');
  assertError(await api(S, 'POST', '/api/auth/register', { body: { username: 'a b', password: 'longenough' } }), 400, 'invalid_username');
  assertError(await api(S, 'POST', '/api/auth/register', { body: { username: 'xy', password: 'longenough' } }), 400, 'invalid_username');
  assertError(await api(S, 'POST', '/api/auth/register', { body: { username: 'x'.repeat(33), password: 'longenough' } }), 400, 'invalid_username');
  assertError(await api(S, 'POST', '/api/auth/register', { body: { username: name + 'z', password: 'short' } }), 400, 'invalid_password');
  const me = await api(S, 'GET', '/api/me', { token: r.json.access_token });
  assert.deepEqual(me.json, { id: r.json.user.id, username: name, is_admin: false });
});

test('tokens: missing, garbage, tampered, expired, alg:none and HS512 all get 401', async () => {
  const secret = S.jwtSecret;
  const u = await newUser(S);
  assertError(await api(S, 'GET', '/api/me'), 401, 'missing_token');
  assertError(await api(S, 'GET', '/api/me', { token: 'garbage' }), 401, 'invalid_token');
  const [h, p, s] = u.token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 1 })).toString('base64url')}.${s}`;
  assertError(await api(S, 'GET', '/api/me', { token: tampered }), 401, 'invalid_token');
  const now = Math.floor(Date.now() / 1000);
  const expired = signToken(secret, { sub: u.id, username: u.username, iat: now - 100, exp: now - 10 });
  assertError(await api(S, 'GET', '/api/me', { token: expired }), 401, 'token_expired');
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 1, username: 'admin', exp: now + 1000 })).toString('base64url')}.`;
  assertError(await api(S, 'GET', '/api/me', { token: none }), 401, 'invalid_token');
  const hs512 = signToken(secret, { sub: u.id, username: u.username, exp: now + 1000 }, { alg: 'HS512', typ: 'JWT' });
  assertError(await api(S, 'GET', '/api/me', { token: hs512 }), 401, 'invalid_token');
  const good = signToken(secret, { sub: u.id, username: u.username, iat: now, exp: now + 60 });
  assert.equal((await api(S, 'GET', '/api/me', { token: good })).status, 200);
  assertError(await api(S, 'GET', '/api/me', { headers: { authorization: 'Basic dXNlcjE6cGFzcw==' } }), 401, 'missing_token');
});

test('users search: prefix, case-insensitive, excludes self, at most 20, safe with odd input', async () => {
  const tag = 'srch' + crypto.randomBytes(3).toString('hex');
  const users = [];
  for (let i = 0; i < 3; i++) users.push(await newUser(S, tag));
  const r = await api(S, 'GET', `/api/users?q=${tag.toUpperCase()}`, { token: users[0].token });
  assert.equal(r.status, 200);
  const names = r.json.users.map((x) => x.username);
  assert.ok(!names.includes(users[0].username), 'excludes the caller');
  assert.ok(names.includes(users[1].username) && names.includes(users[2].username));
  for (const q of ["' OR 1=1 --", '%', '_', '\\']) {
    const s = await api(S, 'GET', `/api/users?q=${encodeURIComponent(q)}`, { token: users[0].token });
    assert.equal(s.status, 200);
    assert.equal(s.json.users.length, 0, `q=${q} matched ${JSON.stringify(s.json.users)}`);
  }
  const all = await api(S, 'GET', '/api/users?q=', { token: users[0].token });
  assert.ok(all.json.users.length <= 20);
  // A query that decodes to invalid UTF-8: lighttpd refuses the URL itself,
  // still with the JSON error shape.
  assertError(await api(S, 'GET', '/api/users?q=%ff', { token: users[0].token }), 400);
});

test('direct chat: 201 new, 200 existing from either side; bad targets refused', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const r1 = await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } });
  assert.equal(r1.status, 201);
  assert.equal(r1.json.kind, 'direct');
  assert.equal(r1.json.title, b.username);
  assert.equal(r1.json.last_message, null);
  assert.equal(r1.json.unread_count, 0);
  assert.equal(r1.json.last_read_message_id, 0);
  assert.match(r1.json.updated_at, RFC3339_MS);
  const r2 = await api(S, 'POST', '/api/chats', { token: b.token, body: { user_id: a.id } });
  assert.equal(r2.status, 200);
  assert.equal(r2.json.id, r1.json.id);
  assert.equal(r2.json.title, a.username);
  assertError(await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: a.id } }), 400);
  assertError(await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: 999999999 } }), 404);
  assertError(await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: 'x' } }), 400);
  assertError(await api(S, 'POST', '/api/chats', { token: a.token, body: {} }), 400);
});

test('group chat: created with members; unknown members refused; non-members get 404', async () => {
  const [a, b, c, outsider] = [await newUser(S), await newUser(S), await newUser(S), await newUser(S)];
  const r = await api(S, 'POST', '/api/chats', { token: a.token, body: { title: '  Team  ', member_ids: [b.id, c.id, b.id] } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.kind, 'group');
  assert.equal(r.json.title, 'Team');
  assert.deepEqual(r.json.members.map((m) => m.id).sort((x, y) => x - y), [a.id, b.id, c.id].sort((x, y) => x - y));
  const g = await api(S, 'GET', `/api/chats/${r.json.id}`, { token: c.token });
  assert.equal(g.status, 200);
  assert.equal(g.json.title, 'Team');
  assertError(await api(S, 'GET', `/api/chats/${r.json.id}`, { token: outsider.token }), 404, 'not_found');
  assertError(await api(S, 'GET', '/api/chats/999999999', { token: a.token }), 404, 'not_found');
  assertError(await api(S, 'GET', '/api/chats/abc', { token: a.token }), 404);
  assertError(await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'x', member_ids: [999999999] } }), 400);
  assertError(await api(S, 'POST', '/api/chats', { token: a.token, body: { title: '', member_ids: [b.id] } }), 400);
  assertError(await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'x', member_ids: 'nope' } }), 400);
});

test('send: 201 Message; trimmed; idempotent client_id returns the first (200)', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const r = await post(a, chat.id, '  hello there \n');
  assert.equal(r.status, 201, r.text);
  assertMessageShape(r.json);
  assert.equal(r.json.content, 'hello there');
  assert.equal(r.json.chat_id, chat.id);
  assert.equal(r.json.sender_id, a.id);
  assert.equal(r.json.sender_username, a.username);
  assert.equal(r.json.deleted, false);
  assert.equal(r.json.edited_at, null);
  const c1 = await post(a, chat.id, 'once', { client_id: 'abc-1' });
  assert.equal(c1.status, 201);
  const c2 = await post(a, chat.id, 'once (retry)', { client_id: 'abc-1' });
  assert.equal(c2.status, 200);
  assert.equal(c2.json.id, c1.json.id);
  assert.equal(c2.json.content, 'once');
  // Same client_id from the other member is a different message.
  const c3 = await post(b, chat.id, 'other', { client_id: 'abc-1' });
  assert.equal(c3.status, 201);
  // Concurrent retries of one client_id: exactly one message.
  const burst = await Promise.all([1, 2, 3, 4, 5].map(() => post(a, chat.id, 'burst', { client_id: 'burst-1' })));
  assert.equal(new Set(burst.map((x) => x.json.id)).size, 1);
  assert.equal(burst.filter((x) => x.status === 201).length, 1);
  const hist = await api(S, 'GET', `/api/chats/${chat.id}/messages`, { token: b.token });
  assert.equal(hist.json.messages.filter((m) => m.content === 'burst').length, 1);
  assert.equal(hist.json.messages.filter((m) => m.content === 'once').length, 1);
});

test('send: content rules and bad bodies', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  assertError(await post(a, chat.id, '   '), 400, 'invalid_content');
  assertError(await post(a, chat.id, ''), 400, 'invalid_content');
  assertError(await post(a, chat.id, 'x'.repeat(4001)), 400, 'invalid_content');
  assert.equal((await post(a, chat.id, 'é'.repeat(4000))).status, 201, '4000 two-byte characters are allowed');
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content: 5 } }), 400);
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: ['x'] }), 400, 'invalid_json');
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: '{"content":"a",}', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: 'content=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
  // Invalid UTF-8 inside a JSON string (raw bytes 0xC3 0x28).
  const bad = Buffer.concat([Buffer.from('{"content":"a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: bad, headers: { 'content-type': 'application/json' } }), 400);
  // A NUL escape is valid JSON but not acceptable text.
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: '{"content":"a\\u0000b"}', headers: { 'content-type': 'application/json' } }), 400);
  // A lone surrogate escape cannot be UTF-8: json-c turns it into U+FFFD,
  // so what is stored is valid text (docs/api.md).
  const ls = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: '{"content":"\\ud800"}', headers: { 'content-type': 'application/json' } });
  assert.equal(ls.status, 201, ls.text);
  assert.equal(ls.json.content, '\ufffd');
  // Deep nesting.
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: '['.repeat(5000), headers: { 'content-type': 'application/json' } }), 400);
});

test('bodies over 64 KiB get 413 JSON; just under is parsed', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const big = JSON.stringify({ content: 'x'.repeat(70 * 1024) });
  const r = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: big, headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 413);
  assert.equal(r.json && r.json.error && r.json.error.code, 'payload_too_large', r.text.slice(0, 200));
  const huge = JSON.stringify({ content: 'x'.repeat(2 * 1024 * 1024) });
  const r2 = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: huge, headers: { 'content-type': 'application/json' } }).catch((e) => ({ status: 'closed', text: String(e) }));
  assert.ok(r2.status === 413 || r2.status === 'closed', `2 MiB body: ${r2.status}`);
  if (r2.status === 413) assert.equal(r2.json && r2.json.error && r2.json.error.code, 'payload_too_large', r2.text.slice(0, 200));
  const under = JSON.stringify({ content: 'y'.repeat(60 * 1024) });
  const r3 = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, raw: under, headers: { 'content-type': 'application/json' } });
  assertError(r3, 400, 'invalid_content');   // parsed, then too many characters
  assert.equal((await api(S, 'GET', '/api/health')).status, 200);
});

test('SQL-looking input is stored and returned verbatim', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const evil = "'); DROP TABLE messages; -- \" OR '1'='1";
  const r = await post(a, chat.id, evil);
  assert.equal(r.status, 201);
  const h = await api(S, 'GET', `/api/chats/${chat.id}/messages`, { token: b.token });
  assert.equal(h.json.messages.at(-1).content, evil);
  const g = await api(S, 'POST', '/api/chats', { token: a.token, body: { title: evil, member_ids: [b.id] } });
  assert.equal(g.status, 201);
  assert.equal(g.json.title, evil);
});

test('history: ascending ids, limit/before/after paging with has_more', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const ids = [];
  for (let i = 0; i < 12; i++) ids.push((await post(i % 2 ? b : a, chat.id, `m${i}`)).json.id);
  const all = await api(S, 'GET', `/api/chats/${chat.id}/messages`, { token: a.token });
  assert.deepEqual(all.json.messages.map((m) => m.id), ids);
  assert.equal(all.json.has_more, false);
  const last5 = await api(S, 'GET', `/api/chats/${chat.id}/messages?limit=5`, { token: a.token });
  assert.deepEqual(last5.json.messages.map((m) => m.id), ids.slice(7));
  assert.equal(last5.json.has_more, true);
  const before = await api(S, 'GET', `/api/chats/${chat.id}/messages?before=${ids[7]}&limit=5`, { token: a.token });
  assert.deepEqual(before.json.messages.map((m) => m.id), ids.slice(2, 7));
  assert.equal(before.json.has_more, true);
  const first = await api(S, 'GET', `/api/chats/${chat.id}/messages?before=${ids[2]}&limit=5`, { token: a.token });
  assert.deepEqual(first.json.messages.map((m) => m.id), ids.slice(0, 2));
  assert.equal(first.json.has_more, false);
  const after = await api(S, 'GET', `/api/chats/${chat.id}/messages?after=${ids[3]}&limit=4`, { token: a.token });
  assert.deepEqual(after.json.messages.map((m) => m.id), ids.slice(4, 8));
  assert.equal(after.json.has_more, true);
  const capped = await api(S, 'GET', `/api/chats/${chat.id}/messages?limit=1000`, { token: a.token });
  assert.equal(capped.status, 200);
  assertError(await api(S, 'GET', `/api/chats/${chat.id}/messages?limit=abc`, { token: a.token }), 400);
  assertError(await api(S, 'GET', `/api/chats/${chat.id}/messages?before=-1`, { token: a.token }), 400);
  const outsider = await newUser(S);
  assertError(await api(S, 'GET', `/api/chats/${chat.id}/messages`, { token: outsider.token }), 404);
  assertError(await post(outsider, chat.id, 'intrusion'), 404);
});

test('edit and delete: author only; tombstone; chat members only', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const m = (await post(a, chat.id, 'original')).json;
  const e = await api(S, 'PATCH', `/api/messages/${m.id}`, { token: a.token, body: { content: 'changed' } });
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.content, 'changed');
  assert.match(e.json.edited_at, RFC3339_MS);
  assertError(await api(S, 'PATCH', `/api/messages/${m.id}`, { token: b.token, body: { content: 'hijack' } }), 403, 'forbidden');
  assertError(await api(S, 'DELETE', `/api/messages/${m.id}`, { token: b.token }), 403, 'forbidden');
  const outsider = await newUser(S);
  assertError(await api(S, 'PATCH', `/api/messages/${m.id}`, { token: outsider.token, body: { content: 'x' } }), 404);
  assertError(await api(S, 'DELETE', `/api/messages/${m.id}`, { token: outsider.token }), 404);
  assertError(await api(S, 'PATCH', `/api/messages/${m.id}`, { token: a.token, body: { content: '' } }), 400);
  assertError(await api(S, 'PATCH', '/api/messages/999999999', { token: a.token, body: { content: 'x' } }), 404);
  const d = await api(S, 'DELETE', `/api/messages/${m.id}`, { token: a.token });
  assert.equal(d.status, 204);
  assert.equal(d.text, '');
  assert.equal((await api(S, 'DELETE', `/api/messages/${m.id}`, { token: a.token })).status, 204, 'delete is idempotent');
  const h = await api(S, 'GET', `/api/chats/${chat.id}/messages`, { token: b.token });
  const t = h.json.messages.find((x) => x.id === m.id);
  assert.equal(t.deleted, true);
  assert.equal(t.content, null);
  assertError(await api(S, 'PATCH', `/api/messages/${m.id}`, { token: a.token, body: { content: 'zombie' } }), 409);
  assertError(await api(S, 'PUT', `/api/messages/${m.id}`, { token: a.token, body: {} }), 405);
});

test('unread counts, read markers and chat ordering', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const ab = await directChat(a, b);
  const ac = await directChat(a, c);
  await post(b, ab.id, 'b1');
  await post(b, ab.id, 'b2');
  const m3 = (await post(b, ab.id, 'b3')).json;
  await post(c, ac.id, 'c1');
  let list = (await api(S, 'GET', '/api/chats', { token: a.token })).json.chats;
  assert.deepEqual(list.map((x) => x.id), [ac.id, ab.id], 'most recent activity first');
  assert.equal(list.find((x) => x.id === ab.id).unread_count, 3);
  assert.equal(list.find((x) => x.id === ac.id).unread_count, 1);
  assert.equal(list.find((x) => x.id === ab.id).last_message.content, 'b3');
  // Own messages never count as unread.
  assert.equal((await api(S, 'GET', `/api/chats/${ab.id}`, { token: b.token })).json.unread_count, 0);
  // Deleted messages do not count.
  await api(S, 'DELETE', `/api/messages/${m3.id}`, { token: b.token });
  assert.equal((await api(S, 'GET', `/api/chats/${ab.id}`, { token: a.token })).json.unread_count, 2);
  // Read up to the first message, then everything.
  const hist = (await api(S, 'GET', `/api/chats/${ab.id}/messages`, { token: a.token })).json.messages;
  const r1 = await api(S, 'POST', `/api/chats/${ab.id}/read`, { token: a.token, body: { message_id: hist[0].id } });
  assert.equal(r1.status, 200, r1.text);
  assert.deepEqual(r1.json, { chat_id: ab.id, last_read_message_id: hist[0].id, unread_count: 1, total_unread: 2 });
  const r2 = await api(S, 'POST', `/api/chats/${ab.id}/read`, { token: a.token });
  assert.equal(r2.json.unread_count, 0);
  assert.equal(r2.json.total_unread, 1);
  assert.equal(r2.json.last_read_message_id, m3.id);
  // Markers never move back.
  const r3 = await api(S, 'POST', `/api/chats/${ab.id}/read`, { token: a.token, body: { message_id: hist[0].id } });
  assert.equal(r3.json.last_read_message_id, m3.id);
  // A new message moves its chat to the top.
  await post(b, ab.id, 'b4');
  list = (await api(S, 'GET', '/api/chats', { token: a.token })).json.chats;
  assert.equal(list[0].id, ab.id);
  assert.equal(list[0].unread_count, 1);
  // Sending marks your own chat read.
  await post(a, ab.id, 'a1');
  assert.equal((await api(S, 'GET', `/api/chats/${ab.id}`, { token: a.token })).json.unread_count, 0);
  assertError(await api(S, 'POST', `/api/chats/${ab.id}/read`, { token: c.token }), 404);
  assertError(await api(S, 'POST', `/api/chats/${ab.id}/read`, { token: a.token, body: { message_id: 'x' } }), 400);
  const other = (await post(c, ac.id, 'c2')).json;
  assertError(await api(S, 'POST', `/api/chats/${ab.id}/read`, { token: a.token, body: { message_id: other.id } }), 400);
});

test('typing: 204 for members, 404 for others', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const r = await api(S, 'POST', `/api/chats/${chat.id}/typing`, { token: a.token });
  assert.equal(r.status, 204);
  const o = await newUser(S);
  assertError(await api(S, 'POST', `/api/chats/${chat.id}/typing`, { token: o.token }), 404);
});

test('a POST without Content-Length gets a JSON 411, not an HTML page', async () => {
  const net = require('node:net');
  const raw = await new Promise((resolve, reject) => {
    const sock = net.connect(S.ports.http, '127.0.0.1');
    let buf = '';
    sock.on('data', (d) => { buf += d; });
    sock.on('end', () => resolve(buf));
    sock.on('error', reject);
    sock.write('POST /api/chats/1/typing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  });
  assert.match(raw, /^HTTP\/1\.1 411 /);
  assert.match(raw, /Content-Type: application\/json/i);
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
  assert.equal(body.error.code, 'length_required');
});

test('unknown routes and methods are JSON 404/405', async () => {
  const a = await newUser(S);
  assertError(await api(S, 'GET', '/api/nope', { token: a.token }), 404, 'not_found');
  // "/apix" is not the API's: lighttpd's own 404, never the API program
  // (which would answer it outside the /api size limit).  Every answer of
  // the program carries Cache-Control: no-store; lighttpd's page 404 is
  // HTML with the page's own no-cache.
  const x = await api(S, 'GET', '/apix', { token: a.token });
  assert.equal(x.status, 404);
  assert.notEqual(x.headers.get('cache-control'), 'no-store', 'answered by lighttpd, not the API');
  assert.match(x.headers.get('content-type') || '', /text\/html/, 'the page\'s HTML 404');
  assert.equal((await api(S, 'GET', '/api/nope', { token: a.token })).headers.get('cache-control'), 'no-store');
  const r = await api(S, 'DELETE', '/api/chats', { token: a.token });
  assertError(r, 405, 'method_not_allowed');
  assert.match(r.headers.get('allow'), /GET/);
});

test('stored unread counters equal a recount after concurrent posts, deletes and reads', async () => {
  const { execFileSync } = require('node:child_process');
  const users = [];
  for (let i = 0; i < 4; i++) users.push(await newUser(S));
  const g = (await api(S, 'POST', '/api/chats', { token: users[0].token, body: { title: 'count', member_ids: users.slice(1).map((u) => u.id) } })).json;
  await Promise.all(users.map(async (u, k) => {
    for (let i = 0; i < 15; i++) {
      const m = await post(u, g.id, `u${k}-${i}`);
      if (i % 4 === 0) await api(S, 'DELETE', `/api/messages/${m.json.id}`, { token: u.token });
      if (i % 5 === 0) await api(S, 'POST', `/api/chats/${g.id}/read`, { token: users[(k + 1) % 4].token });
    }
  }));
  const bad = execFileSync('psql', [S.dbUrl, '-X', '-tA', '-c',
    `SELECT count(*) FROM chat_members WHERE chat_id = ${g.id}
        AND unread_count <> parley_count_unread(chat_id, user_id, last_read_message_id)`], { encoding: 'utf8' }).trim();
  assert.equal(bad, '0');
  for (const u of users) {
    const c = (await api(S, 'GET', `/api/chats/${g.id}`, { token: u.token })).json;
    const h = (await api(S, 'GET', `/api/chats/${g.id}/messages?limit=200`, { token: u.token })).json.messages;
    const expect = h.filter((m) => m.id > c.last_read_message_id && m.sender_id !== u.id && !m.deleted).length;
    assert.equal(c.unread_count, expect, `${u.username}: badge ${c.unread_count}, recount ${expect}`);
  }
});
