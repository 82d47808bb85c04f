'use strict';
// ws-child.js -- a forked helper that holds many WebSocket clients for
// idle.js (step 3) and fanout.js (step 4).  One process can hold fewer than
// 20,000 descriptors, so the parent spreads connections over several.
// Parent -> child (IPC):
//   {cmd:'open', url, tokens:[...], concurrency, trackChat, raw}
//        opens one connection per token (raw: with openRaw below) (at most `concurrency` handshakes
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

// A minimal WebSocket client for the fan-out reader (msg.raw): the upgrade
// written by hand, server frames parsed straight off the socket's 'data'
// events.  The `ws` library costs ~60 us of CPU per frame on this machine,
// enough to make the client the slowest part of a 1,000-member fan-out;
// this reader does only what timing needs (text frames; pings answered;
// close ends it).  Same resolve contract as openOne.
function openRaw(url, token) {
  const net = require('node:net');
  const crypto = require('node:crypto');
  const u = new URL(url);
  return new Promise((resolve) => {
    let settled = false, upgraded = false, buf = Buffer.alloc(0);
    const done = (ok, why) => { if (!settled) { settled = true; clearTimeout(timer); resolve({ ok, why }); } };
    const sock = net.connect(Number(u.port), u.hostname);
    const timer = setTimeout(() => { done(false, 'no connected frame in 30 s'); sock.destroy(); }, 30000);
    const conn = { readyState: 0, terminate: () => sock.destroy() };
    const send = (opcode, payload) => {   // client frames are masked
      const mask = crypto.randomBytes(4);
      const p = Buffer.from(payload);
      for (let i = 0; i < p.length; i++) p[i] ^= mask[i & 3];
      sock.write(Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | p.length]), mask, p]));
    };
    sock.on('connect', () => {
      sock.setNoDelay(true);
      sock.write(`GET ${u.pathname}?token=${encodeURIComponent(token)} HTTP/1.1\r\nHost: ${u.host}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n\r\n`);
    });
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!/^HTTP\/1\.1 101/.test(head)) { done(false, head.split('\r\n')[0].slice(0, 60)); sock.destroy(); return; }
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      while (buf.length >= 2) {
        const op = buf[0] & 0x0f;
        let len = buf[1] & 0x7f, off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (op === 0x9) { send(0xA, payload); continue; }
        if (op === 0x8) { conn.readyState = 3; sock.end(); continue; }
        if (op !== 0x1) continue;
        if (!settled) {
          if (payload.toString().includes('"type":"connected"')) { conn.readyState = 1; conns.push(conn); done(true); }
          continue;
        }
        if (trackNeedle) track(payload);
      }
    });
    sock.on('close', () => {
      if (settled) { conn.readyState = 3; closed++; closeCodes.raw = (closeCodes.raw || 0) + 1; }
      done(false, 'closed');
    });
    sock.on('error', (e) => done(false, (e.code || e.message || 'error').toString().slice(0, 60)));
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
      const r = await (msg.raw ? openRaw : openOne)(msg.url, msg.tokens[next++]);
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
    const open_ = conns.filter((w) => w.readyState === 1).length;   // WebSocket.OPEN
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
