'use strict';
// ws-unix.test.js -- ws_socket: the daemon listens on a unix socket in a
// private folder instead of a loopback port, and lighttpd's mod_proxy
// reaches it there.  Checks: no TCP listener is opened; a browser through
// lighttpd gets `connected`, its events and a real 4001 close; the
// per-address cap still counts the address lighttpd forwards; /metrics
// answers on the socket; a non-socket file at the path is refused at start.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const {
  WSD, sleep, freePort, waitPort, signToken, envelope, connect, pushLines, cleanEnv, sanitizerReport,
} = require('../tools/wsd-harness');

let dir, sock, secret, ports, wsd, wsdLog = '';

function writeConf(file, extra) {
  const conf = {
    jwt_secret: secret, ws_iface: '127.0.0.1', ws_port: ports.ws,
    zmq_events: `tcp://127.0.0.1:${ports.events}`, zmq_tap: `tcp://127.0.0.1:${ports.tap}`,
    log_level: 'info', ...extra,
  };
  fs.writeFileSync(file, Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));
}

async function waitSock(p, proc, ms = 10000) {
  const until = Date.now() + ms;
  while (!(fs.existsSync(p) && fs.statSync(p).isSocket())) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`parley-wsd exited early (${proc.exitCode ?? proc.signalCode})`);
    if (Date.now() > until) throw new Error(`no socket at ${p}`);
    await sleep(25);
  }
}

const token = (sub, username) => signToken(secret, {
  sub, username, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600,
});

test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-wsd-unix-'));
  fs.mkdirSync(path.join(dir, 'run'), { mode: 0o750 });
  sock = path.join(dir, 'run', 'wsd.sock');
  secret = crypto.randomBytes(24).toString('hex');
  ports = { ws: await freePort(), events: await freePort(), tap: await freePort() };
  writeConf(path.join(dir, 'parley.conf'), { ws_socket: sock, ws_max_conns_per_addr: 2 });
  wsd = spawn(WSD, [], { env: cleanEnv({ PARLEY_CONFIG: path.join(dir, 'parley.conf') }), stdio: ['ignore', 'ignore', 'pipe'] });
  wsd.stderr.on('data', (x) => { wsdLog += x; });
  await waitSock(sock, wsd);
});

test.after(async () => {
  if (wsd && wsd.exitCode === null) {
    wsd.kill('SIGTERM');
    await new Promise((r) => wsd.on('exit', r));
  }
  assert.equal(sanitizerReport(wsdLog), '');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ws_socket: no TCP port is opened, /metrics answers on the socket', async () => {
  const refused = await new Promise((resolve) => {
    const s = net.connect(ports.ws, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
  assert.ok(refused, `port ${ports.ws} must not be listening`);
  // The socket file appears at bind; the daemon logs the line a moment
  // later, once its bus and keepalive are set up.
  for (let t0 = Date.now(); !/listening on unix:/.test(wsdLog) && Date.now() - t0 < 5000;)
    await sleep(20);
  assert.match(wsdLog, /listening on unix:/);
  const body = await new Promise((resolve, reject) => {
    http.get({ socketPath: sock, path: '/metrics' }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve({ status: res.statusCode, b }));
    }).on('error', reject);
  });
  assert.equal(body.status, 200);
  assert.match(body.b, /^parley_ws_connections 0$/m);
});

test('through lighttpd to the unix socket: connected, events, 4001, per-address cap', async (t) => {
  const lighttpd = ['/usr/sbin/lighttpd', '/usr/bin/lighttpd'].find((p) => fs.existsSync(p));
  if (!lighttpd) { t.skip('lighttpd not installed'); return; }
  const port = await freePort();
  const ldir = fs.mkdtempSync(path.join(dir, 'lighttpd-'));
  fs.writeFileSync(path.join(ldir, 'lighttpd.conf'), [
    `server.document-root = "${ldir}"`,
    'server.bind = "127.0.0.1"',
    `server.port = ${port}`,
    `server.errorlog = "${ldir}/error.log"`,
    'server.modules = ( "mod_proxy" )',
    `proxy.server = ( "/ws" => (( "host" => "${sock}" )) )`,
    'proxy.header = ( "upgrade" => "enable" )',
    '',
  ].join('\n'));
  const lt = spawn(lighttpd, ['-D', '-f', path.join(ldir, 'lighttpd.conf')], { stdio: 'ignore' });
  const open = [];
  try {
    await waitPort(port, lt, 'lighttpd');
    const url = `ws://127.0.0.1:${port}/ws`;
    const a = connect(`${url}?token=${encodeURIComponent(token(501, 'unix_a'))}`);
    open.push(a);
    assert.deepEqual(await a.next(), { type: 'connected', user_id: 501, username: 'unix_a' });
    await pushLines(`tcp://127.0.0.1:${ports.events}`, [envelope('typing', 0, { chat_id: 9 }, [{ user_id: 501 }])]);
    assert.equal((await a.next((m) => m.type === 'typing')).chat_id, 9);
    const bad = connect(`${url}?token=garbage`);
    assert.equal((await bad.closed).code, 4001);
    // ws_max_conns_per_addr = 2: the third socket from 127.0.0.1 (the
    // address lighttpd forwards) is refused like on the TCP port.
    const b = connect(`${url}?token=${encodeURIComponent(token(502, 'unix_b'))}`);
    open.push(b);
    await b.next((m) => m.type === 'connected');
    const c = connect(`${url}?token=${encodeURIComponent(token(503, 'unix_c'))}`);
    open.push(c);
    const closed = await c.closed;
    assert.ok(closed.httpStatus === 429 || closed.code === 4008, `third refused: ${JSON.stringify(closed)}`);
  } finally {
    for (const c of open) await Promise.race([c.close(), sleep(2000)]);
    lt.kill('SIGTERM');
    await new Promise((r) => (lt.exitCode !== null ? r() : lt.on('exit', r)));
  }
});

test('ws_socket: a file that is not a socket is refused with a message', async () => {
  const file = path.join(dir, 'run', 'not-a-socket');
  fs.writeFileSync(file, 'keep me');
  const conf = path.join(dir, 'bad.conf');
  writeConf(conf, { ws_socket: file, zmq_events: `tcp://127.0.0.1:${await freePort()}`, zmq_tap: `tcp://127.0.0.1:${await freePort()}` });
  const p = spawn(WSD, [], { env: cleanEnv({ PARLEY_CONFIG: conf }), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (x) => { err += x; });
  const code = await new Promise((r) => p.on('exit', r));
  assert.equal(code, 1);
  assert.match(err, /exists and is not a socket/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');
});
