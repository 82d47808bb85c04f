'use strict';
// writepath.test.js -- what the one-round-trip write functions
// (sql/006_writepath.sql) answer with, and the counts they keep: an edit
// recomputes mentions and each member's mention_count (only for members who
// have not read past the message), /api/sync carries mention_count per
// chat, and uploads refused by the post's own transaction leave nothing
// posted.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

async function call(u, method, p, body, want) {
  const r = await api(S, method, p, { token: u.token, body });
  assert.equal(r.status, want, `${method} ${p}: ${r.text}`);
  return r.json;
}
const mentionsOf = async (u, chatId) => (await call(u, 'GET', `/api/chats/${chatId}`, undefined, 200)).mention_count;
async function syncRow(u, chatId) {
  const s = await call(u, 'GET', '/api/sync', undefined, 200);
  return s.chats.find((c) => c.id === chatId);
}

test('an edit recomputes mentions: newly named members gain it, unnamed ones lose it, readers are left alone', async () => {
  const a = await newUser(S); const b = await newUser(S); const c = await newUser(S);
  const g = await call(a, 'POST', '/api/chats', { title: 'edits', member_ids: [b.id, c.id] }, 201);
  const m = await call(a, 'POST', `/api/chats/${g.id}/messages`, { content: 'hello all' }, 201);
  assert.deepEqual(m.mentions, []);
  let e = await call(a, 'PATCH', `/api/messages/${m.id}`, { content: `hello @${b.username}` }, 200);
  assert.deepEqual(e.mentions, [b.id]);
  assert.equal(await mentionsOf(b, g.id), 1);
  assert.equal(await mentionsOf(c, g.id), 0);
  assert.deepEqual(await syncRow(b, g.id), { id: g.id, unread_count: 1, mention_count: 1 });
  e = await call(a, 'PATCH', `/api/messages/${m.id}`, { content: `hello @${c.username}` }, 200);
  assert.deepEqual(e.mentions, [c.id]);
  assert.equal(await mentionsOf(b, g.id), 0, 'no longer named: the mention is taken back');
  assert.equal(await mentionsOf(c, g.id), 1);
  // The same names again: nothing moves.
  await call(a, 'PATCH', `/api/messages/${m.id}`, { content: `hi @${c.username.toUpperCase()}` }, 200);
  assert.equal(await mentionsOf(c, g.id), 1);
  // c reads past it; naming both then counts only for b, who has not.
  await call(c, 'POST', `/api/chats/${g.id}/read`, undefined, 200);
  assert.equal(await mentionsOf(c, g.id), 0);
  e = await call(a, 'PATCH', `/api/messages/${m.id}`, { content: `@${b.username} @${c.username} @${a.username}` }, 200);
  assert.deepEqual(e.mentions, [b.id, c.id].sort((x, y) => x - y), 'the author is never mentioned');
  assert.equal(await mentionsOf(b, g.id), 1);
  assert.equal(await mentionsOf(c, g.id), 0, 'a member who read past the message gains nothing');
  assert.equal(await mentionsOf(a, g.id), 0);
  // Deleting it takes it off the unread member's count; reading clears the rest.
  await call(a, 'DELETE', `/api/messages/${m.id}`, undefined, 204);
  assert.equal(await mentionsOf(b, g.id), 0);
  assert.deepEqual(await syncRow(b, g.id), { id: g.id, unread_count: 0, mention_count: 0 });
});

test('a post whose uploads are refused stores nothing: no message, no unread count, no change', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const chat = await call(a, 'POST', '/api/chats', { user_id: b.id }, 201);
  const since = (await call(b, 'GET', '/api/sync', undefined, 200)).seq;
  const up = await api(S, 'POST', '/api/uploads?name=b.txt', {
    token: b.token, raw: 'not yours', headers: { 'content-type': 'text/plain' } });
  assert.equal(up.status, 201, up.text);
  const r = await api(S, 'POST', `/api/chats/${chat.id}/messages`, {
    token: a.token, body: { content: 'with b\'s file', attachment_ids: [up.json.id] } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.code, 'invalid_attachment');
  const page = await call(b, 'GET', `/api/chats/${chat.id}/messages`, undefined, 200);
  assert.deepEqual(page.messages, []);
  const s = await call(b, 'GET', `/api/sync?since=${since}`, undefined, 200);
  assert.deepEqual(s.changes.filter((x) => x.type === 'new_message'), []);
  assert.deepEqual(s.chats.find((x) => x.id === chat.id), { id: chat.id, unread_count: 0, mention_count: 0 });
  // The sender's own upload goes through, in the same round trip.
  const mine = await api(S, 'POST', '/api/uploads?name=a.txt', {
    token: a.token, raw: 'mine', headers: { 'content-type': 'text/plain' } });
  assert.equal(mine.status, 201, mine.text);
  const ok = await call(a, 'POST', `/api/chats/${chat.id}/messages`, { content: 'with mine', attachment_ids: [mine.json.id] }, 201);
  assert.deepEqual(ok.attachments.map((x) => x.id), [mine.json.id]);
});
