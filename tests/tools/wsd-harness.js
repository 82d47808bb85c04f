'use strict';
// wsd-harness.js -- run parley-wsd on its own, with no database or lighttpd,
// and drive it the way the rest of the stack would:
//   startDaemon(opts)  the daemon on free ports with a temporary config
//   d.token(sub, name) an HS256 access token signed with the daemon's secret
//   d.push(envelopes)  PUSH envelopes to its intake (parley-tap --send -)
//   d.tap(args)        a parley-tap watcher whose stdout lines are recorded
//   connect(url)       a WebSocket that records frames and its close
// PARLEY_BUILD picks the build folder (build, or build-san for sanitizers).
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD = path.resolve(ROOT, process.env.PARLEY_BUILD || 'build');
const WSD = path.join(BUILD, 'bin', 'parley-wsd');
const TAP = path.join(BUILD, 'bin', 'parley-tap');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { freePort } = require('../lib/stack');

async function waitPort(port, proc, what, ms = 10000) {
  const until = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`${what} exited early (${proc.exitCode ?? proc.signalCode})`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} not listening on ${port}`);
    await sleep(25);
  }
}

// The environment for our child processes: no PARLEY_* from a surrounding
// stack, so only the temporary config applies.
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARLEY_')) env[k] = v;
  return { ...env, ...extra };
}

function b64(obj) {
  return Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)).toString('base64url');
}

// signToken(secret, claims, header?) -> compact JWS (HS256 unless the header
// says otherwise; alg "none" gets an empty signature).
function signToken(secret, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const signing = b64(header) + '.' + b64(claims);
  const sig = header.alg === 'none' ? ''
    : crypto.createHmac('sha256', secret).update(signing).digest('base64url');
  return signing + '.' + sig;
}

// Envelope in the shared/event.h format.
function envelope(type, seq, event, recipients) {
  return { v: 1, type, seq, event: { type, seq, ...event }, recipients };
}

function readRss(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : NaN;
}

// Runs parley-tap --send - and resolves when every line was handed over.
function pushLines(endpoint, lines) {
  return new Promise((resolve, reject) => {
    const p = spawn(TAP, ['--send', '-', '--endpoint', endpoint], {
      env: cleanEnv({}), stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tap --send: ${code} ${err}`))));
    p.stdin.on('error', () => {});
    p.stdin.end(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)) + '\n').join(''));
  });
}

// A long-running parley-tap --send - for trickling envelopes:
// .write(envs) sends now, .end() resolves when the process is done.
function startPusher(endpoint) {
  const p = spawn(TAP, ['--send', '-', '--endpoint', endpoint], {
    env: cleanEnv({}), stdio: ['pipe', 'ignore', 'pipe'],
  });
  let err = '';
  p.stderr.on('data', (x) => { err += x; });
  p.stdin.on('error', () => {});
  const exited = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
  return {
    write: (envs) => new Promise((resolve) => {
      const text = envs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)) + '\n').join('');
      if (p.stdin.write(text)) resolve(); else p.stdin.once('drain', resolve);
    }),
    end: async () => {
      p.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`tap --send: ${code} ${err}`);
    },
  };
}

// A parley-tap watcher; .lines collects stdout, waitLine(pred) awaits one.
function startTap(endpoint, args = []) {
  const proc = spawn(TAP, ['--endpoint', endpoint, ...args], {
    env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'],
  });
  const t = { proc, lines: [], stderr: '', waiters: [] };
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      t.lines.push(line);
      t.waiters = t.waiters.filter((w) => !w(line));
    }
  });
  proc.stderr.on('data', (d) => { t.stderr += d; });
  t.exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  t.waitLine = (pred, ms = 5000) => {
    const hit = t.lines.find(pred);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tap: no matching line within ' + ms + ' ms')), ms);
      t.waiters.push((line) => {
        if (!pred(line)) return false;
        clearTimeout(timer);
        resolve(line);
        return true;
      });
    });
  };
  t.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGCONT');
      proc.kill('SIGINT');
    }
    return t.exited;
  };
  return t;
}

// Opens a WebSocket that records frames (parsed JSON when possible).
// .next(pred, ms) resolves with the first recorded-or-future frame matching
// pred and consumes it; .closed resolves to {code, reason}.
function connect(url, opts = {}) {
  const ws = new WebSocket(url, opts);
  const c = { ws, frames: [], pings: 0, waiters: [], httpStatus: undefined };
  let closed, opened;
  c.closed = new Promise((resolve) => { closed = resolve; });
  c.opened = new Promise((resolve) => { opened = resolve; });
  ws.on('open', () => opened(true));
  ws.on('close', (code, reason) => { opened(false); closed({ code, reason: reason.toString() }); });
  // A refused upgrade (HTTP status instead of 101): record it and give up.
  ws.on('unexpected-response', (req, res) => {
    c.httpStatus = res.statusCode;
    res.resume();
    req.destroy();
    opened(false);
    closed({ code: 1006, reason: '', httpStatus: res.statusCode });
  });
  ws.on('error', () => {});
  ws.on('ping', () => { c.pings++; });
  ws.on('message', (data, isBinary) => {
    let m = data.toString();
    if (!isBinary) { try { m = JSON.parse(m); } catch (e) { /* keep text */ } }
    const w = c.waiters.find((x) => x.pred(m));
    if (w) {
      c.waiters.splice(c.waiters.indexOf(w), 1);
      clearTimeout(w.timer);
      w.resolve(m);
    } else {
      c.frames.push(m);
    }
  });
  c.next = (pred = () => true, ms = 5000) => {
    const i = c.frames.findIndex(pred);
    if (i >= 0) return Promise.resolve(c.frames.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        c.waiters.splice(c.waiters.indexOf(w), 1);
        reject(new Error(`no matching frame within ${ms} ms (have ${JSON.stringify(c.frames).slice(0, 300)})`));
      }, ms);
      c.waiters.push(w);
    });
  };
  c.close = () => { try { ws.close(1000); } catch (e) { /* already closed */ } return c.closed; };
  return c;
}

// Starts parley-wsd with a temporary config.  opts: extra config keys.
// freePort() only says a port WAS free: another process may take it before
// the daemon binds (an outgoing connection's ephemeral port, a parallel
// stack).  A start that fails on a taken port is tried again on new ports;
// any other early exit fails with the daemon's own log.
async function startDaemon(opts = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDaemonOnce(opts);
    } catch (e) {
      const taken = /cannot listen on|cannot bind|binding fd/.test(e.daemonLog || '');
      if (!taken || attempt >= 3 || opts.ws_port !== undefined) throw e;
    }
  }
}

async function startDaemonOnce(opts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-wsd-'));
  const secret = crypto.randomBytes(24).toString('hex');
  const ports = { ws: await freePort(), events: await freePort(), tap: await freePort() };
  const conf = {
    jwt_secret: secret,
    ws_iface: '127.0.0.1',
    ws_port: ports.ws,
    zmq_events: `tcp://127.0.0.1:${ports.events}`,
    zmq_tap: `tcp://127.0.0.1:${ports.tap}`,
    log_level: 'info',
    ...opts,
  };
  const confPath = path.join(dir, 'parley.conf');
  fs.writeFileSync(confPath, Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));
  // PARLEY_WSD_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs the
  // daemon under a checker; tests/valgrind.sh uses it.
  const wrap = (process.env.PARLEY_WSD_WRAPPER || '').split(/\s+/).filter(Boolean);
  const proc = spawn(wrap.length ? wrap[0] : WSD, wrap.length ? [...wrap.slice(1), WSD] : [], {
    env: cleanEnv({ PARLEY_CONFIG: confPath }), stdio: ['ignore', 'ignore', 'pipe'],
  });
  const d = { proc, pid: proc.pid, dir, secret, ports, conf, log: '' };
  proc.stderr.on('data', (x) => { d.log += x; });
  d.exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  try {
    await waitPort(ports.ws, proc, 'parley-wsd');
  } catch (e) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await sleep(100);                       // the rest of its stderr
    e.message += `; its log: ${d.log.slice(-600)}`;
    e.daemonLog = d.log;
    throw e;
  }
  d.url = `ws://127.0.0.1:${ports.ws}/ws`;
  d.eventsEp = conf.zmq_events;
  d.tapEp = conf.zmq_tap;
  d.token = (sub, username, extra = {}) => signToken(secret, {
    sub, username, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600, ...extra,
  });
  d.wsUrl = (token) => (token === undefined ? d.url : `${d.url}?token=${encodeURIComponent(token)}`);
  d.push = (envs) => pushLines(d.eventsEp, envs);
  d.pusher = () => startPusher(d.eventsEp);
  d.tap = (args) => startTap(d.tapEp, args);
  d.rss = () => readRss(d.pid);
  d.metrics = async () => {
    const r = await fetch(`http://127.0.0.1:${ports.ws}/metrics`);
    const text = await r.text();
    const m = {};
    for (const line of text.split('\n')) {
      const x = line.match(/^(parley_\w+) (\d+)$/);
      if (x) m[x[1]] = Number(x[2]);
    }
    return { status: r.status, type: r.headers.get('content-type'), text, m };
  };
  // Connects user `sub` and waits for its "connected" frame.
  d.user = async (sub, username = `user${sub}`) => {
    const c = connect(d.wsUrl(d.token(sub, username)));
    c.hello = await c.next((m) => m.type === 'connected');
    return c;
  };
  d.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const r = await d.exited;
    fs.rmSync(dir, { recursive: true, force: true });
    return r;
  };
  return d;
}

// Sanitizer findings in a process's stderr, or '' when clean.
function sanitizerReport(text) {
  // ASan/UBSan reports, and memcheck errors when run under valgrind.
  const m = text.match(/(==\d+==ERROR: \w+Sanitizer[\s\S]*|runtime error:[^\n]*|==\d+== (Invalid|Conditional jump|Mismatched|Syscall param|Use of uninit)[\s\S]*|==\d+== .*(definitely|indirectly) lost in[\s\S]*)/);
  return m ? m[0].slice(0, 2000) : '';
}

module.exports = {
  BUILD, WSD, TAP, ROOT, sleep, freePort, waitPort, signToken, envelope, connect,
  startDaemon, startTap, startPusher, pushLines, readRss, sanitizerReport, cleanEnv,
};
