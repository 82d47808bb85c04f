'use strict';
// api-restart.test.js -- the installed API as systemd runs it: the pool
// (deploy/parley-api-pool) with two workers on one socket that the "socket
// unit" holds (tests/install/socket-unit.py plays systemd; SIGHUP is
// `systemctl restart parley-api`).  Talks FastCGI to the socket directly.
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
const path = require('node:path');
const { spawn } = require('node:child_process');
const { getStack, ROOT } = require('../lib/stack');
const fcgi = require('../lib/fcgi');
const procs = require('../lib/procs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isRoot = process.getuid && process.getuid() === 0;

let S;
let unit;
let unitOut = '';
let sockPath;

async function until(what, fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

// The pool's live parley-api.fcgi children.
function workers() {
  const pool = procs.list().find((p) => p.ppid === unit.pid && p.state !== 'Z');
  if (!pool) return [];
  return procs.list().filter((p) => p.ppid === pool.pid && p.state !== 'Z' && p.comm.startsWith('parley-api'));
}
const started = () => (unitOut.match(/^started /gm) || []).length;

test.before(async () => {
  if (!isRoot) return;
  S = await getStack();
  sockPath = path.join(S.varDir, 'run', 'restart-test.sock');
  unit = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/install/socket-unit.py'), sockPath,
    'root', 'root', '0600', 'root', '--',
    'env', `PARLEY_CONFIG=${S.confPath}`, `PARLEY_UPLOAD_DIR=${path.join(S.varDir, 'uploads')}`, 'PARLEY_API_WORKERS=2',
    `PARLEY_API_BIN=${path.join(S.buildDir, 'bin', 'parley-api.fcgi')}`,
    path.join(ROOT, 'deploy', 'parley-api-pool')],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...S.env } });
  unit.stdout.on('data', (d) => { unitOut += d; });
  await until('two workers', () => workers().length === 2 && fs.existsSync(sockPath));
});

// The unit, the pool and the workers, for a teardown that cannot hang on a
// worker that ignores SIGTERM (the bug this file guards against).
function tree(pid) {
  const all = procs.list();
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const p of all) if (p.ppid === out[i]) out.push(p.pid);
  }
  return out;
}

test.after(async () => {
  if (!unit || unit.exitCode !== null) return;
  const pids = tree(unit.pid);
  unit.kill('SIGTERM');
  try {
    await until('the unit to stop', () => unit.exitCode !== null, 5000);
  } finally {
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch (e) { /* gone */ } }
  }
});

test('the pool answers, and concurrent requests on one socket all get their answer', { skip: !isRoot && 'needs root' }, async () => {
  // More requests at once than workers: the workers that lose the race
  // for a connection go back to waiting (EAGAIN), none sleeps in accept.
  const answers = await Promise.all(Array.from({ length: 16 }, () => fcgi.request(sockPath, 'GET', '/api/health')));
  assert.deepEqual(answers.map((a) => a.status), Array(16).fill(200));
  assert.match(answers[0].body, /"status":"ok"/);
});

test('a restart while a worker holds an accepted connection with no request yet', { skip: !isRoot && 'needs root' }, async () => {
  const before = workers().map((p) => p.pid).sort();
  assert.equal(before.length, 2);
  const startedBefore = started();

  // Both workers take a connection and wait for its first bytes.
  const held = [await fcgi.connect(sockPath), await fcgi.connect(sockPath)];
  const answers = held.map((s) => fcgi.readAnswer(s, 15000));
  await sleep(200);
  unit.kill('SIGHUP');            // systemctl restart: SIGTERM to the pool, then to both workers
  await sleep(300);
  for (const s of held) s.write(fcgi.requestBytes('GET', '/api/health'));
  const got = await Promise.all(answers);
  assert.deepEqual(got.map((a) => [a.status, a.ended]), [[200, true], [200, true]],
    'each held connection still gets its whole answer');

  // The old workers exit and the pool starts two new ones.
  await until('the restart', () => started() === startedBefore + 1 &&
    workers().length === 2 && workers().every((p) => !before.includes(p.pid)));
  for (const pid of before) {
    assert.ok(!fs.existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')),
      `old worker ${pid} exited`);
  }
  const after = await fcgi.request(sockPath, 'GET', '/api/health');
  assert.equal(after.status, 200);
});

test('an idle pool stops within a second of SIGTERM', { skip: !isRoot && 'needs root' }, async () => {
  const t0 = Date.now();
  unit.kill('SIGTERM');
  await until('the unit to exit', () => unit.exitCode !== null, 5000);
  assert.ok(Date.now() - t0 < 1000, `stopped in ${Date.now() - t0} ms`);
  assert.equal(unit.exitCode, 0);
  assert.ok(!fs.existsSync(sockPath), 'the socket is removed');
});
