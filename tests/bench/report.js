'use strict';
// report.js -- reads the per-step results in $BENCH_OUT, prints the summary
// table (each figure beside its same-run baseline and goal) and writes the
// same data as JSON to the path given as argv[2].
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { env, round } = require('./lib');

const OUT = env('BENCH_OUT');
const dest = process.argv[2];
const load = (name) => { try { return JSON.parse(fs.readFileSync(path.join(OUT, `${name}.json`), 'utf8')); } catch (e) { return null; } };

function pgbench(conns) {
  try {
    const t = fs.readFileSync(path.join(OUT, `pgbench-${conns}.txt`), 'utf8');
    const tps = /tps = ([\d.]+)/.exec(t);
    const lat = /latency average = ([\d.]+) ms/.exec(t);
    const n = /actually processed: (\d+)/.exec(t);
    return tps ? { tps: round(Number(tps[1]), 1), latency_avg_ms: lat ? Number(lat[1]) : null, transactions: n ? Number(n[1]) : null } : null;
  } catch (e) { return null; }
}

const rows = [];
const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'PASS' : 'MISS');
const f = (x, d = 1) => (x === null || x === undefined ? '-' : Number(x).toFixed(d));
const lat = (o) => (o ? `p50 ${f(o.p50_ms, 2)} / p99 ${f(o.p99_ms, 2)} ms` : '-');
function add(figure, measured, baseline, goal, ok) { rows.push({ figure, measured, baseline, goal, verdict: verdict(ok) }); }

const results = {
  when: new Date().toISOString(), host: { cpus: os.cpus().length, mem_mib: Math.round(os.totalmem() / 1048576), loadavg: os.loadavg().map((x) => round(x, 2)) },
  steps: (process.env.BENCH_STEPS || '').trim(), elapsed_s: Number(process.env.BENCH_ELAPSED || 0),
  seed: load('seed-stats'), http: {}, e2e: load('e2e'), idle: load('idle'), fanout: load('fanout'), files: load('files'),
};

// Step 1
for (const c of [16, 64]) {
  const post = load(`wrk-post-${c}`), pg = pgbench(c);
  const chats = load(`wrk-chats-${c}`), health = load(`wrk-health-${c}`);
  results.http[c] = { post, pgbench_insert: pg, chats, health };
  if (post || pg) {
    const ratio = post && pg ? post.rps / pg.tps : null;
    results.http[c].post_vs_pgbench = ratio === null ? null : round(ratio, 3);
    const errs = post ? Object.values(post.errors).reduce((a, b) => a + b, 0) : 0;
    add(`1 POST message, ${c} conns`, post ? `${f(post.rps, 0)} req/s, ${lat(post)}${errs ? `, ${errs} errors` : ''}` : 'failed',
      pg ? `pgbench INSERT ${f(pg.tps, 0)} tps (avg ${f(pg.latency_avg_ms, 2)} ms)` : 'failed',
      `>= 70% of pgbench${ratio !== null ? ` (is ${f(ratio * 100, 1)}%)` : ''}`, ratio === null ? null : ratio >= 0.7 && errs === 0);
  }
  if (chats) {
    const errs = Object.values(chats.errors).reduce((a, b) => a + b, 0);
    add(`1 GET /api/chats (${results.seed ? results.seed.heavy_chats : '?'} chats), ${c} conns`,
      `${f(chats.rps, 0)} req/s, ${lat(chats)}${errs ? `, ${errs} errors` : ''}`,
      health ? `GET /api/health ${f(health.rps, 0)} req/s, ${lat(health)}` : '-', 'p99 < 10 ms', chats.p99_ms < 10 && errs === 0);
  }
}

{
  // The write function alone (pgbench, 16 clients) beside the POST figure:
  // the difference is what HTTP, lighttpd and FastCGI add.
  const fn = pgbench('postfn-16'), post = results.http[16] && results.http[16].post;
  results.http.post_function_16 = fn;
  if (fn) {
    add('1 parley_post() alone (pgbench), 16 conns', `${f(fn.tps, 0)} calls/s (avg ${f(fn.latency_avg_ms, 2)} ms)`,
      post ? `POST ${f(post.rps, 0)} req/s` : '-', '-', null);
  }
  // Where the function's time goes: the same posts' rows written by one
  // plain statement (the floor of one transaction a post), and the function
  // eight calls to a transaction (what a commit costs a post).
  const floor = pgbench('postfloor-16'), fn8 = pgbench('postfn8-16');
  results.http.post_floor_16 = floor;
  results.http.post_function_x8_16 = fn8;
  if (floor) {
    add('1 a post\'s rows alone, one plain statement (pgbench), 16 conns',
      `${f(floor.tps, 0)} posts/s (avg ${f(floor.latency_avg_ms, 2)} ms)`,
      fn ? `parley_post() ${f(fn.tps, 0)} calls/s` : '-', '-', null);
  }
  const floor4 = pgbench('postfloor4-8');
  results.http.post_floor_x4_8 = floor4;
  if (floor4) {
    add('1 four posts\' rows in one plain statement (pgbench), 8 conns',
      `${f(floor4.tps * 4, 0)} posts/s (${f(floor4.tps, 0)} tps)`,
      floor ? `one a statement ${f(floor.tps, 0)} posts/s` : '-', '-', null);
  }
  if (fn8) {
    add('1 parley_post() x 8 per transaction (pgbench), 16 conns',
      `${f(fn8.tps * 8, 0)} calls/s (${f(fn8.tps, 0)} tps)`,
      fn ? `one per transaction ${f(fn.tps, 0)} calls/s` : '-', '-', null);
  }
  // The same function posting to the fan-out group (one client): the
  // database's share of a fan-out.
  const grp = pgbench('postgroup-1');
  results.http.post_function_group_1 = grp;
  if (grp) {
    add(`1 parley_post() to the ${results.seed ? results.seed.fanout_members : '?'}-member group alone (pgbench), 1 conn`,
      `${f(grp.tps, 0)} calls/s (avg ${f(grp.latency_avg_ms, 2)} ms)`, '-', '-', null);
  }
  const hist = load('wrk-chatshist-16');
  results.http.chats_history_16 = hist;
  if (hist) {
    const errs = Object.values(hist.errors).reduce((a, b) => a + b, 0);
    add('1 GET /api/chats (200 chats, 100,000 messages), 16 conns',
      `${f(hist.rps, 0)} req/s, ${lat(hist)}${errs ? `, ${errs} errors` : ''}`,
      results.http[16] && results.http[16].chats ? `same list, 200 messages: ${lat(results.http[16].chats)}` : '-',
      'p99 < 10 ms', hist.p99_ms < 10 && errs === 0);
  }
}
{
  const p1 = load('wrk-post-1'), c1 = load('wrk-chats-1'), h1 = load('wrk-health-1');
  results.http[1] = { post: p1, chats: c1, health: h1 };
  if (p1 || c1) {
    add('1 one connection (service time)', `POST ${lat(p1)}; GET /api/chats ${lat(c1)}`,
      `GET /api/health ${lat(h1)}`, '-', null);
  }
}

// CPU per request by component (this stack's processes only), the load
// generator's, and the share of the machine other processes took meanwhile.
function cpuFile(tag) {
  try { return JSON.parse(fs.readFileSync(path.join(OUT, `cpu-${tag}.json`), 'utf8')); } catch (e) { return null; }
}
function cpu(tag, requests) {
  const c = cpuFile(tag);
  if (!c || !requests) return null;
  const per = {};
  for (const [k, v] of Object.entries(c.cpu_ms)) per[k] = round(v / requests, 3);
  per.client = c.client_ms === null ? null : round(c.client_ms / requests, 3);
  per.total = round(Object.values(per).reduce((a, b) => a + (b || 0), 0), 3);
  per.capacity_rps_2_cores = per.total > 0 ? Math.round(2000 / per.total) : null;
  per.others_pct = c.machine ? c.machine.others_pct : null;
  return per;
}
results.cpu_ms_per_request = {};
for (const tag of ['post-16', 'post-64', 'post-1', 'chats-16', 'chats-64', 'chats-1', 'chatshist-16', 'health-16', 'health-64', 'health-1']) {
  const w = load(`wrk-${tag}`);
  const c = w && cpu(tag, w.requests);
  if (c) results.cpu_ms_per_request[tag] = c;
}
for (const n of [16, 64]) {
  const pg = results.http[n] && results.http[n].pgbench_insert;
  const c = pg && cpu(`pgbench-${n}`, pg.transactions);
  if (c) results.cpu_ms_per_request[`pgbench-${n}`] = c;
}
if (results.http.post_function_16) {
  const c = cpu('pgbench-postfn-16', results.http.post_function_16.transactions);
  if (c) results.cpu_ms_per_request['pgbench-postfn-16'] = c;
}
for (const [key, tag, per] of [['post_floor_16', 'pgbench-postfloor-16', 1],
                                 ['post_function_x8_16', 'pgbench-postfn8-16', 8],
                                 ['post_floor_x4_8', 'pgbench-postfloor4-8', 4]]) {
  const r = results.http[key];
  const c = r && cpu(tag, r.transactions * per);   // per post, not per transaction
  if (c) results.cpu_ms_per_request[tag] = c;
}
if (results.http.post_function_group_1) {
  const c = cpu('pgbench-postgroup-1', results.http.post_function_group_1.transactions);
  if (c) results.cpu_ms_per_request['pgbench-postgroup-1'] = c;
}
results.others_pct = {};
results.steps_cpu_ms = {};
for (const tag of ['idle', 'e2e', 'fanout']) {
  const c = cpuFile(tag);
  if (c && c.machine) { results.others_pct[tag] = c.machine.others_pct; results.steps_cpu_ms[tag] = { ...c.cpu_ms, client: c.client_ms, others: c.machine.others_ms }; }
}

// Step 2
if (results.e2e && results.e2e.steps) {
  for (const r of results.e2e.steps) {
    const c = r.cpu_ms_per_message || {};
    add(`2 POST -> frame via /ws @ ${r.target_rate}/s`,
      `${lat(r.e2e)}, ${r.achieved_rate}/s created, lost ${r.lost}, dup ${r.duplicated}, refused ${r.refused}`,
      `CPU ms/msg: pg ${c.postgres} api ${c.api} lighttpd ${c.lighttpd} wsd ${c.wsd}; load generator wrk ${c.wrk} + receiver ${c.receiver}; load ${r.load_avg_1m}`,
      `p99 <= ${results.e2e.p99_goal_ms} ms, 0 lost`, r.ok);
  }
  add('2 end-to-end saturation (64 senders)', `${results.e2e.saturation_rate}/s`, 'POST-only: step 1 post-64', '>= 3000/s',
    results.e2e.saturation_rate >= 3000);
}

// Step 3
if (results.idle) {
  const i = results.idle;
  add('3 idle WebSockets held', `${i.held}/${i.requested} (daemon: ${i.daemon_reports}), ${f(i.kib_per_conn, 2)} KiB/conn`,
    `VmRSS ${i.rss_before_kib} KiB at 0 conns -> ${i.rss_after_kib} KiB`, `all held, < 4 KiB/conn`,
    i.kib_per_conn === null ? null : i.held === i.requested && i.kib_per_conn < 4);
}

// Step 4
if (results.fanout) {
  const o = results.fanout;
  add(`4 fan-out to ${o.connected} members (last frame)`, `${lat(o.last)}, missing ${o.frames_missing} frames`,
    `first frame ${lat(o.first)}`, 'last < 50 ms', o.last.n ? o.last.p99_ms < 50 && o.frames_missing === 0 : null);
  add('4 fan-out: first -> last frame', lat(o.spread_first_to_last), `POST answered ${lat(o.http)}`, '-', null);
}
// Step 5
if (results.files) {
  const o = results.files;
  add('5 10 MiB download via API (X-Sendfile)', `${f(o.sendfile_mib_per_s)} MiB/s, FastCGI CPU ${f(o.api_cpu_ms_per_download, 2)} ms/download${o.non2xx ? `, ${o.non2xx} errors` : ''}`,
    `lighttpd static ${f(o.static_mib_per_s)} MiB/s`, `>= 90% of static (is ${f(o.ratio * 100, 1)}%)`, o.ratio >= 0.9 && !o.non2xx);
}
if (process.env.BENCH_WSD_OK === '0') add('2-4 WebSocket steps', 'skipped: ws-daemon not running', '-', '-', null);

results.table = rows;
fs.writeFileSync(dest, JSON.stringify(results, null, 2) + '\n');

// Print
const cols = ['figure', 'measured', 'baseline', 'goal', 'verdict'];
const head = { figure: 'Figure', measured: 'Measured', baseline: 'Baseline (same run)', goal: 'Goal', verdict: '' };
const w = cols.map((c) => Math.max(head[c].length, ...rows.map((r) => String(r[c]).length)));
const line = (r) => cols.map((c, i) => String(r[c]).padEnd(w[i])).join(' | ').trimEnd();
console.log('');
console.log(`Parley benchmarks (${results.host.cpus} cores, load ${results.host.loadavg.join(' ')}, ${results.elapsed_s} s)`);
if (results.seed) console.log(`seed: ${results.seed.users} users registered in ${results.seed.register_seconds} s (concurrency ${results.seed.register_concurrency})`);
console.log(line(head));
console.log(w.map((n) => '-'.repeat(n)).join('-|-'));
for (const r of rows) console.log(line(r));
const cpuRows = Object.entries(results.cpu_ms_per_request);
if (cpuRows.length) {
  const keys = ['postgres', 'api', 'lighttpd', 'wsd', 'client', 'total', 'capacity_rps_2_cores', 'others_pct'];
  console.log('\nCPU ms per request: this stack by component, the load generator (client), and');
  console.log('capacity = 2 cores / total; others_pct = share of all cores used meanwhile by other processes');
  const width = (k) => Math.max(k.length, 8);
  console.log(['run'.padEnd(10), ...keys.map((k) => k.padStart(width(k)))].join(' '));
  for (const [tag, c] of cpuRows) console.log([tag.padEnd(10), ...keys.map((k) => String(c[k] ?? '-').padStart(width(k)))].join(' '));
}
if (Object.keys(results.others_pct).length) {
  console.log(`others_pct during steps 3/2/4: ${Object.entries(results.others_pct).map(([k, v]) => `${k} ${v}%`).join(', ')}`);
}
console.log(`\nresults: ${path.relative(process.cwd(), dest)}`);
