'use strict';
// ws-child.js -- a forked helper that holds many WebSocket clients for
// idle.js (step 3) and fanout.js (step 4).  One process can hold fewer than
// 20,000 descriptors, so the parent spreads connections over several.
// Parent -> child (IPC):
//   {cmd:'open', url, tokens:[...], concurrency, trackChat}
//        opens one connection per token (at most `concurrency` handshakes
//        in flight) and answers {type:'opened', ok, failed, reasons, secs}
//        once every one got its `connected` frame or failed.
//   {cmd:'status'} -> {type:'status', open, closed, closeCodes}
//   {cmd:'report'} -> {type:'report', posts:{client_id:{n,min,max}}}: for
//        new_message frames of chat trackChat, arrival times on the
//        monotonic clock (process.hrtime, shared by every process).
//   {cmd:'close'}  closes everything and exits.
const WebSocket = require('ws');

const conns = [];
let closed = 0;
const closeCodes = {};
const posts = new Map();
let trackNeedle = null;

const mono = () => Number(process.hrtime.bigint()) / 1e6;

function track(data) {
  // Cheap matching: the frame is only parsed far enough to find client_id.
  const s = data.toString();
  if (!s.includes('"new_message"') || !s.includes(trackNeedle)) return;
  const t = mono();
  const m = /"client_id":"([^"]+)"/.exec(s);
  const key = m ? m[1] : '?';
  const p = posts.get(key);
  if (p) { p.n++; if (t < p.min) p.min = t; if (t > p.max) p.max = t; } else posts.set(key, { n: 1, min: t, max: t });
}

function openOne(url, token) {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok, why) => { if (!settled) { settled = true; clearTimeout(timer); resolve({ ok, why }); } };
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, { perMessageDeflate: false, handshakeTimeout: 20000 });
    const timer = setTimeout(() => { done(false, 'no connected frame in 30 s'); try { ws.terminate(); } catch (e) { /* ignore */ } }, 30000);
    ws.on('message', (data) => {
      if (!settled) {
        if (data.toString().includes('"type":"connected"')) { conns.push(ws); done(true); }
        return;
      }
      if (trackNeedle) track(data);
    });
    ws.on('close', (code) => {
      if (settled) { closed++; closeCodes[code] = (closeCodes[code] || 0) + 1; }
      done(false, `closed ${code}`);
    });
    ws.on('error', (e) => done(false, (e.code || e.message || 'error').toString().slice(0, 60)));
    ws.on('unexpected-response', (req, res) => done(false, `HTTP ${res.statusCode}`));
  });
}

async function open(msg) {
  const t0 = mono();
  if (msg.trackChat) trackNeedle = `"chat_id":${msg.trackChat},`;
  let ok = 0, failed = 0, next = 0;
  const reasons = {};
  const deadline = Date.now() + (msg.timeoutMs || 150000);
  async function worker() {
    while (next < msg.tokens.length && Date.now() < deadline) {
      const r = await openOne(msg.url, msg.tokens[next++]);
      if (r.ok) ok++; else { failed++; reasons[r.why] = (reasons[r.why] || 0) + 1; }
    }
  }
  await Promise.all(Array.from({ length: msg.concurrency || 50 }, worker));
  const skipped = msg.tokens.length - ok - failed;
  if (skipped > 0) reasons['not attempted (time limit)'] = skipped;
  process.send({ type: 'opened', ok, failed: failed + skipped, reasons, secs: (mono() - t0) / 1000 });
}

process.on('message', (msg) => {
  if (msg.cmd === 'open') open(msg).catch((e) => process.send({ type: 'opened', ok: 0, failed: msg.tokens.length, reasons: { [String(e)]: 1 }, secs: 0 }));
  else if (msg.cmd === 'status') {
    const open_ = conns.filter((w) => w.readyState === WebSocket.OPEN).length;
    process.send({ type: 'status', open: open_, closed, closeCodes });
  } else if (msg.cmd === 'report') {
    process.send({ type: 'report', posts: Object.fromEntries(posts) });
    posts.clear();
  } else if (msg.cmd === 'close') {
    for (const w of conns) { try { w.terminate(); } catch (e) { /* ignore */ } }
    setTimeout(() => process.exit(0), 100);
  }
});
process.on('disconnect', () => process.exit(0));
// Never outlive the benchmark.
setTimeout(() => process.exit(3), Number(process.env.BENCH_CHILD_MAX_SECS || 300) * 1000).unref();
