'use strict';
// fanout.js -- step 4: one POST to a group of BENCH_FANOUT_MEMBERS members,
// every member connected once (direct to the daemon, connections spread over
// BENCH_FANOUT_PROCS child processes); time from the start of the POST until
// the LAST member's new_message frame arrives.  Baseline: until the FIRST
// member has it.  BENCH_FANOUT_POSTS posts, BENCH_FANOUT_GAP_MS apart.
// Times come from process.hrtime (CLOCK_MONOTONIC), which every process on
// the machine shares, so the children's arrival times compare directly.
const path = require('node:path');
const { env, makeClient, readJson, writeResult, log, summary, round, sleep } = require('./lib');
const { spawnChildren, closeChildren } = require('./children');

const OUT = env('BENCH_OUT');
const URL_ = env('BENCH_URL');
const WS = env('BENCH_WS_URL');
const POSTS = Number(env('BENCH_FANOUT_POSTS', 20));
const GAP = Number(env('BENCH_FANOUT_GAP_MS', 300));
const PROCS = Number(env('BENCH_FANOUT_PROCS', 2));

const mono = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const seed = readJson(path.join(OUT, 'seed.json'));
  const members = seed.users.slice(1, 1 + seed.fanoutMembers);
  const chat = seed.group.chat;
  const kids = spawnChildren(PROCS);
  const slices = kids.map((_, k) => members.filter((__, i) => i % PROCS === k).map((u) => u.token));
  const opened = await Promise.all(kids.map((k, i) => k.ask({ cmd: 'open', url: WS, tokens: slices[i], concurrency: 50, trackChat: chat, timeoutMs: 60000 }, 'opened', 90000)));
  const connected = opened.reduce((a, o) => a + o.ok, 0);
  log(`step 4: ${connected}/${members.length} members connected`);

  const sender = members[1];
  const client = makeClient(URL_, 4);
  // Warm-up post (not timed), then drop its frames.
  await client.request('POST', `/api/chats/${chat}/messages`, { token: sender.token, body: { content: 'fan-out warm-up', client_id: `fw-${seed.run}` } });
  await sleep(GAP);
  await Promise.all(kids.map((k) => k.ask({ cmd: 'report' }, 'report', 10000)));

  const sent = [];
  for (let i = 0; i < POSTS; i++) {
    const cid = `fan-${seed.run}-${i}`;
    const t0 = mono();
    const r = await client.request('POST', `/api/chats/${chat}/messages`, { token: sender.token, body: { content: `fan-out ${i}`, client_id: cid }, parse: false });
    sent.push({ cid, t0, http: mono() - t0, status: r.status });
    await sleep(Math.max(0, GAP - (mono() - t0)));
  }
  await sleep(2000);   // stragglers
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
    members: members.length, connected, posts: POSTS, gap_ms: GAP, client_procs: PROCS, failed_posts: bad,
    frames_missing: lost, closed_during: status.reduce((a, s) => a + s.closed, 0),
    last: summary(last), first: summary(first), spread_first_to_last: summary(spread), http: summary(httpT),
  };
  log(`step 4: last member p50 ${res.last.p50_ms} p99 ${res.last.p99_ms} ms; first p50 ${res.first.p50_ms} p99 ${res.first.p99_ms} ms; first->last p50 ${res.spread_first_to_last.p50_ms} ms; POST answered p50 ${res.http.p50_ms} ms; missing frames ${lost}`);
  writeResult('fanout', res);
}

main().catch((e) => { log('step 4 failed:', e.stack || e); process.exit(1); });
