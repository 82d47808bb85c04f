'use strict';
// api-restart.test.js -- the installed API as systemd runs it: the pool
// with two workers on one socket (tests/lib/apipool.js).  Talks FastCGI to
// the socket directly.
//
// The case that once hung a CI run: a stop signal that reaches a worker
// after it accepted lighttpd's connection but before the request's bytes
// arrived.  Debian's libfcgi then closed that connection and looped on the
// closed descriptor at 100 % CPU, never exiting, so the restart never
// finished and every request after it timed out.  Here the worker must
// answer that request, then exit, and the pool must come back.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { getStack } = require('../lib/stack');
const fcgi = require('../lib/fcgi');
const { startPool, until, sleep } = require('../lib/apipool');

const isRoot = process.getuid && process.getuid() === 0;
let pool;

test.before(async () => {
  if (isRoot) pool = await startPool(await getStack(), { name: 'restart-test', workers: 2 });
});
test.after(async () => { if (pool) await pool.stop(); });

test('the pool answers, and concurrent requests on one socket all get their answer', { skip: !isRoot && 'needs root' }, async () => {
  // More requests at once than workers: the workers that lose the race
  // for a connection go back to waiting (EAGAIN), none sleeps in accept.
  const answers = await Promise.all(Array.from({ length: 16 }, () => fcgi.request(pool.sockPath, 'GET', '/api/health')));
  assert.deepEqual(answers.map((a) => a.status), Array(16).fill(200));
  assert.match(answers[0].body, /"status":"ok"/);
});

test('a restart while a worker holds an accepted connection with no request yet', { skip: !isRoot && 'needs root' }, async () => {
  const before = pool.workers().map((p) => p.pid).sort();
  assert.equal(before.length, 2);
  const startedBefore = pool.started();

  // Both workers take a connection and wait for its first bytes.
  const held = [await fcgi.connect(pool.sockPath), await fcgi.connect(pool.sockPath)];
  const answers = held.map((s) => fcgi.readAnswer(s, 15000));
  await sleep(200);
  pool.unit.kill('SIGHUP');       // systemctl restart: SIGTERM to the pool, then to both workers
  await sleep(300);
  for (const s of held) s.write(fcgi.requestBytes('GET', '/api/health'));
  const got = await Promise.all(answers);
  assert.deepEqual(got.map((a) => [a.status, a.ended]), [[200, true], [200, true]],
    'each held connection still gets its whole answer');

  // The old workers exit and the pool starts two new ones.
  await until('the restart', () => pool.started() === startedBefore + 1 &&
    pool.workers().length === 2 && pool.workers().every((p) => !before.includes(p.pid)));
  for (const pid of before) {
    assert.ok(!fs.existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')),
      `old worker ${pid} exited`);
  }
  const after = await fcgi.request(pool.sockPath, 'GET', '/api/health');
  assert.equal(after.status, 200);
});

test('an idle pool stops within a second of SIGTERM', { skip: !isRoot && 'needs root' }, async () => {
  const t0 = Date.now();
  pool.unit.kill('SIGTERM');
  await until('the unit to exit', () => pool.unit.exitCode !== null, 5000);
  assert.ok(Date.now() - t0 < 1000, `stopped in ${Date.now() - t0} ms`);
  assert.equal(pool.unit.exitCode, 0);
  assert.ok(!fs.existsSync(pool.sockPath), 'the socket is removed');
});
