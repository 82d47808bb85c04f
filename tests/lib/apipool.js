'use strict';
// apipool.js -- the API workers as the installed site runs them: the pool
// (deploy/parley-api-pool) on a socket that a stand-in for systemd's
// socket unit holds (tests/install/socket-unit.py; SIGHUP = `systemctl
// restart parley-api`), with the stack's config.  Tests talk FastCGI to
// the socket (tests/lib/fcgi.js).  Needs root (the unit chowns the socket
// and starts the pool as a user).
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT } = require('./stack');
const procs = require('./procs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

// pid and every live descendant of it.
function tree(pid) {
  const all = procs.list();
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const p of all) if (p.ppid === out[i] && p.state !== 'Z') out.push(p.pid);
  }
  return out;
}

// Starts a pool of `workers` on `<S.varDir>/run/<name>.sock`; `env` is added
// to the workers' environment.  Resolves once the workers run.
async function startPool(S, { name, workers = 2, env = {} }) {
  const sockPath = path.join(S.varDir, 'run', `${name}.sock`);
  const extra = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const unit = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/install/socket-unit.py'), sockPath,
    'root', 'root', '0600', 'root', '--',
    'env', `PARLEY_CONFIG=${S.confPath}`, `PARLEY_UPLOAD_DIR=${path.join(S.varDir, 'uploads')}`,
    `PARLEY_API_WORKERS=${workers}`, `PARLEY_API_BIN=${path.join(S.buildDir, 'bin', 'parley-api.fcgi')}`,
    ...extra, path.join(ROOT, 'deploy', 'parley-api-pool')],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...S.env } });
  let out = '';
  unit.stdout.on('data', (d) => { out += d; });

  const pool = {
    sockPath,
    unit,
    // The pool's live parley-api.fcgi processes.
    workers() {
      const all = procs.list();
      const p = all.find((x) => x.ppid === unit.pid && x.state !== 'Z');
      return p ? all.filter((x) => x.ppid === p.pid && x.state !== 'Z' && x.comm.startsWith('parley-api')) : [];
    },
    // How many times the unit has started the pool.
    started: () => (out.match(/^started /gm) || []).length,
    // SIGTERM; what is still running 5 s later (a worker that ignores
    // SIGTERM) gets SIGKILL, so a stuck worker cannot hang a test.  Never
    // throws (it runs in teardowns); true when everything stopped by itself.
    async stop() {
      const gone = () => unit.exitCode !== null || unit.signalCode !== null;
      if (gone()) return true;
      const pids = tree(unit.pid);
      unit.kill('SIGTERM');
      let clean = true;
      try {
        await until('the unit to stop', gone, 5000);
      } catch (e) {
        clean = false;
      }
      for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch (e) { /* gone */ } }
      return clean;
    },
  };
  try {
    await until(`${workers} workers`, () => pool.workers().length === workers && fs.existsSync(sockPath));
  } catch (e) {
    await pool.stop();
    throw e;
  }
  return pool;
}

module.exports = { startPool, until, sleep };
