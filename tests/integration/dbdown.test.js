'use strict';
// dbdown.test.js -- PostgreSQL goes away mid-run: the API answers 503 JSON
// quickly, keeps answering, and recovers by itself when the database is back.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { getStack } = require('../lib/stack');
const { api, newUser, sleep } = require('../lib/client');
const fcgi = require('../lib/fcgi');
const { startPool } = require('../lib/apipool');

const isRoot = process.getuid && process.getuid() === 0;

test('database down: quick 503s, then recovery without restarting anything', async () => {
  const S = await getStack();
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
  assert.equal((await api(S, 'GET', '/api/chats', { token: a.token })).status, 200);
  S.sh('pg-stop');
  try {
    for (const [method, path, body] of [
      ['GET', '/api/chats'], ['GET', '/api/health'],
      ['POST', `/api/chats/${chat.id}/messages`, { content: 'during outage' }],
      ['GET', `/api/chats/${chat.id}/messages`], ['GET', '/api/sync?since=0'],
    ]) {
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const r = await api(S, method, path, { token: a.token, body });
        const ms = Date.now() - t0;
        assert.equal(r.status, 503, `${method} ${path}: ${r.status} ${r.text}`);
        assert.equal(r.json.error.code, 'database_unavailable');
        assert.ok(ms < 3000, `${method} ${path} took ${ms} ms`);
      }
    }
    // Login needs the database too, and must not crash a worker.
    const l = await api(S, 'POST', '/api/auth/login', { body: { username: 'user1', password: 'password123' } });
    assert.equal(l.status, 503);
  } finally {
    S.sh('pg-start');
  }
  let ok = false;
  for (let i = 0; i < 40 && !ok; i++) {
    const r = await api(S, 'GET', '/api/chats', { token: a.token });
    ok = r.status === 200;
    if (!ok) await sleep(100);
  }
  assert.ok(ok, 'API recovered after the database came back');
  const p = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content: 'after outage' } });
  assert.equal(p.status, 201);
  const h = await api(S, 'GET', `/api/chats/${chat.id}/messages`, { token: b.token });
  assert.deepEqual(h.json.messages.map((m) => m.content), ['after outage'], 'nothing half-written during the outage');
});

// A database host that drops packets (down, firewalled, mid-failover): a
// connect() to it waits for the kernel's TCP retries, some two minutes,
// unless libpq's connect_timeout ends it.  Stood in for by a loopback
// listener whose accept queue is full and never drained, so the kernel
// drops further SYNs.  The worker (the pool of the installed site, one
// worker) must answer 503 within seconds, and the next request at once.
test('a database host that never answers: 503 in seconds, not minutes', { skip: !isRoot && 'needs root' }, async () => {
  const S = await getStack();
  const hole = spawn('/usr/bin/python3', ['-c', `
import socket, sys
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(0)
fill = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(l.getsockname())
    except BlockingIOError: pass
    fill.append(c)
print(l.getsockname()[1], flush=True)
sys.stdin.read()
`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let pool;
  try {
    const port = await new Promise((resolve, reject) => {
      hole.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      hole.once('exit', () => reject(new Error('the listener exited')));
    });
    pool = await startPool(S, { name: 'dbhole-test', workers: 1,
      env: { PARLEY_DATABASE_URL: `host=127.0.0.1 port=${port} user=parley dbname=parley` } });
    let t0 = Date.now();
    const first = await fcgi.request(pool.sockPath, 'GET', '/api/health', 20000);
    const firstMs = Date.now() - t0;
    assert.equal(first.status, 503, first.body);
    assert.match(first.body, /database_unavailable/);
    assert.ok(firstMs >= 1500 && firstMs < 6000, `first request answered after ${firstMs} ms (connect_timeout 3 s)`);
    t0 = Date.now();
    const second = await fcgi.request(pool.sockPath, 'GET', '/api/health', 20000);
    assert.equal(second.status, 503);
    assert.ok(Date.now() - t0 < 1000, `the next request waited ${Date.now() - t0} ms`);
  } finally {
    hole.kill();
    if (pool) await pool.stop();
  }
});
