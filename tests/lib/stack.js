'use strict';
// stack.js -- a whole Parley stack (PostgreSQL, lighttpd + FastCGI workers,
// ws-daemon) for tests, on free ports in a temporary folder.
//
// tests/run.sh starts one stack for the whole suite and passes it in the
// environment (PARLEY_TEST_VAR and the ports); a test file run on its own
// (`node --test tests/integration/api.test.js`) starts a private stack and
// stops it when the process exits.  Either way getStack() returns the same
// shape:
//   { url, wsUrl, wsUrls, wsProxyUrl, tapEndpoint, confPath, varDir, env,
//     sh(cmd), conf(key), dbUrl, ports }
// wsUrl is ws-daemon 1 directly, wsUrls both daemons, wsProxyUrl lighttpd.
const { execFile, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function stackEnv(varDir) {
  const ports = {
    http: Number(process.env.PARLEY_HTTP_PORT) || await freePort(),
    ws: Number(process.env.PARLEY_WS_PORT) || await freePort(),
    ws2: Number(process.env.PARLEY_WS_PORT2) || await freePort(),
    events: Number(process.env.PARLEY_EVENTS_PORT) || await freePort(),
    tap: Number(process.env.PARLEY_TAP_PORT) || await freePort(),
    pg: Number(process.env.PARLEY_PG_PORT) || await freePort(),
  };
  const env = {
    ...process.env,
    PARLEY_VAR: varDir,
    PARLEY_BUILD: process.env.PARLEY_BUILD || 'build',
    PARLEY_HTTP_PORT: String(ports.http),
    PARLEY_WS_PORT: String(ports.ws),
    PARLEY_WS_PORT2: String(ports.ws2),
    // Two ws-daemons behind lighttpd's /ws, so every test through the
    // proxy (and every browser test) runs on a multi-daemon stack.
    PARLEY_WS_PORTS: `${ports.ws},${ports.ws2}`,
    PARLEY_EVENTS_PORT: String(ports.events),
    PARLEY_TAP_PORT: String(ports.tap),
    PARLEY_PG_PORT: String(ports.pg),
    PARLEY_FCGI_PROCS: process.env.PARLEY_FCGI_PROCS || '3',
  };
  return { env, ports };
}

function makeHandle(varDir, env, ports) {
  // sh('wsd-kill 1'): a parley-stack.sh command and its arguments.
  const sh = (cmd) => execFileSync(path.join(ROOT, 'scripts', 'parley-stack.sh'), cmd.split(' '), {
    env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8',
  });
  // The same without blocking the event loop: a test timing requests while
  // it kills and restarts parts must not count its own wait as theirs.
  const shAsync = (cmd) => new Promise((resolve, reject) => {
    execFile(path.join(ROOT, 'scripts', 'parley-stack.sh'), cmd.split(' '), { env, encoding: 'utf8' },
      (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve(stdout)));
  });
  const conf = (key) => {
    const text = fs.readFileSync(path.join(varDir, 'parley.conf'), 'utf8');
    const m = text.match(new RegExp('^' + key + '\\s*=\\s*(.*)$', 'm'));
    return m ? m[1].trim() : undefined;
  };
  return {
    root: ROOT,
    varDir,
    env,
    ports,
    url: `http://127.0.0.1:${ports.http}`,
    wsUrl: `ws://127.0.0.1:${ports.ws}/ws`,
    wsUrls: [ports.ws, ports.ws2].map((p) => `ws://127.0.0.1:${p}/ws`),
    wsProxyUrl: `ws://127.0.0.1:${ports.http}/ws`,
    // The forwarder's capture socket (ipc:// in the state folder).
    get tapEndpoint() { return conf('zmq_tap'); },
    // The config a parley-tap needs: its CURVE keys are in it.
    confPath: path.join(varDir, 'parley.conf'),
    sh,
    shAsync,
    conf,
    get dbUrl() { return conf('database_url'); },
    get jwtSecret() { return conf('jwt_secret'); },
    buildDir: path.resolve(ROOT, env.PARLEY_BUILD),
  };
}

let cached;

// Returns the suite's stack, starting a private one if the runner gave none.
async function getStack() {
  if (cached) return cached;
  if (process.env.PARLEY_TEST_VAR) {
    const varDir = process.env.PARLEY_TEST_VAR;
    const { env, ports } = await stackEnv(varDir);
    cached = makeHandle(varDir, env, ports);
    return cached;
  }
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
  fs.chmodSync(varDir, 0o755);
  const { env, ports } = await stackEnv(varDir);
  cached = makeHandle(varDir, env, ports);
  cached.sh('start');
  process.on('exit', () => {
    try { cached.sh('stop'); } catch (e) { /* best effort at exit */ }
    if (!process.env.PARLEY_KEEP_VAR) fs.rmSync(varDir, { recursive: true, force: true });
  });
  return cached;
}

module.exports = { getStack, freePort, stackEnv, makeHandle, ROOT };
