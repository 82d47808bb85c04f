'use strict';
// chatlist.test.js -- GET /api/chats is written as JSON text straight from
// the rows (fcgi-api/shape.c, shared/jsonw.c), not through json-c.  What a
// user sees must not change: each chat in the list is the same Chat that
// GET /api/chats/{id} answers (built from the same text, parsed), its last
// message is the Message the history route answers, and text that needs
// escaping (quotes, backslashes, line breaks, tabs, "</script>", emoji,
// right-to-left script) comes back exactly as it was sent.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, runSql } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

async function ok(status, p) {
  const r = await p;
  assert.equal(r.status, status, r.text);
  return r;
}

test('the chat list carries escaped text exactly, and equals GET /api/chats/{id} chat by chat', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const tricky = 'say "hi" \\ back\\slash\nline two\ttab </script><b>x</b> a/b 😀 مرحبا';
  const title = 'Team "quotes" \\ slash </script> 😀';

  const direct = (await ok(201, api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } }))).json;
  const group = (await ok(201, api(S, 'POST', '/api/chats', {
    token: a.token, body: { title, member_ids: [b.id, c.id] } }))).json;
  const first = (await ok(201, api(S, 'POST', `/api/chats/${direct.id}/messages`, {
    token: b.token, body: { content: 'first' } }))).json;
  // The direct chat's last message: a reply that mentions, with a reaction.
  const last = (await ok(201, api(S, 'POST', `/api/chats/${direct.id}/messages`, {
    token: b.token, body: { content: `${tricky} @${a.username}`, reply_to_id: first.id, client_id: 'cl-"1"' } }))).json;
  await ok(200, api(S, 'PUT', `/api/messages/${last.id}/reactions/${encodeURIComponent('👍')}`, { token: a.token }));
  // The group's: plain text posted last, so the group comes first.
  await ok(201, api(S, 'POST', `/api/chats/${group.id}/messages`, { token: c.token, body: { content: tricky } }));

  const list = await ok(200, api(S, 'GET', '/api/chats', { token: a.token }));
  assert.match(list.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(Object.keys(list.json), ['chats']);
  const chats = list.json.chats;
  assert.deepEqual(chats.map((x) => x.id), [group.id, direct.id], 'most recent activity first');

  const [g, d] = chats;
  assert.equal(g.title, title);
  assert.equal(g.last_message.content, tricky);
  assert.equal(d.title, b.username, 'a direct chat is titled with the other member');
  assert.equal(d.last_message.content, `${tricky} @${a.username}`);
  assert.equal(d.last_message.client_id, 'cl-"1"');
  assert.deepEqual(d.last_message.mentions, [a.id]);
  assert.equal(d.last_message.reply_to.id, first.id);
  assert.equal(d.last_message.reply_to.snippet, 'first');
  assert.deepEqual(d.last_message.reactions, [{ emoji: '👍', user_ids: [a.id] }]);
  assert.deepEqual(d.last_message.attachments, []);
  assert.equal(d.unread_count, 2);
  assert.deepEqual(d.members.map((m) => m.id), [a.id, b.id].sort((x, y) => x - y));
  assert.deepEqual(g.members.map((m) => Object.keys(m).sort()),
    [0, 1, 2].map(() => ['deactivated', 'id', 'last_read_message_id', 'username']));

  // Each chat of the list is the Chat of GET /api/chats/{id} (a tree parsed
  // from the same writer), and its last message the Message of the history.
  for (const chat of chats) {
    const one = await ok(200, api(S, 'GET', `/api/chats/${chat.id}`, { token: a.token }));
    assert.deepEqual(chat, one.json);
    const page = await ok(200, api(S, 'GET', `/api/chats/${chat.id}/messages?limit=1`, { token: a.token }));
    assert.deepEqual(chat.last_message, page.json.messages[0]);
  }

  // A chat with no message yet: last_message null; and non-members see nothing.
  const empty = (await ok(201, api(S, 'POST', '/api/chats', { token: c.token, body: { user_id: b.id } }))).json;
  const bl = (await ok(200, api(S, 'GET', '/api/chats', { token: b.token }))).json.chats;
  assert.equal(bl.find((x) => x.id === empty.id).last_message, null);
  assert.equal(bl.length, 3);
  const al = (await ok(200, api(S, 'GET', '/api/chats', { token: a.token }))).json.chats;
  assert.ok(!al.some((x) => x.id === empty.id));
  const none = await api(S, 'GET', `/api/chats/${empty.id}`, { token: a.token });
  assert.equal(none.status, 404);
});

test('a user in no chat gets an empty list; no token is 401', async () => {
  const u = await newUser(S);
  const r = await ok(200, api(S, 'GET', '/api/chats', { token: u.token }));
  assert.equal(r.text.replace(/\s/g, ''), '{"chats":[]}');
  const anon = await api(S, 'GET', '/api/chats');
  assert.equal(anon.status, 401);
  assert.ok(anon.json.error.code);
});

// The list reads updated_at as the timestamp's own text and sorts in C
// (fcgi-api/chatview.c): each updated_at must equal parley_ts() of the
// stored value whatever its fraction (none, short, full, .999999 which
// must not round up), and the order must be the database's: newest first,
// the higher id first on a tie.
test('updated_at is parley_ts of the stored time for any fraction; newest first, ties by higher id', async () => {
  const a = await newUser(S);
  const ids = [];
  for (let i = 0; i < 6; i++) {
    const b = await newUser(S);
    ids.push((await ok(201, api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } }))).json.id);
  }
  const times = ['2031-01-02 03:04:05+00', '2031-01-02 03:04:05.1+00', '2031-01-02 03:04:05.12+00',
    '2031-01-02 03:04:05.999999+00', '1999-12-31 23:59:59.000123+00', '2031-01-02 03:04:05.1+00'];
  runSql(S, ids.map((id, i) => `UPDATE chats SET updated_at = '${times[i]}' WHERE id = ${id};`).join(' '));
  const want = runSql(S, `SELECT id || ' ' || parley_ts(updated_at) FROM chats WHERE id IN (${ids.join(',')})
                          ORDER BY updated_at DESC, id DESC`).trim().split('\n').map((l) => l.trim());
  const list = (await ok(200, api(S, 'GET', '/api/chats', { token: a.token }))).json.chats;
  assert.deepEqual(list.map((c) => `${c.id} ${c.updated_at}`), want);
  assert.ok(want.some((l) => l.endsWith('03:04:05.999Z')), 'truncated, not rounded');
  assert.ok(want.some((l) => l.endsWith('03:04:05.000Z')), 'no fraction is .000');
  for (const id of ids) {
    const one = (await ok(200, api(S, 'GET', `/api/chats/${id}`, { token: a.token }))).json;
    assert.equal(`${id} ${one.updated_at}`, want.find((l) => l.startsWith(`${id} `)));
  }
});

// Answers of 16 KiB or more leave the worker as 64 KiB FastCGI records
// written straight to lighttpd (write_body in fcgi-api/main.c), not
// through libfcgi's stream: a ~330 kB history page (six records) must
// arrive whole and in order, several times over, with the small answers
// around it intact.
test('a large answer (several 64 KiB FastCGI records) arrives whole and in order', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = (await ok(201, api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } }))).json;
  const sent = [];
  for (let i = 0; i < 40; i++) {
    const content = `${String(i).padStart(2, '0')} ` + 'жё"\\'.repeat(999);
    sent.push(content);
    await ok(201, api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content } }));
  }
  for (let round = 0; round < 3; round++) {
    const r = await ok(200, api(S, 'GET', `/api/chats/${chat.id}/messages?limit=40`, { token: b.token }));
    assert.ok(Buffer.byteLength(r.text) > 5 * 65528, `answer of ${Buffer.byteLength(r.text)} bytes spans six records`);
    assert.deepEqual(r.json.messages.map((m) => m.content).sort(), sent);
    const small = await ok(200, api(S, 'GET', `/api/chats/${chat.id}`, { token: b.token }));
    assert.equal(small.json.id, chat.id);
  }
});
