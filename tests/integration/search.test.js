'use strict';
// search.test.js -- GET /api/search: Russian and English stemming, prefix
// matching, snippets with highlight ranges, paging, the caller's chats
// only, and hostile query text treated as plain words.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, runSql } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const search = (u, qs) => api(S, 'GET', `/api/search?${qs}`, { token: u.token });
const q = (s) => `q=${encodeURIComponent(s)}`;

async function group(owner, members, title = 'search') {
  const r = await api(S, 'POST', '/api/chats', { token: owner.token, body: { title, member_ids: members.map((m) => m.id) } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function post(u, chatId, content) {
  const r = await api(S, 'POST', `/api/chats/${chatId}/messages`, { token: u.token, body: { content } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
// The highlighted parts of a hit, by code point offsets.
const marked = (hit) => hit.highlights.map(([s, e]) => Array.from(hit.snippet).slice(s, e).join(''));

test('Russian and English words are found by stem, as typed, and by prefix', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const tag = `zq${Date.now().toString(36)}`;
  const m = await post(a, g.id, `Тест WebSocket работает! ${tag}`);
  for (const word of ['работает', 'работать', 'тест', 'Тест', 'websocket', 'WEBSOCKET', 'websoc', 'рабо']) {
    const r = await search(b, q(`${tag} ${word}`));   // the last word may be unfinished
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results.map((h) => h.message.id), [m.id], `"${word}" finds it`);
  }
  const eng = await post(a, g.id, `The runners were running quickly ${tag}`);
  const r = await search(b, q(`${tag} run`));
  assert.deepEqual(r.json.results.map((h) => h.message.id), [eng.id], 'English stem: run finds running');
  const hit = (await search(b, q(`работать ${tag}`))).json.results[0];
  assert.equal(hit.message.content, `Тест WebSocket работает! ${tag}`);
  assert.ok(hit.snippet.includes('работает'));
  assert.deepEqual(marked(hit), ['работает', tag]);
  assert.equal((await search(b, q(`nothing_like_this_${tag}`))).json.results.length, 0);
});

// Three configurations mark matches: 'simple' (as written, prefixes),
// 'russian' (Cyrillic stems; ASCII words through the English stemmer) and
// 'english', whose pass runs only where an ASCII letter touches a
// non-ASCII one (sql/012_search_headline.sql): "naïve" finds "naïves" only
// by the English stem, and must be marked there as well as in plain ASCII
// and Cyrillic text of the same page.
test('every match is marked: English stems of accented words, Russian stems, words as typed', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const tag = `hl${Date.now().toString(36)}`;
  const accented = await post(a, g.id, `Les naïves façades ${tag}`);
  const cyr = await post(a, g.id, `Серверы работают ${tag}`);
  const ascii = await post(a, g.id, `The servers were running ${tag}`);
  let r = await search(b, q(`naïve ${tag}`));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((h) => h.message.id), [accented.id]);
  assert.deepEqual(marked(r.json.results[0]), ['naïves', tag]);
  r = await search(b, q(`работать ${tag}`));
  assert.deepEqual(r.json.results.map((h) => h.message.id), [cyr.id]);
  assert.deepEqual(marked(r.json.results[0]), ['работают', tag]);
  r = await search(b, q(`server ${tag}`));
  assert.deepEqual(r.json.results.map((h) => h.message.id), [ascii.id]);
  assert.deepEqual(marked(r.json.results[0]), ['servers', tag]);
  r = await search(b, q(tag));
  assert.deepEqual(r.json.results.map((h) => h.message.id), [ascii.id, cyr.id, accented.id]);
  assert.ok(r.json.results.every((h) => marked(h).includes(tag)), 'the tag is marked in every hit');
});

test('newest first, paged with before/limit, one chat with chat_id, only chats you are in', async () => {
  const a = await newUser(S); const b = await newUser(S); const c = await newUser(S);
  const g1 = await group(a, [b]); const g2 = await group(a, [c]);
  const tag = `pg${Date.now().toString(36)}`;
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await post(a, g1.id, `page ${tag} number ${i}`)).id);
  const inG2 = await post(a, g2.id, `page ${tag} elsewhere`);
  const p1 = await search(a, `${q(tag)}&limit=3`);
  assert.deepEqual(p1.json.results.map((h) => h.message.id), [inG2.id, ids[4], ids[3]]);
  assert.equal(p1.json.has_more, true);
  const p2 = await search(a, `${q(tag)}&limit=3&before=${ids[3]}`);
  assert.deepEqual(p2.json.results.map((h) => h.message.id), [ids[2], ids[1], ids[0]]);
  assert.equal(p2.json.has_more, false);
  const one = await search(a, `${q(tag)}&chat_id=${g2.id}`);
  assert.deepEqual(one.json.results.map((h) => h.message.id), [inG2.id]);
  // b is only in g1, c only in g2.
  assert.deepEqual((await search(b, q(tag))).json.results.map((h) => h.message.id), [...ids].reverse());
  assert.deepEqual((await search(c, q(tag))).json.results.map((h) => h.message.id), [inG2.id]);
  assert.equal((await search(c, `${q(tag)}&chat_id=${g1.id}`)).status, 404);
  // Deleted messages are not found.
  await api(S, 'DELETE', `/api/messages/${ids[0]}`, { token: a.token });
  assert.ok(!(await search(b, q(tag))).json.results.some((h) => h.message.id === ids[0]));
  // Leaving a chat ends searching it.
  assert.equal((await api(S, 'DELETE', `/api/chats/${g1.id}/members/${b.id}`, { token: b.token })).status, 204);
  assert.deepEqual((await search(b, q(tag))).json.results, []);
});

test('quotes, operators, %, _, backslashes and SQL-looking text are plain input', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const tag = `sq${Date.now().toString(36)}`;
  const m = await post(a, g.id, `100% of it's a_b \\path ${tag}`);
  for (const text of [`'${tag}'`, `"${tag}"`, `${tag} & | ! :* ( ) <-> <>`,
    `${tag} \\`, `%${tag}%`, `${tag}_`, `it's ${tag}`, `a_b ${tag}`, `\\path ${tag}`]) {
    const r = await search(b, q(text));
    assert.equal(r.status, 200, `${text}: ${r.text}`);
    assert.deepEqual(r.json.results.map((h) => h.message.id), [m.id], text);
  }
  // SQL-looking text is words like any other (none of them is in the message).
  const sql = await search(b, q(`${tag}'); DROP TABLE messages; --`));
  assert.equal(sql.status, 200);
  assert.deepEqual(sql.json.results, []);
  assert.equal((await search(b, q(tag))).json.results.length, 1, 'and the table is still there');
  for (const text of ['%', '_', "'", '\\', '&|!', '   ']) {
    const r = await search(b, q(text));
    assert.equal(r.status, 400, text);
    assert.equal(r.json.error.code, 'invalid_query');
  }
  assert.equal((await search(b, '')).status, 400);
  assert.equal((await search(b, q('x'.repeat(300)))).status, 400);
  assert.equal((await search(b, 'q=%FF%FE')).status, 400);
  assert.equal((await search(b, `${q(tag)}&limit=abc`)).status, 400);
  assert.equal((await api(S, 'GET', `/api/search?${q(tag)}`)).status, 401);
});

test('a long message gives a window around the match, with ranges into the snippet', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const tag = `lw${Date.now().toString(36)}`;
  const text = `${'слово '.repeat(100)}${tag} ${'word '.repeat(100)}`;
  await post(a, g.id, text);
  const hit = (await search(b, q(tag))).json.results[0];
  assert.ok(Array.from(hit.snippet).length <= 162, hit.snippet);
  assert.ok(hit.snippet.startsWith('…') && hit.snippet.endsWith('…'));
  assert.deepEqual(marked(hit), [tag]);
});

// A psql session holding every search slot (0..63, more than any
// search_slots here) until release() (sql/013_search_cost.sql).
async function holdAllSlots() {
  const { spawn } = require('node:child_process');
  const holder = spawn('psql', [S.dbUrl, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  holder.stdout.on('data', (d) => { out += d; });
  holder.stdin.write("SELECT count(pg_advisory_lock(7151, i)) FROM generate_series(0, 63) i;\n");
  for (let i = 0; i < 100 && !out.includes('64'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(out.includes('64'), `the slots were taken: ${out}`);
  return {
    unlock: () => holder.stdin.write('SELECT pg_advisory_unlock_all();\n'),
    release: () => holder.stdin.end('SELECT pg_advisory_unlock_all();\n\\q\n'),
  };
}

// sql/013_search_cost.sql: a search first takes one of parley.search_slots
// (the API sets it on each connection from search_slots, by default its
// host's processors).  With every slot held by another session, a search
// waits; once they are released it answers, with its hits.
test('a search waits for a free search slot, then answers', { timeout: 60000 }, async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const tag = `zs${Date.now().toString(36)}`;
  const m = await post(a, g.id, `slot test ${tag}`);
  const holder = await holdAllSlots();
  try {
    let done = null;
    const p = search(b, q(tag)).then((r) => { done = r; });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(done, null, 'the search waited while every slot was held');
    holder.unlock();
    await p;
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.json.results.map((h) => h.message.id), [m.id]);
  } finally {
    holder.release();
  }
});

// A search that waits for a slot longer than db_timeout_ms (5 s here) is
// answered 503 busy with Retry-After, not left hanging or a 500.
test('a search that waits past db_timeout_ms answers 503 busy', { timeout: 60000 }, async () => {
  const a = await newUser(S);
  const holder = await holdAllSlots();
  try {
    const t0 = Date.now();
    const r = await search(a, q('anything'));
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'busy');
    assert.equal(r.headers.get('retry-after'), '1');
    assert.ok(Date.now() - t0 >= 4000, 'it waited for its slot first');
  } finally {
    holder.release();
  }
  const r = await search(a, q('anything'));
  assert.equal(r.status, 200, 'and searches again once the slots are free');
});

// sql/016_tsv_ascii.sql skips the 'russian' pass for ASCII-only text: its
// lexemes must be exactly those of all three passes, for every token type
// the parser yields from ASCII, and for stored messages too; other text
// still takes the three passes, positions and all.
test('an ASCII post is indexed with the same lexemes as the three passes', async () => {
  const texts = [
    'The runners were running quickly, and the RUNNING stopped',
    'state-of-the-art self-hosted re-run co-operate',
    'mail bob.smith+tag@example.com or see https://example.org/a/b?c=d#e now',
    'host db-1.internal.example.net path /var/log/syslog.1 file report.pdf',
    'version 10.2.3-rc1 floats 3.14 -2.5e10 ints 42 007 -17 mixed abc123 x86_64',
    "it's a don't isn't; (parens) [brackets] {braces} <tags> & | ! :* <->",
    'a an the of to in is was be been being have has had do does did',
    "O'Reilly McDonald's CamelCase snake_case kebab-case UPPER lower",
    '',
  ];
  const three = (t) => `to_tsvector('simple', ${t}) || to_tsvector('russian', ${t}) || to_tsvector('english', ${t})`;
  const lit = (t) => `'${t.replace(/'/g, "''")}'`;
  for (const t of texts) {
    const got = runSql(S, `SELECT tsvector_to_array(parley_tsv(${lit(t)}))::text`);
    const want = runSql(S, `SELECT tsvector_to_array(${three(lit(t))})::text`);
    assert.equal(got, want, `lexemes of ${JSON.stringify(t)}`);
  }
  // Any non-ASCII byte: the three passes, identical vectors.
  for (const t of ['Тест WebSocket работает', 'Les naïves façades', 'ascii then é']) {
    assert.equal(runSql(S, `SELECT parley_tsv(${lit(t)}) = (${three(lit(t))})`), 't', t);
  }
  // What a post stores.
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const m = await post(a, g.id, texts[0]);
  assert.equal(runSql(S, `SELECT tsvector_to_array(tsv) = tsvector_to_array(${three('content')})
                            FROM messages WHERE id = ${Number(m.id)}`), 't');
});
