'use strict';
// e2e.js -- step 2: end to end through the front, stepped to saturation.
//
// BENCH_E2E_PAIRS (64) senders each POST into a direct chat whose other
// member holds a WebSocket through lighttpd's /ws (BENCH_E2E_WS_URL, the
// page's path).  The senders are wrk (e2e.lua: 64 keep-alive connections,
// paced at the step's rate, the send time inside each message); this
// process only reads frames, so the load generator stays light (its CPU is
// reported: wrk's and this process's).  For each rate of BENCH_E2E_RATES,
// BENCH_E2E_SECS seconds: posts created (201), frames received, lost
// (created but no frame within GRACE_MS after the step), duplicated, POST ->
// frame latency p50/p99 (CLOCK_MONOTONIC on both sides), and CPU by process
// kind (cpu.js: PostgreSQL, FastCGI workers, lighttpd, ws-daemons; plus
// wrk and the receiver).  The steps stop after the first one that misses
// p99 <= BENCH_E2E_P99_MS (250), loses a frame, or falls short of 90 % of
// its rate: the last step that met all three is the saturation figure.
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { execFileSync, spawn } = require('node:child_process');
const WebSocket = require('ws');
const { env, readJson, writeResult, log, summary, round, sleep } = require('./lib');

const OUT = env('BENCH_OUT');
const URL_ = env('BENCH_URL');
const WS = env('BENCH_E2E_WS_URL', env('BENCH_WS_URL'));
const RATES = env('BENCH_E2E_RATES', '500 1000 1500 2000 2500 3000 3500 4000 5000')
  .split(/\s+/).filter(Boolean).map(Number);
const SECS = Number(env('BENCH_E2E_SECS', 5));
const P99_MS = Number(env('BENCH_E2E_P99_MS', 250));
const CONNS = Number(env('BENCH_E2E_CONNS', 64));
const THREADS = 2;
const GRACE_MS = 2000;

const mono = () => Number(process.hrtime.bigint()) / 1e6;

function connect(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${WS}?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    const t = setTimeout(() => reject(new Error('no connected frame')), 15000);
    ws.once('message', (d) => {
      clearTimeout(t);
      if (String(d).includes('"connected"')) resolve(ws); else reject(new Error(`first frame ${d}`));
    });
    ws.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

// Runs wrk for one step; resolves with its JSON and its own CPU (ms).
function runWrk(rate, tag) {
  const result = path.join(OUT, `wrk-e2e-${tag}.json`);
  const timeFile = path.join(OUT, `e2e-${tag}.time`);
  const args = ['-c', `TIMEFORMAT='%U %S'; { time wrk -t${THREADS} -c${CONNS} -d${SECS}s --timeout 5s ` +
    `-s "$LUA" "$URL" > /dev/null 2>&3; } 3>&2 2> "$TF"`];
  return new Promise((resolve) => {
    const p = spawn('bash', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LUA: path.join(__dirname, 'e2e.lua'), URL: `${URL_}/api/chats/0/messages`, TF: timeFile,
        BENCH_RESULT: result, BENCH_TARGETS: path.join(OUT, 'e2e-targets.txt'), BENCH_E2E_RATE: String(rate),
        BENCH_E2E_TAG: tag, BENCH_E2E_THREADS: String(THREADS) },
    });
    const killer = setTimeout(() => p.kill('SIGKILL'), (SECS + 40) * 1000);
    p.on('exit', () => {
      clearTimeout(killer);
      let w = null;
      try { w = JSON.parse(fs.readFileSync(result, 'utf8')); } catch (e) { /* wrk failed */ }
      resolve({ w, timeFile });
    });
  });
}

function cpuSnap(file) {
  execFileSync(process.execPath, [path.join(__dirname, 'cpu.js'), 'snap', file]);
}
function cpuDiff(a, b, timeFile, tag) {
  const out = path.join(OUT, `cpu-e2e-${tag}.json`);
  execFileSync(process.execPath, [path.join(__dirname, 'cpu.js'), 'diff', a, b, out, timeFile]);
  return readJson(out);
}

async function step(receivers, rate, run) {
  const tag = `${run}r${rate}`;
  const needle = `"content":"e2e ${tag} `;
  const lat = [];
  let frames = 0;
  const seen = new Set();
  let dups = 0;
  const onFrame = (data) => {
    const s = data.toString();
    const k = s.indexOf(needle);
    if (k < 0 || !s.startsWith('{"type":"new_message"')) return;
    // "<usec> <thread>.<n>": the key is both, the latency the first.
    const key = s.slice(k + needle.length, s.indexOf('"', k + needle.length));
    const t = Number(key.split(' ')[0]);
    const now = Number(process.hrtime.bigint() / 1000n);
    if (seen.has(key)) { dups++; return; }
    seen.add(key);
    frames++;
    lat.push((now - t) / 1000);
  };
  for (const ws of receivers) ws.on('message', onFrame);
  const s0 = path.join(OUT, 'cpu-e2e0.json'), s1 = path.join(OUT, 'cpu-e2e1.json');
  cpuSnap(s0);
  const me0 = process.cpuUsage();
  const t0 = mono();
  const { w, timeFile } = await runWrk(rate, tag);
  const elapsed = (mono() - t0) / 1000;
  const created = w ? w.created : 0;
  const end = mono();
  while (frames < created && mono() - end < GRACE_MS) await sleep(20);
  const me = process.cpuUsage(me0);
  cpuSnap(s1);
  for (const ws of receivers) ws.off('message', onFrame);
  const cpu = cpuDiff(s0, s1, timeFile, tag);
  const perMsg = (ms) => (created ? round(ms / created, 3) : null);
  const res = {
    target_rate: rate, secs: SECS, created, refused: w ? w.refused : null, http_errors: w ? w.errors : null,
    achieved_rate: w ? round(created / w.duration_s, 0) : 0,
    frames, lost: Math.max(0, created - frames), duplicated: dups,
    e2e: summary(lat), http: w ? { p50_ms: w.p50_ms, p99_ms: w.p99_ms, max_ms: w.max_ms } : null,
    cpu_ms: { ...cpu.cpu_ms, wrk: cpu.client_ms, receiver: round((me.user + me.system) / 1000, 0), others: cpu.machine.others_ms },
    cpu_capacity_ms: cpu.machine.capacity_ms,
    load_avg_1m: round(os.loadavg()[0], 2), wall_s: round(elapsed, 1),
  };
  res.cpu_ms_per_message = Object.fromEntries(Object.entries(res.cpu_ms).map(([k, v]) => [k, perMsg(v)]));
  res.ok = !!w && created > 0 && res.lost === 0 && res.duplicated === 0 && res.refused === 0 &&
    res.e2e.p99_ms !== null && res.e2e.p99_ms <= P99_MS && res.achieved_rate >= 0.9 * rate;
  return res;
}

async function main() {
  const seed = readJson(path.join(OUT, 'seed.json'));
  const pairs = seed.e2e;
  if (pairs.length < CONNS) log(`step 2: only ${pairs.length} sender/receiver pairs (BENCH_E2E_PAIRS)`);
  fs.writeFileSync(path.join(OUT, 'e2e-targets.txt'), pairs.map((p) => `${p.chat} ${p.a.token}`).join('\n') + '\n');
  const receivers = await Promise.all(pairs.map((p) => connect(p.b.token)));
  log(`step 2: ${receivers.length} receivers on ${WS}; wrk -t${THREADS} -c${CONNS}, ${SECS} s per rate`);
  const steps = [];
  let best = null;
  for (const rate of RATES) {
    const r = await step(receivers, rate, seed.run);
    steps.push(r);
    const c = r.cpu_ms_per_message;
    log(`step 2 @${rate}/s: ${r.achieved_rate}/s created, POST->frame p50 ${r.e2e.p50_ms} p99 ${r.e2e.p99_ms} ms, ` +
      `lost ${r.lost}, dup ${r.duplicated}, refused ${r.refused}; CPU ms/msg pg ${c.postgres} api ${c.api} ` +
      `lighttpd ${c.lighttpd} wsd ${c.wsd} forwarder ${c.forwarder} wrk ${c.wrk} receiver ${c.receiver}; load ${r.load_avg_1m} ${r.ok ? 'ok' : 'STOP'}`);
    if (!r.ok) break;
    best = r;
    await sleep(500);
  }
  for (const ws of receivers) ws.terminate();
  writeResult('e2e', { pairs: pairs.length, conns: CONNS, secs_per_rate: SECS, grace_ms: GRACE_MS, p99_goal_ms: P99_MS,
    ws_url: WS.replace(/\?.*/, ''), saturation_rate: best ? best.achieved_rate : 0, steps });
}

main().catch((e) => { log('step 2 failed:', e.stack || e); process.exit(1); });
