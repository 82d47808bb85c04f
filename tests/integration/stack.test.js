'use strict';
// stack.test.js -- what `make run` does when a port it needs is taken by
// another program: a clear message naming the port and the setting, and
// nothing of Parley left running.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { stackEnv, ROOT } = require('../lib/stack');

test('make run refuses a port held by another program and leaves nothing running', async () => {
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-ports-'));
  fs.chmodSync(varDir, 0o755);
  // Fresh ports, not the suite's running stack (its ports are in our env).
  for (const k of ['HTTP', 'WS', 'EVENTS', 'TAP', 'PG']) delete process.env[`PARLEY_${k}_PORT`];
  delete process.env.PARLEY_WS_PORT2;
  delete process.env.PARLEY_WS_PORTS;
  delete process.env.PARLEY_DATABASE_URL;
  const { env, ports } = await stackEnv(varDir);
  const squatter = net.createServer(() => {});
  await new Promise((r) => squatter.listen(ports.http, '127.0.0.1', r));
  const script = path.join(ROOT, 'scripts', 'parley-stack.sh');
  try {
    const r = spawnSync(script, ['run'], { env, encoding: 'utf8', timeout: 60000 });
    assert.notEqual(r.status, 0, 'run must fail');
    assert.match(r.stderr, new RegExp(`port ${ports.http} \\(lighttpd\\) is already in use.*PARLEY_HTTP_PORT`));
    const st = spawnSync(script, ['status'], { env, encoding: 'utf8' });
    assert.match(st.stdout, /lighttpd: stopped/);
    assert.match(st.stdout, /ws-daemon 1: stopped/);
    assert.match(st.stdout, /ws-daemon 2: stopped/);
    assert.match(st.stdout, /forwarder: stopped/);
    assert.match(st.stdout, /postgresql: stopped/);
  } finally {
    squatter.close();
    spawnSync(script, ['stop'], { env });
    fs.rmSync(varDir, { recursive: true, force: true });
  }
});
