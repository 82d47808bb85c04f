'use strict';
// ws-abuse.test.js -- hostile WebSocket clients against ws-daemon: a ping
// flood from a client that never reads, an oversized handshake, garbage
// instead of HTTP.  The daemon must stay up, bounded and serving others.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { BUILD, sleep, connect, startDaemon } = require('../tools/wsd-harness');

// ASan's quarantine inflates RSS: memory is asserted on normal builds only.
const SANITIZED = /san/.test(path.basename(BUILD)) || !!process.env.PARLEY_SANITIZED;

let d;
test.before(async () => { d = await startDaemon({ ws_queue_max: 65536 }); });
test.after(async () => { if (d && d.proc.exitCode === null) await d.stop(); });

async function healthy() {
  const c = connect(d.wsUrl(d.token(9000 + Math.floor(Math.random() * 1000), 'probe_user')));
  const first = await c.next();
  assert.equal(first.type, 'connected');
  c.ws.send(JSON.stringify({ type: 'ping' }));
  assert.equal((await c.next()).type, 'pong');
  await c.close();
}

// Raw bytes to the daemon's port; resolves with what came back when the
// peer closes or after `ms`.
function raw(bytes, ms = 3000) {
  return new Promise((resolve) => {
    const s = net.connect(d.ports.ws, '127.0.0.1');
    let got = '';
    const done = () => { clearTimeout(t); s.destroy(); resolve(got); };
    const t = setTimeout(done, ms);
    s.on('data', (b) => { got += b.toString('latin1'); });
    s.on('close', done);
    s.on('error', done);
    s.write(bytes);
  });
}

test('a ping flood from a client that never reads: queue and memory stay bounded', async () => {
  const c = connect(d.wsUrl(d.token(8101, 'flooder')));
  assert.equal((await c.next()).type, 'connected');
  c.ws._socket.pause();                       // never read the pongs
  const rss0 = await d.rss();
  const ping = JSON.stringify({ type: 'ping' });
  for (let i = 0; i < 200000 && c.ws.readyState === 1; i++) {
    c.ws.send(ping);
    if (i % 5000 === 0) await sleep(5);
  }
  const closed = await Promise.race([c.closed, sleep(15000).then(() => null)]);
  const rss1 = await d.rss();
  // Either the daemon closed it (1008 slow consumer seen later, or a bare
  // drop while paused), or the client is still open but the daemon holds no
  // more than its queue cap for it.
  const m = (await d.metrics()).m;
  assert.ok(m.parley_ws_queue_bytes <= 65536 * 2, `queue bytes ${m.parley_ws_queue_bytes}`);
  console.log(`# ping flood: closed ${closed ? closed.code : 'no'}; daemon RSS +${((rss1 - rss0) / 1024).toFixed(0)} KiB`);
  if (!SANITIZED) assert.ok(rss1 - rss0 < 16 * 1024 * 1024, `daemon RSS grew ${((rss1 - rss0) / 1024).toFixed(0)} KiB`);
  c.ws._socket.resume();
  if (!closed) c.ws.terminate();
  await healthy();
});

test('an oversized handshake is refused without harming the daemon', async () => {
  const big = 'x'.repeat(64 * 1024);
  const reply = await raw(`GET /ws?token=${big} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Junk: ${big}\r\n\r\n`);
  assert.ok(!/^HTTP\/1\.1 101/.test(reply), 'never upgraded');
  await healthy();
});

test('garbage instead of HTTP is dropped; the daemon keeps serving', async () => {
  const reply = await raw(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), 2000);
  assert.ok(!/^HTTP\/1\.1 101/.test(reply));
  await raw('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n', 1500);   // incomplete upgrade
  await healthy();
});
