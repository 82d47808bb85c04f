'use strict';
// front-workers.test.js -- the stack's lighttpd runs PARLEY_HTTP_WORKERS
// worker processes (server.max-worker), each with its own descriptor
// budget, so the front holds more browsers than one process can.  Checks:
// the stack starts as many workers as its rule says; each has the open-file
// limit; through EACH worker (the others paused with SIGSTOP, so the kernel
// hands the next connection to that one) an API call answers and a
// WebSocket gets `connected`, and then a message posted once reaches the
// sockets held by every worker.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, sleep } = require('../lib/client');
const procs = require('../lib/procs');

let S;
test.before(async () => { S = await getStack(); });

function lighttpdPid() {
  return Number(fs.readFileSync(path.join(S.varDir, 'run', 'lighttpd.pid'), 'utf8').trim());
}

// lighttpd's worker processes: its children that are lighttpd (the
// FastCGI workers are its children too).
function workers() {
  return procs.childrenOf(lighttpdPid(), /^lighttpd$/);
}

// The workers the stack's rule asks for (scripts/parley-stack.sh,
// http_capacity): PARLEY_HTTP_WORKERS, else one per core (at most 8), at
// least 2 while one process holds fewer than 16,000 tunnels.
function expectedWorkers() {
  if (S.env.PARLEY_HTTP_WORKERS) return Number(S.env.PARLEY_HTTP_WORKERS);
  let hard = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  hard = hard === 'unlimited' ? 1000000 : Number(hard);
  const fds = Math.min(Number(S.env.PARLEY_HTTP_MAX_FDS || hard), hard);
  const perProc = Math.min(Math.floor((Math.floor(fds * 9 / 10) - 100) / 2), 65535);
  let n = Math.min(os.availableParallelism(), 8);
  if (perProc < 16000 && n < 2) n = 2;
  return n;
}

// Which lighttpd worker holds the server side of our TCP connection from
// local port `port`: the socket's inode from /proc/net/tcp, then the worker
// with a descriptor on it.
function holderOf(port) {
  const hex = (n) => n.toString(16).toUpperCase().padStart(4, '0');
  const want = `:${hex(S.ports.http)}`;
  const peer = `:${hex(port)}`;
  let inode = null;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(f, 'utf8'); } catch (e) { continue; }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length > 9 && c[1].endsWith(want) && c[2].endsWith(peer)) inode = c[9];
    }
  }
  if (!inode) return 0;
  for (const pid of workers()) {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try { if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid; } catch (e) { /* closed */ }
    }
  }
  return 0;
}

// A raw HTTP/1.1 request on a socket of our own, so we know which worker
// accepted it before the request is sent.
function rawConnect() {
  return new Promise((resolve, reject) => {
    const s = net.connect(S.ports.http, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

function rawGet(sock, urlPath, token) {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no response in 10 s: ${got.slice(0, 200)}`)), 10000);
    sock.on('data', (d) => {
      got += d;
      const head = got.indexOf('\r\n\r\n');
      const m = /content-length:\s*(\d+)/i.exec(got);
      if (head >= 0 && m && Buffer.byteLength(got.slice(head + 4)) >= Number(m[1])) {
        clearTimeout(timer);
        resolve({ status: Number(got.slice(9, 12)), body: got.slice(head + 4) });
      }
    });
    sock.write(`GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  });
}

async function waitHolder(port, ms = 3000) {
  const until = Date.now() + ms;
  for (;;) {
    const h = holderOf(port);
    if (h || Date.now() > until) return h;
    await sleep(25);
  }
}

test('the stack starts its lighttpd workers, each with the open-file budget', () => {
  const ws = workers();
  const n = expectedWorkers();
  // lighttpd reads 1 as "no workers": one process, no children.
  assert.equal(ws.length, n === 1 ? 0 : n, `lighttpd ${lighttpdPid()} has workers ${ws}`);
  const hard = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  for (const pid of ws) {
    const lim = /^Max open files\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
    assert.ok(lim, `limits of ${pid}`);
    // lighttpd raises its soft limit to server.max-fds (the hard limit here).
    if (hard !== 'unlimited') assert.equal(Number(lim[1]), Math.min(Number(hard), 1000000), `worker ${pid}`);
  }
});

test('through each worker: an API call answers and a WebSocket gets connected and live events', async () => {
  const ws = workers();
  if (ws.length < 2) return;   // one process: front.test.js and the rest cover it
  const a = await newUser(S, 'wk');
  const b = await newUser(S, 'wk');
  const chat = await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } });
  assert.ok(chat.status === 201 || chat.status === 200, chat.text);
  const held = new Map();   // worker pid -> {conn, raw}
  try {
    for (const w of ws) {
      const others = ws.filter((p) => p !== w);
      for (const p of others) process.kill(p, 'SIGSTOP');
      try {
        const raw = await rawConnect();
        const conn = wsConnect(S, a.token, { proxy: true });
        await conn.opened;
        assert.equal(await waitHolder(raw.localPort), w, 'the raw socket landed on the running worker');
        assert.equal(await waitHolder(conn.ws._socket.localPort), w, 'the WebSocket landed on the running worker');
        const me = await rawGet(raw, '/api/me', a.token);
        assert.equal(me.status, 200, me.body);
        assert.equal(JSON.parse(me.body).username, a.username);
        await conn.waitFor((m) => m.type === 'connected', 5000);
        held.set(w, { conn, raw });
      } finally {
        for (const p of others) process.kill(p, 'SIGCONT');
      }
    }
    const text = `through every worker ${Date.now()}`;
    const sent = await api(S, 'POST', `/api/chats/${chat.json.id}/messages`, { token: b.token, body: { content: text } });
    assert.equal(sent.status, 201, sent.text);
    for (const [w, h] of held) {
      const m = await h.conn.waitFor((f) => f.type === 'new_message' && f.message && f.message.content === text, 5000);
      assert.equal(m.message.chat_id, chat.json.id, `worker ${w}`);
    }
  } finally {
    for (const h of held.values()) { h.raw.destroy(); await h.conn.close(); }
  }
});

// The front listens on loopback only, so every browser reaches the daemons
// from 127.0.0.1 (lighttpd's X-Forwarded-For): with the daemons' default
// per-address cap (256) the whole site would seat 256 browsers.  The stack
// script lifts the cap to the front's capacity in that case
// (scripts/parley-stack.sh, wsd_addr_cap); 600 sockets from 127.0.0.1 (more
// than 256 on at least one of the stack's two daemons)
// through /ws must all get `connected`.
test('600 browsers from 127.0.0.1 through /ws all get connected (past the default per-address cap)', async () => {
  // Twenty users with 30 tabs each: under the per-user cap (32).
  const users = [];
  for (let i = 0; i < 20; i++) users.push(await newUser(S, 'fw'));
  const conns = [];
  try {
    for (const u of users) {
      const batch = [];
      for (let j = 0; j < 30; j++) {
        const c = wsConnect(S, u.token, { proxy: true, wsOptions: { localAddress: '127.0.0.1' } });
        conns.push(c);
        batch.push(c.opened.then(() => c.waitFor((m) => m.type === 'connected', 15000)));
      }
      await Promise.all(batch);
    }
    assert.equal(conns.length, 600);
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
});
