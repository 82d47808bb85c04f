'use strict';
// fanout.js -- step 4: one POST to a group of BENCH_FANOUT_MEMBERS members,
// every member connected once (to BENCH_WS_URL: make bench gives lighttpd's /ws, connections spread over
// BENCH_FANOUT_PROCS child processes); time from the start of the POST until
// the LAST member's new_message frame arrives.  Baseline: until the FIRST
// member has it.  BENCH_FANOUT_POSTS posts, BENCH_FANOUT_GAP_MS apart.
// Times come from process.hrtime (CLOCK_MONOTONIC), which every process on
// the machine shares, so the children's arrival times compare directly.
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { env, makeClient, readJson, writeResult, log, summary, round, sleep } = require('./lib');
const { spawnChildren, spawnReaders, closeChildren } = require('./children');

const OUT = env('BENCH_OUT');
const URL_ = env('BENCH_URL');
const WS = env('BENCH_WS_URL');
const POSTS = Number(env('BENCH_FANOUT_POSTS', 20));
const GAP = Number(env('BENCH_FANOUT_GAP_MS', 300));
const PROCS = Number(env('BENCH_FANOUT_PROCS', 2));
// Who reads the members' sockets (BENCH_FANOUT_READER):
//   c   (default when built): tests/bench/fanout-reader.c, one epoll loop
//       per process, arrival stamped right after read(): 12-15 us of CPU
//       per frame against 29-56 us for `raw` (docs/bench.md), most of it
//       the kernel's read path;
//   raw: ws-child.js's minimal Node client (the default before);
//   ws:  ws-child.js with the `ws` library (BENCH_FANOUT_RAW=0 also picks it).
const READER_BIN = path.resolve(__dirname, '../..', process.env.PARLEY_BUILD || 'build', 'bench/fanout-reader');
const READER = env('BENCH_FANOUT_READER', env('BENCH_FANOUT_RAW', '1') === '0' ? 'ws'
  : (fs.existsSync(READER_BIN) ? 'c' : 'raw'));
const RAW = READER !== 'ws';

const mono = () => Number(process.hrtime.bigint()) / 1e6;

// CPU over the timed posts, by component (cpu.js: this stack's PostgreSQL,
// lighttpd, FastCGI workers, ws-daemons) plus the client processes, so the
// figure says where a fan-out's CPU goes.  Needs PARLEY_VAR (the stack).
function procTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch (e) { return 0; }
}
function cpuSnap(kids, file) {
  if (process.env.PARLEY_VAR) execFileSync(process.execPath, [path.join(__dirname, 'cpu.js'), 'snap', file]);
  return { readers: kids.reduce((a, k) => a + procTicks(k.cp.pid), 0), parent: procTicks(process.pid) };
}
// BENCH_PERF_PIDS=pid,pid: `perf record -g` on those processes over the
// timed posts only (not the handshakes), into $BENCH_OUT/perf.data.
async function perfStart() {
  const pids = process.env.BENCH_PERF_PIDS;
  if (!pids) return null;
  const p = require('node:child_process').spawn('perf', ['record', '-q', '-F', '2999', '-g', '-p', pids,
    '-o', path.join(OUT, 'perf.data')], { stdio: 'inherit' });
  await sleep(500);
  return p;
}
function perfStop(p) {
  if (!p) return Promise.resolve();
  return new Promise((resolve) => { p.once('exit', resolve); p.kill('SIGINT'); });
}
function cpuDiff(f0, f1, c0, c1) {
  // clients: the reader processes; bench_parent: this process (the POSTs,
  // the timers; the reader's share is what a fan-out costs to receive).
  const out = { clients: (c1.readers - c0.readers) * 10, bench_parent: (c1.parent - c0.parent) * 10 };
  if (!process.env.PARLEY_VAR) return out;
  const f2 = path.join(OUT, 'cpu-fanout-posts.json');
  execFileSync(process.execPath, [path.join(__dirname, 'cpu.js'), 'diff', f0, f1, f2]);
  return { ...readJson(f2).cpu_ms, ...out };
}

async function main() {
  const seed = readJson(path.join(OUT, 'seed.json'));
  const members = seed.users.slice(1, 1 + seed.fanoutMembers);
  const chat = seed.group.chat;
  const kids = READER === 'c' ? spawnReaders(PROCS, READER_BIN, WS, chat) : spawnChildren(PROCS);
  const slices = kids.map((_, k) => members.filter((__, i) => i % PROCS === k).map((u) => u.token));
  const opened = await Promise.all(kids.map((k, i) => k.ask({ cmd: 'open', url: WS, tokens: slices[i], concurrency: 50, trackChat: chat, timeoutMs: 60000, raw: RAW }, 'opened', 90000)));
  const connected = opened.reduce((a, o) => a + o.ok, 0);
  log(`step 4: ${connected}/${members.length} members connected (reader ${READER}, ${PROCS} processes)`);

  const sender = members[1];
  const client = makeClient(URL_, 4);
  // Warm-up post (not timed), then drop its frames.
  await client.request('POST', `/api/chats/${chat}/messages`, { token: sender.token, body: { content: 'fan-out warm-up', client_id: `fw-${seed.run}` } });
  await sleep(GAP);
  await Promise.all(kids.map((k) => k.ask({ cmd: 'report' }, 'report', 10000)));

  const sent = [];
  const snap0 = path.join(OUT, 'cpu-fanout0.json'), snap1 = path.join(OUT, 'cpu-fanout1.json');
  const perf = await perfStart();
  const c0 = cpuSnap(kids, snap0);
  for (let i = 0; i < POSTS; i++) {
    const cid = `fan-${seed.run}-${i}`;
    const t0 = mono();
    const r = await client.request('POST', `/api/chats/${chat}/messages`, { token: sender.token, body: { content: `fan-out ${i}`, client_id: cid }, parse: false });
    sent.push({ cid, t0, http: mono() - t0, status: r.status });
    await sleep(Math.max(0, GAP - (mono() - t0)));
  }
  await sleep(2000);   // stragglers
  const cpu = cpuDiff(snap0, snap1, c0, cpuSnap(kids, snap1));
  await perfStop(perf);
  const cpuPerPost = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v / POSTS, 1)]));
  const reports = await Promise.all(kids.map((k) => k.ask({ cmd: 'report' }, 'report', 10000)));
  const status = await Promise.all(kids.map((k) => k.ask({ cmd: 'status' }, 'status', 10000)));
  await closeChildren(kids);
  client.close();

  const first = [], last = [], spread = [], httpT = [];
  let lost = 0, bad = 0;
  for (const s of sent) {
    if (s.status !== 201) { bad++; continue; }
    httpT.push(s.http);
    let n = 0, min = Infinity, max = -Infinity;
    for (const r of reports) {
      const p = r.posts[s.cid];
      if (!p) continue;
      n += p.n; min = Math.min(min, p.min); max = Math.max(max, p.max);
    }
    lost += connected - n;
    if (n > 0) { first.push(min - s.t0); last.push(max - s.t0); spread.push(max - min); }
  }
  const res = {
    members: members.length, connected, client: READER, posts: POSTS, gap_ms: GAP, client_procs: PROCS, failed_posts: bad,
    frames_missing: lost, closed_during: status.reduce((a, s) => a + s.closed, 0),
    cpu_ms_per_post: cpuPerPost, load_avg_1m: round(require('node:os').loadavg()[0], 2),
    last: summary(last), first: summary(first), spread_first_to_last: summary(spread), http: summary(httpT),
  };
  log(`step 4: last member p50 ${res.last.p50_ms} p99 ${res.last.p99_ms} ms; first p50 ${res.first.p50_ms} p99 ${res.first.p99_ms} ms; first->last p50 ${res.spread_first_to_last.p50_ms} ms; POST answered p50 ${res.http.p50_ms} ms; missing frames ${lost}`);
  log(`step 4: CPU ms per post ${JSON.stringify(cpuPerPost)} (10 ms ticks over ${POSTS} posts); load ${res.load_avg_1m}`);
  writeResult('fanout', res);
}

main().catch((e) => { log('step 4 failed:', e.stack || e); process.exit(1); });
