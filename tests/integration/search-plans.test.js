'use strict';
// search-plans.test.js -- GET /api/search takes one of three ways through
// the database depending on how common the words are (docs/api.md,
// "Search"; sql/007_search_presence.sql, sql/009_search_pending.sql): a
// rare word straight from the GIN index, a common word from a window of the
// newest messages, and a word common overall but absent lately from the
// window and then the GIN index.  Each must give exactly what a plain scan gives: the caller's
// matches newest first, paged, never another chat's.  Needs more rows than
// the window (20,000), so the rows are inserted with SQL.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, runSql, apiRetry } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const psql = (sql) => runSql(S, sql);
// Idempotent requests retried once on a failed connection (tests/lib/client.js).
const call = (method, path, opts) => apiRetry(S, method, path, opts);
const ids = (text) => (text ? text.split(',').map(Number) : []);

test('rare, common and formerly common words each give the newest matches of your chats only', { timeout: 240000 }, async () => {
  const a = await newUser(S); const b = await newUser(S); const c = await newUser(S);
  const mk = async (owner, members) => {
    const r = await api(S, 'POST', '/api/chats', { token: owner.token, body: { title: 'plans', member_ids: members.map((m) => m.id) } });
    assert.equal(r.status, 201, r.text);
    return r.json.id;
  };
  const mine = await mk(a, [b]);     // b searches: this chat is b's
  const other = await mk(a, [c]);    // b is not in this one
  const t = `p${Date.now().toString(36)}`;
  // 30,000 rows, alternating between the two chats.  Words (unique to this
  // run): ${t}c in every 5th row (common), ${t}o in every 5th of the first
  // 6,000 only (common overall, none among the newest 20,000 rows), ${t}r
  // in every 2,000th (rare).  Each row also has one of 150 filler words
  // (each in 0.7 % of the rows), as real text has many common words: with
  // fewer than 100 words in its statistics PostgreSQL guesses 2 % for any
  // prefix (the last word is always one), so no word would look rare.
  psql(`INSERT INTO messages (chat_id, sender_id, content, seq)
          SELECT CASE WHEN i % 2 = 0 THEN ${mine} ELSE ${other} END, ${a.id},
                 'filler text ' || i || ' fill' || chr(97 + i % 25) || chr(97 + (i / 25) % 6)
                 || CASE WHEN i % 5 = 0 THEN ' ${t}c' ELSE '' END
                 || CASE WHEN i % 5 = 1 AND i <= 6000 THEN ' ${t}o' ELSE '' END
                 || CASE WHEN i % 2000 = 0 OR i % 2000 = 1 THEN ' ${t}r' ELSE '' END, 0
            FROM generate_series(1, 30000) i;
        ANALYZE messages;`);
  const truth = (word, before, n) => ids(psql(`
    SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM (
      SELECT m.id FROM messages m
       WHERE m.chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = ${b.id})
         AND m.id < ${before} AND m.tsv @@ parley_search_query(ARRAY['${word}'])
       ORDER BY m.id DESC LIMIT ${n}) x`));
  // Each word takes the way it was made for (sql/009_search_pending.sql:
  // parley_search_rare is the choice parley_search makes): the rare one the
  // GIN index alone, the other two the window walk (${t}o then finds
  // nothing there and falls back to the GIN index for older matches).
  const rare = (word) => psql(`SELECT parley_search_rare(parley_search_query(ARRAY['${word}']))`);
  assert.deepEqual([`${t}r`, `${t}c`, `${t}o`].map(rare), ['t', 'f', 'f'], 'rare, common, formerly common');
  for (const word of [`${t}r`, `${t}c`, `${t}o`]) {
    let before = 2 ** 53 - 1;
    for (let page = 0; page < 3; page++) {
      const qs = `q=${word}&limit=7${page ? `&before=${before}` : ''}`;
      const r = await call('GET', `/api/search?${qs}`, { token: b.token });
      assert.equal(r.status, 200, r.text);
      const got = r.json.results.map((h) => h.message.id);
      const want = truth(word, before, 8);
      assert.deepEqual(got, want.slice(0, 7), `${word} page ${page}`);
      assert.equal(r.json.has_more, want.length > 7, `${word} page ${page} has_more`);
      assert.ok(r.json.results.every((h) => h.message.chat_id === mine), 'only the caller\'s chat');
      assert.ok(r.json.results.every((h) => h.highlights.length >= 1), 'every hit is highlighted');
      assert.ok(got.length > 0, `${word} page ${page} finds something`);
      before = got[got.length - 1];
    }
  }
  // One chat: c's view of the other chat, and b refused it.
  const r = await call('GET', `/api/search?q=${t}c&chat_id=${other}&limit=5`, { token: c.token });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((h) => h.message.id),
    ids(psql(`SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM (SELECT id FROM messages
                WHERE chat_id = ${other} AND tsv @@ parley_search_query(ARRAY['${t}c'])
                ORDER BY id DESC LIMIT 5) x`)));
  assert.equal((await call('GET', `/api/search?q=${t}c&chat_id=${other}`, { token: b.token })).status, 404);
});
