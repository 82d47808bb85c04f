'use strict';
// sync.test.js -- /api/sync cursors: exact catch-up, reset rules, and the
// race the spec warns about (a seq handed out before commit that becomes
// visible after a larger one), with real concurrent writers.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { getStack } = require('../lib/stack');
const { api, newUser, sleep } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

async function sync(u, since) {
  const q = since === undefined ? '' : `?since=${since}`;
  const r = await api(S, 'GET', `/api/sync${q}`, { token: u.token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function directChat(a, b) {
  return (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
}

test('sync without a cursor resets and gives the current seq and unread counts', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: b.token, body: { content: 'hi' } });
  const s = await sync(a);
  assert.equal(s.reset, true);
  assert.deepEqual(s.changes, []);
  assert.ok(Number.isInteger(s.seq) && s.seq > 0);
  assert.deepEqual(s.chats, [{ id: chat.id, unread_count: 1, mention_count: 0 }]);
  assert.equal(s.total_unread, 1);
  const future = await sync(a, s.seq + 1000000);
  assert.equal(future.reset, true, 'a cursor from the future resets');
  const bad = await api(S, 'GET', '/api/sync?since=abc', { token: a.token });
  assert.equal(bad.status, 400);
});

test('sync returns every kind of change once, oldest first, in event shapes', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const start = (await sync(a)).seq;
  const chat = await directChat(b, a);
  const m1 = (await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: b.token, body: { content: 'one' } })).json;
  const m2 = (await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: b.token, body: { content: 'two' } })).json;
  await api(S, 'PATCH', `/api/messages/${m1.id}`, { token: b.token, body: { content: 'one!' } });
  await api(S, 'DELETE', `/api/messages/${m2.id}`, { token: b.token });
  await api(S, 'POST', `/api/chats/${chat.id}/read`, { token: a.token });
  const mine = (await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content: 'three' } })).json;
  await api(S, 'POST', `/api/chats/${chat.id}/read`, { token: b.token });
  // Noise in a chat `a` is not in must not appear.
  const bc = await directChat(b, c);
  await api(S, 'POST', `/api/chats/${bc.id}/messages`, { token: c.token, body: { content: 'private' } });

  const s = await sync(a, start);
  assert.equal(s.reset, false);
  const types = s.changes.map((e) => e.type);
  assert.deepEqual(types, ['chat_created', 'new_message', 'new_message', 'message_updated',
    'message_deleted', 'unread_update', 'new_message', 'read_receipt']);
  const seqs = s.changes.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  assert.equal(new Set(seqs).size, seqs.length);
  assert.equal(s.changes[0].chat.id, chat.id);
  assert.equal(s.changes[0].chat.title, b.username);
  assert.equal(s.changes[3].message.content, 'one!');
  assert.equal(s.changes[4].message_id, m2.id);
  assert.equal(s.changes[6].message.id, mine.id);
  assert.equal(s.changes[7].user_id, b.id);
  assert.equal(s.changes[7].last_read_message_id, mine.id);
  assert.ok(!JSON.stringify(s.changes).includes('private'));
  // Nothing twice: syncing from the returned cursor gives nothing new.
  const again = await sync(a, s.seq);
  assert.deepEqual(again.changes, []);
  assert.equal(again.reset, false);
});

test('a change whose seq was drawn early but committed late is not skipped', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = await directChat(a, b);
  const cursor = (await sync(a)).seq;
  // Writer 1 draws a seq inside a transaction and holds it open for 1.5 s.
  const psql = spawn('psql', [S.dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c',
    `BEGIN; SELECT parley_post_message(${chat.id}, ${b.id}, 'slow writer', NULL, 1000, 1000); SELECT pg_sleep(1.5); COMMIT;`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  psql.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => psql.on('exit', resolve));
  await sleep(300);
  // Writer 2 commits a later seq right away.
  const fast = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: b.token, body: { content: 'fast writer' } });
  assert.equal(fast.status, 201);
  // A sync now must not hand out a cursor past the open transaction.
  const s1 = await sync(a, cursor);
  const seen = s1.changes.filter((e) => e.type === 'new_message').map((e) => e.message.content);
  const s2 = await sync(a, s1.seq);
  seen.push(...s2.changes.filter((e) => e.type === 'new_message').map((e) => e.message.content));
  assert.equal(await done, 0, err);
  const s3 = await sync(a, s2.seq);
  seen.push(...s3.changes.filter((e) => e.type === 'new_message').map((e) => e.message.content));
  assert.deepEqual(seen.sort(), ['fast writer', 'slow writer']);
});

test('concurrent writers racing on seq: a syncing reader ends with exactly the stored messages', async () => {
  const reader = await newUser(S);
  const writers = [];
  for (let i = 0; i < 4; i++) writers.push(await newUser(S));
  const chats = [];
  for (const w of writers) chats.push(await directChat(w, reader));
  let cursor = (await sync(reader)).seq;
  const seenSeqs = new Set();
  const seenMsgs = new Set();
  let running = true;
  let dup = 0;
  const readerLoop = (async () => {
    while (running) {
      const s = await sync(reader, cursor);
      for (const e of s.changes) {
        if (seenSeqs.has(e.seq)) dup++;
        seenSeqs.add(e.seq);
        if (e.type === 'new_message') seenMsgs.add(e.message.id);
      }
      cursor = s.seq;
    }
  })();
  const PER = 40;
  const posted = [];
  await Promise.all(writers.map(async (w, i) => {
    for (let k = 0; k < PER; k++) {
      const r = await api(S, 'POST', `/api/chats/${chats[i].id}/messages`, { token: w.token, body: { content: `w${i}-${k}` } });
      assert.equal(r.status, 201);
      posted.push(r.json.id);
    }
  }));
  running = false;
  await readerLoop;
  const last = await sync(reader, cursor);
  for (const e of last.changes) {
    if (seenSeqs.has(e.seq)) dup++;
    if (e.type === 'new_message') seenMsgs.add(e.message.id);
  }
  let stored = [];
  for (const c of chats) {
    const h = await api(S, 'GET', `/api/chats/${c.id}/messages?limit=200`, { token: reader.token });
    stored = stored.concat(h.json.messages.map((m) => m.id));
  }
  const missing = stored.filter((id) => !seenMsgs.has(id));
  const extra = [...seenMsgs].filter((id) => !stored.includes(id));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  assert.equal(dup, 0, 'no change delivered twice');
  assert.equal(stored.length, 4 * PER);
  assert.deepEqual([...seenMsgs].sort((x, y) => x - y), stored.sort((x, y) => x - y));
});
