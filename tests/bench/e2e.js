'use strict';
// e2e.js -- step 2: end-to-end latency of a message, from the start of
// user A's POST /api/chats/{id}/messages (through lighttpd) to the arrival of
// the new_message frame on user B's WebSocket (direct to the daemon), at
// paced rates.  Baseline at each rate: the round trip of GET /api/health
// (lighttpd + FastCGI + one database ping), the HTTP floor.
// Sends are paced on a schedule (not closed-loop), spread over
// BENCH_E2E_PAIRS sender/receiver pairs, over one keep-alive agent.
const path = require('node:path');
const WebSocket = require('ws');
const { env, makeClient, readJson, writeResult, log, summary, round, sleep } = require('./lib');

const OUT = env('BENCH_OUT');
const URL_ = env('BENCH_URL');
const WS = env('BENCH_WS_URL');
const RATES = env('BENCH_E2E_RATES', '200 1000').split(/\s+/).filter(Boolean).map(Number);
const SECS = Number(env('BENCH_E2E_SECS', 5));
const GRACE_MS = 2000;         // a frame later than this after the end is lost
const MAX_INFLIGHT = 256;      // agent sockets; the server has few workers anyway

const mono = () => Number(process.hrtime.bigint()) / 1e6;

function connect(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${WS}?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    const t = setTimeout(() => reject(new Error('no connected frame')), 10000);
    ws.once('message', (d) => {
      clearTimeout(t);
      if (String(d).includes('"connected"')) resolve(ws); else reject(new Error(`first frame ${d}`));
    });
    ws.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

// Paced sender: calls fire(i) at `rate` per second for `secs` seconds.
async function paced(rate, secs, fire) {
  const total = Math.round(rate * secs);
  const t0 = mono();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((mono() - t0) * rate) / 1000) + 1);
    while (sent < due) fire(sent++);
    await new Promise((r) => setImmediate(r));
    if (sent < total) await sleep(1);
    if (mono() - t0 > secs * 1000 + 5000) break;   // never run away
  }
  return { sent, secs: (mono() - t0) / 1000 };
}

async function phase(client, pairs, receivers, rate, kind, tag) {
  const http = [];
  const e2e = [];
  const pending = new Map();   // client_id -> start time (posts awaiting their frame)
  let errors = 0, ok = 0, lateOrLost = 0;
  const reasons = {};
  const retries0 = client.retries;
  const onFrame = (data) => {
    const s = data.toString();
    if (!s.includes('"new_message"')) return;
    const m = /"client_id":"([^"]+)"/.exec(s);
    if (!m) return;
    const t0 = pending.get(m[1]);
    if (t0 === undefined) return;
    pending.delete(m[1]);
    e2e.push(mono() - t0);
  };
  for (const ws of receivers) ws.on('message', onFrame);
  const done = [];
  const r = await paced(rate, SECS, (i) => {
    const p = pairs[i % pairs.length];
    const t0 = mono();
    let req;
    if (kind === 'post') {
      const cid = `${tag}-${i}`;
      pending.set(cid, t0);
      req = client.request('POST', `/api/chats/${p.chat}/messages`,
        { token: p.a.token, body: { content: `e2e ${tag} ${i}`, client_id: cid }, parse: false })
        .then((res) => { if (res.status !== 201) { errors++; reasons[`HTTP ${res.status}`] = (reasons[`HTTP ${res.status}`] || 0) + 1; pending.delete(cid); } else ok++; });
    } else {
      req = client.request('GET', '/api/health', { parse: false })
        .then((res) => { if (res.status !== 200) { errors++; reasons[`HTTP ${res.status}`] = (reasons[`HTTP ${res.status}`] || 0) + 1; } else ok++; });
    }
    done.push(req.then(() => { http.push(mono() - t0); }, (e) => {
      errors++;
      const why = (e.code || e.message || 'error').toString().slice(0, 60);
      reasons[why] = (reasons[why] || 0) + 1;
      if (kind === 'post') pending.delete(`${tag}-${i}`);
    }));
  });
  const tStart = mono() - r.secs * 1000;
  await Promise.race([Promise.all(done), sleep(15000)]);
  const completedRate = ok / ((mono() - tStart) / 1000);
  if (kind === 'post') {
    // Frames may trail the responses: a frame not in within GRACE_MS after
    // the last response is counted as lost.
    const end = mono();
    while (pending.size && mono() - end < GRACE_MS) await sleep(10);
    lateOrLost = pending.size;
  }
  for (const ws of receivers) ws.off('message', onFrame);
  const res = {
    kind, target_rate: rate, sent: r.sent, achieved_rate: round(r.sent / r.secs, 0), ok, errors, error_reasons: reasons,
    retried: client.retries - retries0, completed_rate: round(completedRate, 0),
    http: summary(http),
  };
  if (kind === 'post') { res.e2e = summary(e2e); res.lost = lateOrLost; }
  return res;
}

async function main() {
  const seed = readJson(path.join(OUT, 'seed.json'));
  const pairs = seed.e2e;
  const receivers = await Promise.all(pairs.map((p) => connect(p.b.token)));
  const client = makeClient(URL_, MAX_INFLIGHT);
  // Warm the keep-alive pool and the workers' prepared statements.
  await Promise.all(pairs.map((p, i) => client.request('POST', `/api/chats/${p.chat}/messages`,
    { token: p.a.token, body: { content: 'warm-up', client_id: `warm-${i}` } })));
  await sleep(300);
  const out = [];
  for (const rate of RATES) {
    const base = await phase(client, pairs, receivers, rate, 'health', `h${rate}`);
    log(`step 2 @${rate}/s health: p50 ${base.http.p50_ms} p99 ${base.http.p99_ms} ms (achieved ${base.achieved_rate}/s, errors ${base.errors})`);
    await sleep(500);
    const post = await phase(client, pairs, receivers, rate, 'post', `e${rate}-${seed.run}`);
    log(`step 2 @${rate}/s post->frame: p50 ${post.e2e.p50_ms} p99 ${post.e2e.p99_ms} ms, http p99 ${post.http.p99_ms} ms, lost ${post.lost}, errors ${post.errors} (achieved ${post.achieved_rate}/s)`);
    out.push({ rate, health: base, post });
    await sleep(500);
  }
  for (const ws of receivers) ws.terminate();
  client.close();
  writeResult('e2e', { pairs: pairs.length, secs_per_rate: SECS, grace_ms: GRACE_MS, rates: out });
}

main().catch((e) => { log('step 2 failed:', e.stack || e); process.exit(1); });
