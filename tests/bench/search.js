'use strict';
// search.js -- step 9 of `make bench`: search latency over a large seeded
// set, and what mentions and a reply add to the cost of a post.
//
// Seeding goes straight into PostgreSQL (one INSERT ... SELECT, the GIN
// index built afterwards): BENCH_SEARCH_MESSAGES messages (default
// 1,000,000) over BENCH_SEARCH_CHATS chats (1,000), the searching user a
// member of BENCH_SEARCH_MINE (200).  Texts are 8 words drawn from a mixed
// English/Russian vocabulary of inflected forms, plus one rare word per 1000
// messages.  Users are made in SQL and get tokens signed with the stack's
// jwt_secret (registration's argon2id would dominate otherwise).
//
// Search: BENCH_SEARCH_QUERIES requests (default 800) at 16 in flight, a
// mix of common words, stems, prefixes, two-word and rare queries; p50/p99.
// Posts: BENCH_POST_ROUNDS rounds (default 10) alternating a batch of plain
// posts and a batch of posts that mention 3 members and reply to a message,
// 4 in flight; the mean of each kind, measured in the same run.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { env, makeClient, pool, pct } = require('./lib');

const URL = env('BENCH_URL');
const VAR = env('PARLEY_VAR');
const OUT = env('BENCH_OUT', VAR);
const N = Number(env('BENCH_SEARCH_MESSAGES', 1000000));
const CHATS = Number(env('BENCH_SEARCH_CHATS', 1000));
const MINE = Number(env('BENCH_SEARCH_MINE', 200));
const QUERIES = Number(env('BENCH_SEARCH_QUERIES', 800));
const ROUNDS = Number(env('BENCH_POST_ROUNDS', 10));
const LIVE = Number(env('BENCH_SEARCH_LIVE', 20000));
const BATCH = 100;

const conf = fs.readFileSync(path.join(VAR, 'parley.conf'), 'utf8');
const confGet = (k) => (conf.match(new RegExp(`^${k}\\s*=\\s*(.*)$`, 'm')) || [])[1].trim();
const DB = confGet('database_url');
const SECRET = confGet('jwt_secret');
const psql = (sql) => execFileSync('psql', [DB, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql],
  { encoding: 'utf8', maxBuffer: 1 << 26 }).trim();

function token(id, username) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ sub: id, username, iat: now, exp: now + 3600 });
  const sig = crypto.createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const WORDS = [
  'работает', 'работать', 'работал', 'работа', 'работы', 'сервер', 'сервера', 'серверу', 'сообщение',
  'сообщения', 'сообщений', 'тест', 'тесты', 'тестировать', 'база', 'базы', 'данных', 'данные', 'поиск',
  'поиска', 'искать', 'ищем', 'проект', 'проекта', 'команда', 'команды', 'задача', 'задачи', 'сегодня',
  'завтра', 'встреча', 'встречи', 'релиз', 'релиза', 'ошибка', 'ошибки', 'исправил', 'исправить',
  'websocket', 'websockets', 'server', 'servers', 'message', 'messages', 'messaging', 'test', 'tests',
  'testing', 'tested', 'database', 'databases', 'search', 'searching', 'searched', 'project', 'projects',
  'team', 'teams', 'task', 'tasks', 'today', 'tomorrow', 'meeting', 'meetings', 'release', 'released',
  'releasing', 'error', 'errors', 'fixed', 'fixing', 'deploy', 'deployed', 'deploying', 'review',
  'reviews', 'reviewed', 'branch', 'branches', 'merge', 'merged', 'merging', 'build', 'builds', 'building',
  'running', 'runs', 'ran', 'the', 'and', 'for', 'with', 'this', 'that', 'from', 'into', 'about',
  'after', 'before', 'quick', 'slow', 'latency', 'throughput', 'index', 'indexes', 'query', 'queries',
  'кластер', 'кластера', 'индекс', 'индексы', 'запрос', 'запросы', 'быстро', 'медленно', 'пользователь',
  'пользователи', 'пользователей', 'чат', 'чаты', 'чатов', 'группа', 'группы',
];

// The GIN index's pending list (pgstattuple), or null where the extension
// cannot be had.
function ginPending() {
  try {
    psql('CREATE EXTENSION IF NOT EXISTS pgstattuple');
    const [pages, tuples] = psql("SELECT pending_pages, pending_tuples FROM pgstatginindex('messages_tsv')").split('|').map(Number);
    return { pages, tuples };
  } catch (e) {
    return null;
  }
}

function seed() {
  const t0 = Date.now();
  const tag = `sb${Date.now().toString(36)}`;
  const vocab = `ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}]`;
  psql(`
    INSERT INTO users (username, password_hash) SELECT '${tag}_' || i, 'x' FROM generate_series(0, 30) i;
    CREATE TEMP TABLE u AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE username LIKE '${tag}\\_%';
    INSERT INTO chats (kind, title, created_by, owner_id)
      SELECT 'group', '${tag} ' || i, (SELECT id FROM u WHERE k = 0), (SELECT id FROM u WHERE k = 0)
        FROM generate_series(1, ${CHATS}) i;`);
  const ids = psql(`SELECT min(id), max(id) FROM chats WHERE title LIKE '${tag} %'`).split('|').map(Number);
  const [c0] = ids;
  const users = psql(`SELECT id || ':' || username FROM users WHERE username LIKE '${tag}\\_%' ORDER BY id`)
    .split('\n').map((l) => { const [id, username] = l.split(':'); return { id: Number(id), username }; });
  const me = users[0];
  // Every chat: 5 of the 30 others; the first MINE chats also the searcher.
  psql(`
    INSERT INTO chat_members (chat_id, user_id)
      SELECT c, ${users[1].id} + ((c * 7 + j) % 30) FROM generate_series(${c0}, ${c0 + CHATS - 1}) c,
             generate_series(0, 4) j ON CONFLICT DO NOTHING;
    INSERT INTO chat_members (chat_id, user_id)
      SELECT c, ${me.id} FROM generate_series(${c0}, ${c0 + MINE - 1}) c ON CONFLICT DO NOTHING;`);
  // The index is built after the rows: far cheaper than row-by-row upkeep.
  // (Rebuilt from its own definition, storage parameters included.)
  const tsvIndex = psql("SELECT pg_get_indexdef('messages_tsv'::regclass)");
  const t1 = Date.now();
  psql(`DROP INDEX messages_tsv;
    INSERT INTO messages (chat_id, sender_id, content, seq)
      SELECT ${c0} + (i % ${CHATS}), ${users[1].id} + ((i % ${CHATS}) * 7 % 30),
             (SELECT string_agg(w[1 + (abs(hashint8(i * 16 + k)) % cardinality(w))], ' ')
                FROM generate_series(1, 8) k)
             || CASE WHEN i % 1000 = 0 THEN ' rare' || (i / 1000) ELSE '' END, 0
        FROM generate_series(1, ${N}) i, (SELECT ${vocab} AS w) v;`);
  const t2 = Date.now();
  psql(`${tsvIndex}; ANALYZE chat_members;`);
  // A running server's older rows have been vacuumed (all-visible, the GIN
  // pending list merged) and its newest ones not yet.  Vacuum the seeded
  // rows now, before the live ones: otherwise autovacuum comes for the
  // million new rows at a moment of its own choosing, often during the
  // timed searches, and its CPU counts as PostgreSQL's per search.
  psql('VACUUM (ANALYZE) messages');
  const t3 = Date.now();
  // Then LIVE messages one INSERT each, as posts arrive: a GIN index with
  // fastupdate keeps new entries in its pending list (every GIN search
  // reads all of it) until the list outgrows gin_pending_list_limit or a
  // vacuum flushes it.  An index built after the rows has no pending list,
  // which no running server has.
  psql(`DO $$
    DECLARE w text[] := ${vocab};
    BEGIN
      FOR i IN ${N + 1} .. ${N + LIVE} LOOP
        INSERT INTO messages (chat_id, sender_id, content, seq)
        VALUES (${c0} + (i % ${CHATS}), ${users[1].id} + ((i % ${CHATS}) * 7 % 30),
                (SELECT string_agg(w[1 + (abs(hashint8(i * 16 + k)) % cardinality(w))], ' ')
                   FROM generate_series(1, 8) k), 0);
      END LOOP;
    END $$;`);
  const t4 = Date.now();
  const pending = ginPending();
  const sizes = psql(`SELECT pg_relation_size('messages_tsv'), pg_relation_size('messages'), pg_total_relation_size('messages'), (SELECT count(*) FROM messages)`).split('|').map(Number);
  return { me, c0, insertMs: t2 - t1, indexMs: t3 - t2, liveMs: t4 - t3, seedMs: t4 - t0, pending, indexBytes: sizes[0],
    tableBytes: sizes[1], totalBytes: sizes[2], rows: sizes[3], users };
}

// Each query's class: how it reaches the database (the last word is always
// matched as a prefix too).
function queryClasses() {
  const rare = `rare${Math.floor(N / 2000)}`;
  return {
    'работать': 'Russian stem', 'сервер': 'Russian', 'индексы': 'Russian', 'websoc': 'prefix',
    'пользовател': 'prefix', 'qu': 'prefix', 'message': 'common', 'running': 'common',
    'deploy release': 'two words', 'база данных': 'two words', 'тест websocket': 'two words',
    [rare]: 'rare',
  };
}

async function searchBench(s, client) {
  const tok = token(s.me.id, s.me.username);
  const classOf = queryClasses();
  const qs = Object.keys(classOf);
  const lat = []; const byQ = {};
  let bad = 0; let hits = 0;
  const items = Array.from({ length: QUERIES }, (_, i) => qs[i % qs.length]);
  // Warm-up: each query four times, 16 in flight, so that every FastCGI
  // worker's database session has loaded the Russian and English
  // dictionaries (~0.3 s, once per session) before the clock starts.
  await pool(Array.from({ length: qs.length * 4 }, (_, i) => qs[i % qs.length]), 16,
    (q) => client.request('GET', `/api/search?q=${encodeURIComponent(q)}`, { token: tok }));
  const cpu = (...args) => execFileSync(process.execPath, [path.join(__dirname, 'cpu.js'), ...args]);
  cpu('snap', path.join(OUT, 'cpu-s0.json'));
  const t0 = Date.now();
  await pool(items, 16, async (q) => {
    const a = process.hrtime.bigint();
    const r = await client.request('GET', `/api/search?q=${encodeURIComponent(q)}`, { token: tok });
    const ms = Number(process.hrtime.bigint() - a) / 1e6;
    if (r.status !== 200) bad++; else hits += r.json.results.length;
    lat.push(ms);
    (byQ[q] = byQ[q] || []).push(ms);
  });
  const secs = (Date.now() - t0) / 1000;
  // CPU of the stack's processes during the timed searches only, per search.
  cpu('snap', path.join(OUT, 'cpu-s1.json'));
  cpu('diff', path.join(OUT, 'cpu-s0.json'), path.join(OUT, 'cpu-s1.json'), path.join(OUT, 'cpu-searches.json'));
  const used = JSON.parse(fs.readFileSync(path.join(OUT, 'cpu-searches.json'), 'utf8'));
  const cpuPer = {};
  for (const [k, v] of Object.entries(used.cpu_ms)) cpuPer[k] = v / lat.length;
  const per = {};
  for (const [q, v] of Object.entries(byQ)) per[q] = { cls: classOf[q], p50: pct(v, 50), p99: pct(v, 99) };
  const byClass = {};
  for (const [q, v] of Object.entries(byQ)) (byClass[classOf[q]] = byClass[classOf[q]] || []).push(...v);
  const perClass = {};
  for (const [c, v] of Object.entries(byClass)) perClass[c] = { n: v.length, p50: pct(v, 50), p99: pct(v, 99) };
  return { n: lat.length, bad, hits, rps: lat.length / secs, secs, p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat), per, perClass,
    cpuPer, othersPct: used.machine.others_pct, load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
}

// The same queries from wrk (16 connections, 2 threads): a load generator
// far lighter than Node's HTTP client, which on these two cores takes CPU
// the server would otherwise have.  p50/p99 from wrk's own histogram; CPU
// per search of the stack and of wrk itself.
function wrkBench(s) {
  const secs = Number(env('BENCH_SEARCH_WRK_SECS', 10));
  const tokFile = path.join(OUT, 'search-token.txt');
  const pathsFile = path.join(OUT, 'search-paths.txt');
  const resFile = path.join(OUT, 'search-wrk.json');
  fs.writeFileSync(tokFile, `${token(s.me.id, s.me.username)}\n`);
  fs.writeFileSync(pathsFile, Object.keys(queryClasses()).map((q) => `/api/search?q=${encodeURIComponent(q)}`).join('\n') + '\n');
  const cpu = (...args) => execFileSync(process.execPath, [path.join(__dirname, 'cpu.js'), ...args]);
  cpu('snap', path.join(OUT, 'cpu-w0.json'));
  const timeFile = path.join(OUT, 'search-wrk.time');
  // bash's `time` gives wrk's own CPU ("user sys"), for cpu.js.
  const out = execFileSync('bash', ['-c', 'TIMEFORMAT="%U %S"; { time wrk "$@" 2>&3; } 3>&2 2>"$BENCH_TIME"', 'bash',
    '-t2', '-c16', `-d${secs}s`, '--timeout', '5s', '--latency', '-s', path.join(__dirname, 'search.lua'), URL], {
    encoding: 'utf8', timeout: (secs + 30) * 1000,
    env: { ...process.env, BENCH_TOKEN_FILE: tokFile, BENCH_SEARCH_PATHS: pathsFile, BENCH_RESULT: resFile, BENCH_TIME: timeFile },
  });
  cpu('snap', path.join(OUT, 'cpu-w1.json'));
  cpu('diff', path.join(OUT, 'cpu-w0.json'), path.join(OUT, 'cpu-w1.json'), path.join(OUT, 'cpu-wrk.json'), timeFile);
  const r = JSON.parse(fs.readFileSync(resFile, 'utf8'));
  const used = JSON.parse(fs.readFileSync(path.join(OUT, 'cpu-wrk.json'), 'utf8'));
  const cpuPer = {};
  for (const [k, v] of Object.entries(used.cpu_ms)) cpuPer[k] = v / r.requests;
  const bad = Object.values(r.errors).reduce((x, y) => x + y, 0);
  return { ...r, bad, cpuPer, clientPer: used.client_ms / r.requests, othersPct: used.machine.others_pct, raw: out.length };
}

async function postBench(s, client) {
  // A small group of 5 (the searcher + 4): mentions name 3 of them.
  const members = s.users.slice(1, 5);
  const me = s.me;
  const tok = token(me.id, me.username);
  const r = await client.request('POST', '/api/chats', { token: tok, body: { title: 'post bench', member_ids: members.map((m) => m.id) } });
  if (r.status !== 201) throw new Error(`group: ${r.status} ${r.text}`);
  const chat = r.json.id;
  const first = await client.request('POST', `/api/chats/${chat}/messages`, { token: tok, body: { content: 'the original' } });
  const replyTo = first.json.id;
  const mention = members.slice(0, 3).map((m) => `@${m.username}`).join(' ');
  const plain = []; const rich = [];
  let bad = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 ? ['rich', 'plain'] : ['plain', 'rich']) {
      const out = kind === 'plain' ? plain : rich;
      await pool(Array.from({ length: BATCH }, (_, i) => i), 4, async (i) => {
        const body = kind === 'plain'
          ? { content: `plain post ${round} ${i} about the release` }
          : { content: `${mention} post ${round} ${i} about the release`, reply_to_id: replyTo };
        const a = process.hrtime.bigint();
        const p = await client.request('POST', `/api/chats/${chat}/messages`, { token: tok, body });
        out.push(Number(process.hrtime.bigint() - a) / 1e6);
        if (p.status !== 201) bad++;
      });
    }
  }
  const mean = (v) => v.reduce((x, y) => x + y, 0) / v.length;
  return { n: plain.length + rich.length, bad, plainMean: mean(plain), richMean: mean(rich),
    plainP50: pct(plain, 50), richP50: pct(rich, 50), overheadPct: (mean(rich) / mean(plain) - 1) * 100 };
}

(async () => {
  const client = makeClient(URL, 32);
  process.stderr.write(`bench: search: seeding ${N} messages in ${CHATS} chats (searcher in ${MINE})\n`);
  const s = seed();
  process.stderr.write(`bench: search: seeded ${s.rows} rows in ${(s.seedMs / 1000).toFixed(0)} s (insert ${(s.insertMs / 1000).toFixed(0)} s, GIN index + VACUUM ${(s.indexMs / 1000).toFixed(0)} s)\n`);
  const search = await searchBench(s, client);
  const wrkRes = wrkBench(s);
  const posts = await postBench(s, client);
  client.close();
  const res = { seed: { ...s, users: undefined, me: undefined }, search, wrk: wrkRes, posts };
  fs.writeFileSync(path.join(OUT, 'search.json'), JSON.stringify(res, null, 2));
  const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
  console.log(`search: ${s.rows} messages (${CHATS} chats, searcher in ${MINE}); GIN index ${mb(s.indexBytes)}, messages table ${mb(s.tableBytes)} (${mb(s.totalBytes)} with indexes)`);
  console.log(`search: ${search.n} queries at 16 in flight: p50 ${search.p50.toFixed(1)} ms, p99 ${search.p99.toFixed(1)} ms, max ${search.max.toFixed(1)} ms, ${search.rps.toFixed(0)} req/s, ${search.bad} errors`);
  const c = search.cpuPer;
  console.log(`search: CPU per search ${(c.postgres + c.api + c.lighttpd).toFixed(2)} ms: PostgreSQL ${c.postgres.toFixed(2)}, FastCGI ${c.api.toFixed(2)}, lighttpd ${c.lighttpd.toFixed(2)}; others used ${search.othersPct} % of the machine; load ${search.load}`);
  const w = wrkRes.cpuPer;
  console.log(`search (wrk): ${wrkRes.requests} queries, 16 connections, ${wrkRes.duration_s.toFixed(0)} s: p50 ${wrkRes.p50_ms.toFixed(1)} ms, p99 ${wrkRes.p99_ms.toFixed(1)} ms, max ${wrkRes.max_ms.toFixed(1)} ms, ${wrkRes.rps.toFixed(0)} req/s, ${wrkRes.bad} errors`);
  console.log(`search (wrk): CPU per search ${(w.postgres + w.api + w.lighttpd).toFixed(2)} ms: PostgreSQL ${w.postgres.toFixed(2)}, FastCGI ${w.api.toFixed(2)}, lighttpd ${w.lighttpd.toFixed(2)}; wrk ${wrkRes.clientPer.toFixed(2)}; others used ${wrkRes.othersPct} % of the machine`);
  if (s.pending) console.log(`search: ${LIVE} live inserts after the index build (${(s.liveMs / 1000).toFixed(0)} s); GIN pending list ${s.pending.pages} pages, ${s.pending.tuples} entries`);
  for (const [q, v] of Object.entries(search.per)) console.log(`search:   ${q.padEnd(16)} ${v.cls.padEnd(13)} p50 ${v.p50.toFixed(1)} ms  p99 ${v.p99.toFixed(1)} ms`);
  for (const [c, v] of Object.entries(search.perClass)) console.log(`search: class ${c.padEnd(13)} n ${String(v.n).padEnd(4)} p50 ${v.p50.toFixed(1)} ms  p99 ${v.p99.toFixed(1)} ms`);
  console.log(`posts: ${posts.n} at 4 in flight: plain mean ${posts.plainMean.toFixed(2)} ms (p50 ${posts.plainP50.toFixed(2)}), 3 mentions + reply mean ${posts.richMean.toFixed(2)} ms (p50 ${posts.richP50.toFixed(2)}): ${posts.overheadPct >= 0 ? '+' : ''}${posts.overheadPct.toFixed(1)} %, ${posts.bad} errors`);
})().catch((e) => { console.error(e); process.exit(1); });
