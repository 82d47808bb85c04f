'use strict';
// idle.js -- step 3: how much daemon memory an idle authenticated WebSocket
// costs.  Opens BENCH_CONNS connections (direct to ws-daemon) from
// BENCH_CONN_PROCS child processes, waits for every `connected` frame, and
// compares the daemon's VmRSS with the figure at 0 connections (baseline).
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { env, readJson, writeResult, log, round, sleep } = require('./lib');
const { spawnChildren, closeChildren } = require('./children');

const OUT = env('BENCH_OUT');
// BENCH_WS_URLS (a comma list, e.g. the fronts of several namespace hosts)
// instead of BENCH_WS_URL: client process k connects to URL k mod count.
const URLS = (process.env.BENCH_WS_URLS || env('BENCH_WS_URL')).split(',').filter(Boolean);
const WS = URLS[0];
// WSD_PID: the process(es) whose memory is measured, comma-separated
// (step 5: lighttpd's parent and its workers), summed.  BENCH_RSS_KINDS
// (optional) adds a figure per process kind: "lighttpd=1,2;wsd=3,4".
const PIDS = env('WSD_PID').split(',').filter(Boolean).map(Number);
const KINDS = (process.env.BENCH_RSS_KINDS || '').split(';').filter(Boolean).map((k) => {
  const [name, list] = k.split('=');
  return { name, pids: list.split(',').filter(Boolean).map(Number) };
});
const N = Number(env('BENCH_CONNS', 19000));
const OPEN_MS = Number(env('BENCH_OPEN_TIMEOUT_MS', 150000));   // for all of one process's connections
const PROCS = Number(env('BENCH_CONN_PROCS', 4));
const PER_USER = Number(env('BENCH_CONNS_PER_USER', 32));   // the daemon's default ws_max_conns_per_user
// Handshakes in flight per client process: the whole run has PROCS times
// this many, and a daemon upgrades 64 at a time (its header pool).
const CONCURRENCY = Number(env('BENCH_OPEN_CONCURRENCY', 64));
// Step 5 reuses this file through lighttpd's /ws: BENCH_WS_URL is then the
// front's URL, WSD_PID lighttpd's pids and BENCH_IDLE_TAG "idle-front".

function rssOf(pids) {
  const out = { rss: 0, hwm: 0, fds: 0, each: [] };
  for (const pid of pids) {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k) => { const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s); return m ? Number(m[1]) : 0; };
    out.rss += get('VmRSS');
    out.hwm += get('VmHWM');
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    out.fds += fds;
    out.each.push(fds);
  }
  return out;
}
const rssKiB = () => rssOf(PIDS);
const kindsKiB = () => Object.fromEntries(KINDS.map((k) => [k.name, rssOf(k.pids)]));

// The daemon's own count, from its /metrics page (same port).
function metrics() {
  const u = new URL(WS);
  return new Promise((resolve) => {
    // BENCH_METRICS_SOCKET: the daemon listens on a unix socket (behind the front).
    const where = process.env.BENCH_METRICS_SOCKET ? { socketPath: process.env.BENCH_METRICS_SOCKET } : { host: u.hostname, port: u.port };
    const req = http.get({ ...where, path: '/metrics', timeout: 5000 }, (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => {
        const m = /^parley_ws_connections (\d+)/m.exec(b);
        resolve(m ? Number(m[1]) : null);
      });
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => { req.destroy(); resolve(null); });
  });
}

async function main() {
  const seed = readJson(path.join(OUT, 'seed.json'));
  const users = seed.users;
  const capacity = users.length * PER_USER;
  const n = Math.min(N, capacity);
  if (n < N) log(`only ${users.length} users x ${PER_USER} connections each: opening ${n} instead of ${N}`);
  // Round-robin over users, so each holds at most ceil(n / users) connections.
  const tokens = Array.from({ length: n }, (_, i) => users[i % users.length].token);

  await sleep(500);
  const before = rssKiB();
  const kindsBefore = kindsKiB();
  const beforeCount = await metrics();
  log(`step 3: pid(s) ${PIDS}, VmRSS ${before.rss} KiB with ${beforeCount} connections; opening ${n} in ${PROCS} processes`);

  const kids = spawnChildren(PROCS);
  const slices = kids.map((_, k) => tokens.filter((__, i) => i % PROCS === k));
  const t0 = Date.now();
  // Every 10 s: what the clients hold and how many of those closed again
  // (by close code), so a run that loses sockets shows when it started.
  const progress = setInterval(async () => {
    const st = await Promise.all(kids.map((k) => k.ask({ cmd: 'status' }, 'status', 10000).catch(() => null)));
    const codes = {};
    let open = 0, closed = 0;
    for (const s of st.filter(Boolean)) {
      open += s.open; closed += s.closed;
      for (const [c, v] of Object.entries(s.closeCodes)) codes[c] = (codes[c] || 0) + v;
    }
    log(`  ... ${Math.round((Date.now() - t0) / 1000)} s: clients hold ${open}, ${closed} closed again ${JSON.stringify(codes)}; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
  }, 10000);
  const opened = await Promise.all(kids.map((k, i) => k.ask({ cmd: 'open', url: URLS[i % URLS.length], tokens: slices[i], concurrency: CONCURRENCY, timeoutMs: OPEN_MS }, 'opened', OPEN_MS + 50000)
    .catch((e) => ({ ok: 0, failed: slices[i].length, reasons: { [e.message]: 1 }, secs: 0 }))));
  const openSecs = (Date.now() - t0) / 1000;
  const ok = opened.reduce((a, o) => a + o.ok, 0);
  const reasons = {};
  for (const o of opened) for (const [k, v] of Object.entries(o.reasons)) reasons[k] = (reasons[k] || 0) + v;
  log(`opened ${ok}/${n} in ${openSecs.toFixed(1)} s${Object.keys(reasons).length ? ' failures: ' + JSON.stringify(reasons) : ''}`);

  // Let allocations settle, then measure; check that nothing dropped meanwhile.
  // BENCH_IDLE_HOLD_SECS longer than the daemons' ping interval (25 s) makes
  // "held" mean held through ping rounds, not only opened.
  await sleep(Math.max(2000, Number(process.env.BENCH_IDLE_HOLD_SECS || 0) * 1000));
  clearInterval(progress);
  const after = rssKiB();
  const kindsAfter = kindsKiB();
  const daemonCount = await metrics();
  const st = await Promise.all(kids.map((k) => k.ask({ cmd: 'status' }, 'status', 10000).catch(() => ({ open: 0, closed: 0, closeCodes: {} }))));
  const held = st.reduce((a, s) => a + s.open, 0);
  const dropped = st.reduce((a, s) => a + s.closed, 0);
  const perConn = held > 0 ? (after.rss - before.rss) / held : null;
  log(`held ${held} (daemon says ${daemonCount}), VmRSS ${before.rss} -> ${after.rss} KiB = ${perConn === null ? '-' : perConn.toFixed(2)} KiB/connection`);

  const perKind = {};
  for (const k of KINDS) {
    const b = kindsBefore[k.name], a = kindsAfter[k.name];
    perKind[k.name] = { pids: k.pids.length, rss_before_kib: b.rss, rss_after_kib: a.rss, fds_after: a.fds, fds_each: a.each,
      kib_per_conn: held > 0 ? round((a.rss - b.rss) / held, 2) : null };
    log(`  ${k.name} (${k.pids.length} process(es)): VmRSS ${b.rss} -> ${a.rss} KiB = ${perKind[k.name].kib_per_conn} KiB/connection, ${a.fds} descriptors (${a.each.join(' + ')})`);
  }

  await closeChildren(kids);
  await sleep(1000);
  const afterClose = rssKiB();
  writeResult(process.env.BENCH_IDLE_TAG || 'idle', {
    requested: N, attempted: n, held, daemon_reports: daemonCount, dropped_while_held: dropped,
    failures: reasons, open_seconds: round(openSecs, 1), connects_per_s: round(ok / openSecs, 0),
    hold_seconds: Math.max(2, Number(process.env.BENCH_IDLE_HOLD_SECS || 0)),
    rss_before_kib: before.rss, rss_after_kib: after.rss, rss_after_close_kib: afterClose.rss,
    hwm_kib: after.hwm, fds_before: before.fds, fds_after: after.fds,
    kib_per_conn: round(perConn, 2), client_procs: PROCS, per_kind: perKind,
  });
}

main().catch((e) => { log('step 3 failed:', e.stack || e); process.exit(1); });
