'use strict';
// presence.js -- step 8 of `make bench`: BENCH_PRESENCE_USERS users (10,000)
// each in a direct chat with one of 100 watchers (connected WebSockets);
// half of the users start online.  For BENCH_PRESENCE_SECS seconds, 100
// users a second change (50 come online with a new tab, 50 online ones
// close theirs), while every online tab sends its 15 s keepalive report
// (POST /api/presence), as the page does.  Reports: requests sent and
// refused, report latency, presence events received by the watchers (each
// change should reach its one watcher once), and CPU by component.
// Users, chats and the starting presence are created with SQL (registering
// 10,000 users through argon2id would take half an hour); tokens are signed
// with the stack's own secret.  Writes $BENCH_OUT/presence.json.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const WebSocket = require('ws');
const { env, makeClient, summary, round, nowMs, sleep } = require('./lib');

const URL0 = env('BENCH_URL');
const WS_URL = env('BENCH_WS_URL');
const OUT = env('BENCH_OUT');
const VAR = env('PARLEY_VAR');
const NUSERS = Number(process.env.BENCH_PRESENCE_USERS || 10000);
const RATE = Number(process.env.BENCH_PRESENCE_RATE || 100);
const SECS = Number(process.env.BENCH_PRESENCE_SECS || 10);
const NWATCH = 100;
const KEEPALIVE_S = 15;

const conf = fs.readFileSync(path.join(VAR, 'parley.conf'), 'utf8');
const confKey = (k) => (new RegExp(`^${k}\\s*=\\s*(.*)$`, 'm').exec(conf) || [])[1].trim();
const DB = confKey('database_url');
const SECRET = confKey('jwt_secret');
const psql = (sql) => execFileSync('psql', [DB, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql],
  { encoding: 'utf8', maxBuffer: 64 << 20 }).trim();

function token(id, username) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: id, username, iat: now, exp: now + 3600 })}`;
  return `${data}.${crypto.createHmac('sha256', SECRET).update(data).digest('base64url')}`;
}

function cpu(cmd, ...a) { execFileSync('node', [path.join(__dirname, 'cpu.js'), cmd, ...a]); }

(async () => {
  const tag = crypto.randomBytes(3).toString('hex');
  const t0 = nowMs();
  psql(`
    INSERT INTO users (username, password_hash)
      SELECT 'pw${tag}_' || g, 'x' FROM generate_series(0, ${NWATCH - 1}) g;
    INSERT INTO users (username, password_hash)
      SELECT 'pu${tag}_' || g, 'x' FROM generate_series(0, ${NUSERS - 1}) g;
    WITH w AS (SELECT id, substr(username, ${10})::int AS k FROM users WHERE username LIKE 'pw${tag}\\_%'),
         u AS (SELECT id, substr(username, ${10})::int AS i FROM users WHERE username LIKE 'pu${tag}\\_%'),
         pairs AS (SELECT u.id AS uid, w.id AS wid FROM u JOIN w ON w.k = u.i % ${NWATCH}),
         c AS (INSERT INTO chats (kind, direct_key, created_by)
               SELECT 'direct', least(uid, wid) || ':' || greatest(uid, wid), uid FROM pairs
               RETURNING id, created_by)
    INSERT INTO chat_members (chat_id, user_id)
      SELECT c.id, c.created_by FROM c
      UNION ALL SELECT c.id, p.wid FROM c JOIN pairs p ON p.uid = c.created_by;
    INSERT INTO presence_tabs (user_id, tab_id, active, expires_at)
      SELECT id, 't0', true, now() + interval '1 hour' FROM users
       WHERE username LIKE 'pu${tag}\\_%' AND substr(username, 10)::int % 2 = 0;
    INSERT INTO presence_users (user_id, last_seen_at, announced, announced_at)
      SELECT id, now(), 'online', now() - interval '1 minute' FROM users
       WHERE username LIKE 'pu${tag}\\_%' AND substr(username, 10)::int % 2 = 0;`);
  // Statistics for the new rows, as a server with 10,000 users has them
  // (else the first plans are made for nearly empty tables).
  psql('ANALYZE users; ANALYZE chats; ANALYZE chat_members; ANALYZE presence_tabs; ANALYZE presence_users;');
  const rows = psql(`SELECT id, username FROM users WHERE username LIKE 'p_${tag}\\_%' ORDER BY id`).split('\n')
    .map((l) => { const [id, username] = l.split('|'); return { id: Number(id), username, i: Number(username.slice(9)) }; });
  const watchers = rows.filter((r) => r.username.startsWith('pw'));
  const users = rows.filter((r) => r.username.startsWith('pu')).sort((a, b) => a.i - b.i);
  for (const u of users) u.token = token(u.id, u.username);
  const setupMs = round(nowMs() - t0, 0);

  // Watchers connect; count presence frames about our users.
  let frames = 0;
  const socks = await Promise.all(watchers.map((w) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`${WS_URL}?token=${encodeURIComponent(token(w.id, w.username))}`);
    ws.on('message', (d) => { if (d.toString().includes('"type":"presence"')) frames++; });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  })));
  await sleep(500);

  // The schedule: online users (even i at first) keep alive every 15 s,
  // spread evenly; each second 50 offline ones come online and 50 online
  // ones leave.
  const online = new Set(users.filter((u) => u.i % 2 === 0));
  const offline = users.filter((u) => u.i % 2 === 1);
  const leaving = users.filter((u) => u.i % 2 === 0);
  const client = makeClient(URL0, 64);
  const lat = [];
  const status = {};
  let sent = 0;
  let changes = 0;
  const inflight = new Set();
  const report = (u, state) => {
    const t = nowMs();
    sent++;
    const p = client.request('POST', '/api/presence', { token: u.token, body: { tab_id: state === 'gone' ? 't0' : 't1', state: state === 'gone' ? 'gone' : 'active' } })
      .then((r) => { status[r.status] = (status[r.status] || 0) + 1; lat.push(nowMs() - t); })
      .catch(() => { status.error = (status.error || 0) + 1; })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  cpu('snap', path.join(OUT, 'presence-cpu0.json'));
  const start = nowMs();
  const TICK = 50;
  let ka = 0;
  let keepalives = 0;
  for (let tick = 0; tick < (SECS * 1000) / TICK; tick++) {
    const due = start + tick * TICK;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    const per = (RATE * TICK) / 1000 / 2;
    for (let k = 0; k < per; k++) {
      const on = offline.pop();
      if (on) { online.add(on); report(on, 'active'); changes++; }
      const off = leaving.pop();
      if (off) { online.delete(off); report(off, 'gone'); changes++; }
    }
    // Keepalives: every online tab once per 15 s.
    const list = Array.from(online);
    const nka = Math.round((list.length * TICK) / (KEEPALIVE_S * 1000));
    for (let k = 0; k < nka && list.length; k++) { report(list[ka++ % list.length], 'active'); keepalives++; }
  }
  await Promise.all(Array.from(inflight));
  const elapsed = (nowMs() - start) / 1000;
  await sleep(6000);   // debounced changes go out with later reports; wait past the window
  for (let k = 0; k < 20; k++) report(watchers.length ? users[0] : users[0], 'active');
  await Promise.all(Array.from(inflight));
  await sleep(1000);
  cpu('snap', path.join(OUT, 'presence-cpu1.json'));
  cpu('diff', path.join(OUT, 'presence-cpu0.json'), path.join(OUT, 'presence-cpu1.json'), path.join(OUT, 'presence-cpu.json'));
  const c = JSON.parse(fs.readFileSync(path.join(OUT, 'presence-cpu.json'), 'utf8'));
  for (const s of socks) s.terminate();
  client.close();
  const result = {
    users: NUSERS, watchers: NWATCH, changes, changes_per_s: round(changes / elapsed, 1), keepalives,
    reports_per_s: round(sent / elapsed, 1), statuses: status, report_latency: summary(lat),
    events_received: frames, events_per_change: round(frames / Math.max(1, changes), 3),
    cpu_ms: c.cpu_ms, cpu_ms_per_s: Object.fromEntries(Object.entries(c.cpu_ms).map(([k, v]) => [k, round(v / elapsed, 1)])),
    others_pct: c.machine.others_pct, setup_ms: setupMs, elapsed_s: round(elapsed, 2),
  };
  fs.writeFileSync(path.join(OUT, 'presence.json'), JSON.stringify(result, null, 1) + '\n');
  console.error(`bench presence: ${result.changes} changes (${result.changes_per_s}/s) + ${keepalives} keepalives = ${result.reports_per_s} reports/s; ` +
    `statuses ${JSON.stringify(status)}; p50/p99 ${result.report_latency.p50_ms}/${result.report_latency.p99_ms} ms; ` +
    `${frames} presence events received; CPU ms/s ${JSON.stringify(result.cpu_ms_per_s)}`);
  process.exit(0);
})().catch((e) => { console.error(`bench presence: ${e.stack}`); process.exit(1); });
