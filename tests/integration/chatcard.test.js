'use strict';
// chatcard.test.js -- the chat list reads each chat's last message from a
// card the chat row keeps (sql/014_chat_last.sql), not from message_v.  The
// card must follow every change that alters what message_v shows for the
// last message: after each kind of change below, the list's last_message
// must equal the newest message of GET /api/chats/{id}/messages (read
// through message_v), and in the database every chat's card must equal
// message_v's row for its last_message_id.  A write path that forgot the
// card fails here.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, runSql, randomLoopback } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

async function ok(status, p) {
  const r = await p;
  assert.equal(r.status, status, r.text);
  return r;
}

// Chats whose card differs from message_v (the whole database).
const STALE_SQL = `SELECT count(*) FROM chats c LEFT JOIN message_v v ON v.id = c.last_message_id
  WHERE (c.lm_id, c.lm_chat_id, c.lm_sender_id, c.lm_sender_username, c.lm_content,
         c.lm_created_at, c.lm_edited_at, c.lm_deleted, c.lm_client_id, c.lm_seq,
         c.lm_mentions, c.lm_reply_to, c.lm_reactions, c.lm_system)
        IS DISTINCT FROM
        (v.id, v.chat_id, v.sender_id, v.sender_username, v.content, v.created_at,
         v.edited_at, v.deleted, v.client_id, v.seq, v.mentions, v.reply_to,
         v.reactions, v.system)`;

// The list's last_message of `chatId` as `user` sees it equals the newest
// message of the history; returns it.
async function same(user, chatId, what) {
  const list = (await ok(200, api(S, 'GET', '/api/chats', { token: user.token }))).json.chats;
  const chat = list.find((x) => x.id === chatId);
  assert.ok(chat, `${what}: chat ${chatId} in the list`);
  const page = (await ok(200, api(S, 'GET', `/api/chats/${chatId}/messages?limit=1`,
    { token: user.token }))).json.messages;
  assert.deepEqual(chat.last_message, page[0] || null, `${what}: list == history`);
  const one = (await ok(200, api(S, 'GET', `/api/chats/${chatId}`, { token: user.token }))).json;
  assert.deepEqual(one.last_message, page[0] || null, `${what}: GET /api/chats/{id} == history`);
  assert.equal(runSql(S, STALE_SQL).trim(), '0', `${what}: every card equals message_v`);
  return chat.last_message;
}

test('the card follows posts, edits, deletes, reactions, reply targets and membership lines', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const d = await newUser(S);
  const g = (await ok(201, api(S, 'POST', '/api/chats', {
    token: a.token, body: { title: 'card', member_ids: [b.id, c.id] } }))).json;
  const post = async (u, body) => (await ok(201, api(S, 'POST', `/api/chats/${g.id}/messages`,
    { token: u.token, body }))).json;
  const emoji = (e) => encodeURIComponent(e);

  assert.equal(await same(a, g.id, 'no message yet'), null);

  const first = await post(b, { content: 'first, the reply target' });
  let lm = await same(a, g.id, 'post');
  assert.equal(lm.id, first.id);

  const last = await post(c, { content: `answer @${a.username}`, reply_to_id: first.id, client_id: 'card-1' });
  lm = await same(a, g.id, 'post with reply, mention and client_id');
  assert.equal(lm.id, last.id);
  assert.equal(lm.reply_to.snippet, 'first, the reply target');

  // A repeated client_id stores nothing new.
  await ok(200, api(S, 'POST', `/api/chats/${g.id}/messages`,
    { token: c.token, body: { content: 'again', client_id: 'card-1' } }));
  await same(a, g.id, 'repeated client_id');

  await ok(200, api(S, 'PUT', `/api/messages/${last.id}/reactions/${emoji('👍')}`, { token: a.token }));
  await ok(200, api(S, 'PUT', `/api/messages/${last.id}/reactions/${emoji('🎉')}`, { token: b.token }));
  await ok(200, api(S, 'PUT', `/api/messages/${last.id}/reactions/${emoji('👍')}`, { token: b.token }));
  lm = await same(a, g.id, 'reactions added');
  assert.deepEqual(lm.reactions, [{ emoji: '👍', user_ids: [a.id, b.id] }, { emoji: '🎉', user_ids: [b.id] }]);
  await ok(200, api(S, 'DELETE', `/api/messages/${last.id}/reactions/${emoji('👍')}`, { token: a.token }));
  lm = await same(a, g.id, 'reaction removed');
  // Ordered by each emoji's first remaining reaction: b's 👍 came after 🎉.
  assert.deepEqual(lm.reactions, [{ emoji: '🎉', user_ids: [b.id] }, { emoji: '👍', user_ids: [b.id] }]);
  // A reaction on an older message leaves the card as it is (and equal).
  await ok(200, api(S, 'PUT', `/api/messages/${first.id}/reactions/${emoji('👀')}`, { token: a.token }));
  await same(a, g.id, 'reaction on an older message');

  await ok(200, api(S, 'PATCH', `/api/messages/${first.id}`, { token: b.token, body: { content: 'first, edited' } }));
  lm = await same(a, g.id, 'reply target edited');
  assert.equal(lm.reply_to.snippet, 'first, edited');

  await ok(200, api(S, 'PATCH', `/api/messages/${last.id}`, { token: c.token, body: { content: 'answer, edited, no mention' } }));
  lm = await same(a, g.id, 'last message edited');
  assert.equal(lm.content, 'answer, edited, no mention');
  assert.ok(lm.edited_at);
  assert.deepEqual(lm.mentions, []);

  await ok(204, api(S, 'DELETE', `/api/messages/${first.id}`, { token: b.token }));
  lm = await same(a, g.id, 'reply target deleted');
  assert.equal(lm.reply_to.deleted, true);
  assert.equal(lm.reply_to.snippet, null);

  await ok(204, api(S, 'DELETE', `/api/messages/${last.id}`, { token: c.token }));
  lm = await same(a, g.id, 'last message deleted (with its reactions)');
  assert.equal(lm.deleted, true);
  assert.deepEqual(lm.reactions, []);

  // System lines: add, rename, remove, leave.
  await ok(200, api(S, 'POST', `/api/chats/${g.id}/members`, { token: a.token, body: { user_ids: [d.id] } }));
  lm = await same(a, g.id, 'member added (system line)');
  assert.equal(lm.system.action, 'added');
  await ok(200, api(S, 'PATCH', `/api/chats/${g.id}`, { token: a.token, body: { title: 'card renamed' } }));
  await same(a, g.id, 'renamed');
  await ok(204, api(S, 'DELETE', `/api/chats/${g.id}/members/${d.id}`, { token: a.token }));
  lm = await same(a, g.id, 'member removed (system line)');
  assert.equal(lm.system.action, 'removed');
  await ok(204, api(S, 'DELETE', `/api/chats/${g.id}/members/${c.id}`, { token: c.token }));
  lm = await same(a, g.id, 'member left (system line)');
  assert.equal(lm.system.action, 'left');
  await same(b, g.id, 'another member sees the same card');

  // A post after all that, then a reply to the system line's predecessor.
  const again = await post(b, { content: 'back to talking' });
  await post(a, { content: 'replying', reply_to_id: again.id });
  lm = await same(a, g.id, 'post after system lines');
  assert.equal(lm.reply_to.id, again.id);
  await ok(200, api(S, 'PATCH', `/api/messages/${again.id}`, { token: b.token, body: { content: 'back, edited' } }));
  lm = await same(a, g.id, 'reply target edited again');
  assert.equal(lm.reply_to.snippet, 'back, edited');
});

test('the card is kept when messages are written by SQL (seeders, old functions)', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const dm = (await ok(201, api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } }))).json;
  await ok(201, api(S, 'POST', `/api/chats/${dm.id}/messages`, { token: b.token, body: { content: 'via the API' } }));
  // As tests/bench/history.sql does: insert, then point last_message_id at it.
  runSql(S, `INSERT INTO messages (chat_id, sender_id, content, seq)
               VALUES (${dm.id}, ${b.id}, 'via SQL', nextval('change_seq'));
             UPDATE chats c SET last_message_id = (SELECT max(m.id) FROM messages m WHERE m.chat_id = c.id)
              WHERE c.id = ${dm.id};`);
  const lm = await same(a, dm.id, 'last_message_id set by SQL');
  assert.equal(lm.content, 'via SQL');
});

test('edits and reactions of the last message at once: no deadlock, the card ends equal', async () => {
  // Both write the chat row (the card) and the message; parley_change locks
  // the chat row first, and so must parley_react (sql/014_chat_last.sql):
  // with the message first, about a third of such requests failed with a
  // deadlock in a pgbench of the same mix (docs/bench.md).
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const g = (await ok(201, api(S, 'POST', '/api/chats', {
    token: a.token, body: { title: 'race', member_ids: [b.id, c.id] } }))).json;
  const m = (await ok(201, api(S, 'POST', `/api/chats/${g.id}/messages`,
    { token: c.token, body: { content: 'hot message' } }))).json;
  const emoji = ['👍', '🎉', '👀', '🔥', '😀'];
  const reqs = [];
  for (let i = 0; i < 12; i++) {
    reqs.push(api(S, 'PATCH', `/api/messages/${m.id}`, { token: c.token, body: { content: `edit ${i}` } }));
    reqs.push(api(S, 'PUT', `/api/messages/${m.id}/reactions/${encodeURIComponent(emoji[i % 5])}`,
      { token: (i % 2 ? a : b).token }));
    reqs.push(api(S, 'DELETE', `/api/messages/${m.id}/reactions/${encodeURIComponent(emoji[(i + 2) % 5])}`,
      { token: (i % 2 ? b : a).token }));
  }
  const res = await Promise.all(reqs);
  assert.deepEqual(res.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`), []);
  const lm = await same(a, g.id, 'after the race');
  assert.equal(lm.id, m.id);
});

// Each membership row carries its member's name and deactivated state
// (sql/017_member_names.sql), which the list's members are read from.
const MEMBER_STALE_SQL = `SELECT count(*) FROM chat_members cm JOIN users u ON u.id = cm.user_id
  WHERE (cm.username, cm.deactivated) IS DISTINCT FROM (u.username, u.deactivated_at IS NOT NULL)`;

test('members in the list follow renames, deactivation and new members; no membership row differs from its user', async () => {
  const login = await ok(200, api(S, 'POST', '/api/auth/login',
    { body: { username: 'admin', password: 'admin123' }, from: randomLoopback() }));
  const admin = { token: login.json.access_token };
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const direct = (await ok(201, api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } }))).json;
  const g = (await ok(201, api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'names', member_ids: [b.id] } }))).json;
  const member = async (chatId, id) => {
    const list = (await ok(200, api(S, 'GET', '/api/chats', { token: a.token }))).json.chats;
    const chat = list.find((x) => x.id === chatId);
    return { chat, m: chat.members.find((x) => x.id === id) };
  };
  // A rename (no route does it; SQL stands in) reaches every chat of b,
  // and the direct chat's title, which is the other member's name.
  const renamed = `${b.username}_x`;
  runSql(S, `UPDATE users SET username = '${renamed}' WHERE id = ${b.id}`);
  assert.equal((await member(direct.id, b.id)).m.username, renamed);
  assert.equal((await member(direct.id, b.id)).chat.title, renamed);
  assert.equal((await member(g.id, b.id)).m.username, renamed);
  assert.equal(runSql(S, MEMBER_STALE_SQL), '0', 'after a rename');
  // Deactivation and reactivation through the admin routes.
  await ok(200, api(S, 'POST', `/api/admin/users/${b.id}/deactivate`, { token: admin.token }));
  assert.equal((await member(g.id, b.id)).m.deactivated, true);
  assert.equal((await member(direct.id, b.id)).m.deactivated, true);
  assert.equal((await member(g.id, a.id)).m.deactivated, false);
  await ok(200, api(S, 'POST', `/api/admin/users/${b.id}/reactivate`, { token: admin.token }));
  assert.equal((await member(g.id, b.id)).m.deactivated, false);
  // A member added later carries their current name.
  await ok(200, api(S, 'POST', `/api/chats/${g.id}/members`, { token: a.token, body: { user_ids: [c.id] } }));
  assert.equal((await member(g.id, c.id)).m.username, c.username);
  assert.equal(runSql(S, MEMBER_STALE_SQL), '0', 'after deactivation, reactivation and a new member');
});
