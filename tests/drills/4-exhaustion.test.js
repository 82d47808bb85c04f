'use strict';
// Drill 4: resource exhaustion.
//  (a) PostgreSQL max_connections: idle psql sessions take every free slot
//      under load; a FastCGI worker killed meanwhile comes back without a
//      database connection.  Every API answer stays either a success or a
//      quick 503 JSON, nothing crashes, and once the sessions are released
//      everything works again (the sessions are cheap: psql processes with
//      stdin held open, ended by their pids).
//  (b) ws-daemon's open-file limit: a second daemon of our own (own config,
//      free ports, same JWT secret) under `prlimit --nofile=64:64`; 100
//      WebSockets at once: the extra ones are refused or closed cleanly, the
//      daemon neither crashes nor spins, and after they close new
//      connections work again.
//  (c) disk full: not done (see docs/drills.md).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const WebSocket = require('ws');
const H = require('./harness');
const { freePort } = require('../lib/stack');

const PSQL_SESSIONS = 210;    // max_connections is 200 in parley-stack.sh

function psqlSession(dbUrl) {
  const p = spawn('psql', ['-X', '-q', '-d', dbUrl], { stdio: ['pipe', 'ignore', 'pipe'] });
  const s = { p, err: '', exited: false, code: null };
  p.stderr.on('data', (d) => { s.err += d; });
  p.on('exit', (code) => { s.exited = true; s.code = code; });
  p.on('error', (e) => { s.exited = true; s.err += e.message; });
  return s;
}

test('drill 4a: PostgreSQL connection slots exhausted under load: 2xx or quick 503 JSON, recovery after release', async () => {
  const S = await H.healthyStack();
  const env = await H.setup(S, { rate: 20 });
  const sessions = [];
  const probes = [];
  let probing = true;
  try {
    const load = H.runLoad(env, 16000);
    const probe = (async () => {
      while (probing) {
        const r = await H.call(S, 'GET', '/api/health');
        probes.push({ t: Date.now(), status: r.status, ms: r.ms, kind: r.status === 200 ? '' : H.failureKind(r) });
        await H.sleep(250);
      }
    })();
    await H.sleep(2000);
    const tFill = Date.now();
    for (let i = 0; i < PSQL_SESSIONS; i++) {
      sessions.push(psqlSession(S.dbUrl));
      if (i % 20 === 19) await H.sleep(100);
    }
    // Wait (bounded) until every session is either connected-and-idle or refused.
    await H.sleep(3000);
    const refused = sessions.filter((s) => s.exited);
    const holding = sessions.filter((s) => !s.exited);
    const reasons = {};
    for (const s of refused) { const k = (s.err.match(/FATAL:\s*([^\n]*)/) || [, s.err.trim().slice(0, 80)])[1]; reasons[k] = (reasons[k] || 0) + 1; }
    console.log(`DRILL pg-exhaustion: ${holding.length} psql sessions holding slots, ${refused.length} refused ${JSON.stringify(reasons)} (${Date.now() - tFill} ms)`);
    assert.ok(refused.length > 0 && refused.every((s) => /too many clients|reserved/.test(s.err)), 'the server ran out of connection slots');

    // A worker respawned now has no connection and cannot get one.
    const before = H.workerPids(S);
    let victim = 0;
    for (let i = 0; !victim && i < 2000; i++) { await new Promise((r) => setImmediate(r)); victim = H.idleWorker(before); }
    victim = victim || before[0];
    process.kill(victim, 'SIGKILL');
    const tKill = Date.now();
    await H.sleep(4000);
    const after = H.workerPids(S);
    console.log(`DRILL pg-exhaustion: killed idle worker ${victim}; workers now ${after.join(',')}`);

    // Release the slots.
    const tRelease = Date.now();
    for (const s of holding) { try { s.p.stdin.end('\\q\n'); } catch (e) { /* gone */ } }
    for (let i = 0; i < 50 && holding.some((s) => !s.exited); i++) await H.sleep(100);
    for (const s of holding.filter((x) => !x.exited)) { try { s.p.kill('SIGTERM'); } catch (e) { /* gone */ } }
    await load;
    probing = false;
    await probe;
    const behind = await H.settle(env, 5000);
    if (behind.length) console.log(`DRILL pg-exhaustion: still behind after settling: ${behind.join(', ')}`);

    const attempts = env.posters.flatMap((p) => p.attempts.map((a) => ({ poster: p.label, ...a })));
    const failures = attempts.filter((a) => a.kind);
    const kinds = {};
    for (const f of failures) kinds[f.kind] = (kinds[f.kind] || 0) + 1;
    const during = probes.filter((p) => p.t >= tFill && p.t <= tRelease);
    const pk = {};
    for (const p of during) pk[p.kind || p.status] = (pk[p.kind || p.status] || 0) + 1;
    console.log(`DRILL pg-exhaustion: attempts ${attempts.length}, failed ${failures.length} ${JSON.stringify(kinds)}; /api/health while full: ${JSON.stringify(pk)}; slowest ${Math.max(...attempts.map((a) => a.ms), ...probes.map((p) => p.ms))} ms`);

    assert.equal(after.length, before.length, 'lighttpd runs as many workers as before');
    assert.ok(!after.includes(victim));
    for (const a of [...attempts, ...probes]) assert.ok(a.ms < 3000, `answered in ${a.ms} ms: ${JSON.stringify(a)}`);
    for (const f of failures) assert.equal(f.kind, '503 database_unavailable', JSON.stringify(f));
    for (const p of probes.filter((x) => x.kind)) assert.equal(p.kind, '503 database_unavailable', JSON.stringify(p));

    // Everything works after the release: every worker, the respawned one too.
    let okHealth = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 5000) {
      const rs = await Promise.all(Array.from({ length: 9 }, () => H.call(S, 'GET', '/api/health')));
      okHealth = rs.filter((r) => r.status === 200).length;
      if (okHealth === rs.length) break;
      await H.sleep(200);
    }
    console.log(`DRILL pg-exhaustion: all health probes 200 again ${Date.now() - tRelease} ms after the release`);
    assert.equal(okHealth, 9, 'every worker answers 200 after the sessions are released');
    const lastOk = env.posters.map((p) => p.attempts.filter((a) => a.t > tRelease && a.status === 201).length);
    assert.ok(lastOk.every((n) => n > 0), `every poster succeeded after the release: ${lastOk}`);

    for (const r of env.readers) assert.deepEqual(r.closes, [], `${r.label} stayed connected`);
    const { problems } = await H.verify(S, env, 'pg-exhaustion');
    assert.deepEqual(problems, []);
    void tKill;
  } finally {
    probing = false;
    for (const s of sessions) if (!s.exited) { try { s.p.kill('SIGKILL'); } catch (e) { /* gone */ } }
    await H.teardown(env);
  }
});

function cpuTicks(pid) {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);   // utime + stime
}

function openWs(url, ms = 5000) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: ms });
    const r = { ws, state: 'pending', code: 0, err: '' };
    const done = (state) => { if (r.state === 'pending' || r.state === 'open') { r.state = state; } resolve(r); };
    const timer = setTimeout(() => { r.err = 'timeout'; done('timeout'); }, ms + 500);
    ws.on('message', (d) => {
      try { if (JSON.parse(d.toString()).type === 'connected') { clearTimeout(timer); r.state = 'connected'; resolve(r); } } catch (e) { /* ignore */ }
    });
    ws.on('unexpected-response', (req, res) => { r.err = `HTTP ${res.statusCode}`; res.resume(); clearTimeout(timer); done('refused'); });
    ws.on('error', (e) => { r.err = r.err || e.code || e.message; });
    ws.on('close', (code) => { r.code = code; clearTimeout(timer); if (r.state !== 'connected') done('closed'); else r.closedLater = code; });
  });
}

test('drill 4b: ws-daemon at its open-file limit (64): extra sockets refused cleanly, no crash, recovery', async () => {
  const S = await H.healthyStack();
  const port = await freePort();
  const conf = path.join(S.varDir, 'drill-wsd.conf');
  const log = path.join(S.varDir, 'log', 'drill-wsd.log');
  fs.writeFileSync(conf, [
    `jwt_secret = ${S.jwtSecret}`,
    'ws_iface = 127.0.0.1',
    `ws_port = ${port}`,
    `zmq_events = tcp://127.0.0.1:${await freePort()}`,
    `zmq_tap = tcp://127.0.0.1:${await freePort()}`,
    'ws_max_conns_per_user = 1000',
    'log_level = info',
    '',
  ].join('\n'), { mode: 0o600 });
  const logFd = fs.openSync(log, 'a');
  const d = spawn('prlimit', ['--nofile=64:64', '--', path.join(S.buildDir, 'bin', 'parley-wsd')], {
    env: { ...process.env, PARLEY_CONFIG: conf }, stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exit = null;
  const exited = new Promise((resolve) => d.on('exit', (code, sig) => { exit = { code, sig }; resolve(exit); }));
  const conns = [];
  try {
    const u = (await H.setup(S, { posters: 0, readers: false })).users.R[0];
    const url = `ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(u.token)}`;
    for (let i = 0; i < 100; i++) {
      try { await new Promise((res, rej) => { const s = require('node:net').connect(port, '127.0.0.1', () => { s.destroy(); res(); }); s.on('error', rej); }); break; } catch (e) { await H.sleep(50); }
    }
    assert.equal(exit, null, `daemon started: ${fs.readFileSync(log, 'utf8').slice(-500)}`);
    const limits = fs.readFileSync(`/proc/${d.pid}/limits`, 'utf8').match(/Max open files\s+(\d+)\s+(\d+)/);
    console.log(`DRILL wsd-nofile: daemon ${d.pid} open-file limit soft ${limits[1]} hard ${limits[2]}`);

    const cpu0 = cpuTicks(d.pid);
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 100 }, () => openWs(url)));
    conns.push(...results);
    await H.sleep(2000);     // hold them all; does the daemon spin meanwhile?
    const cpuPct = ((cpuTicks(d.pid) - cpu0) / 100) / ((Date.now() - t0) / 1000) * 100;
    const states = {};
    for (const r of results) { const k = r.state === 'connected' ? (r.closedLater ? `connected, then closed ${r.closedLater}` : 'connected') : `${r.state} ${r.code || ''} ${r.err}`.trim(); states[k] = (states[k] || 0) + 1; }
    const fds = fs.readdirSync(`/proc/${d.pid}/fd`).length;
    console.log(`DRILL wsd-nofile: 100 WebSockets at once: ${JSON.stringify(states)}; daemon fds ${fds}; daemon CPU ${cpuPct.toFixed(1)}% over ${Date.now() - t0} ms`);
    assert.equal(exit, null, 'the daemon is still running');
    const connected = results.filter((r) => r.state === 'connected' && !r.closedLater).length;
    assert.ok(connected >= 20, `a useful number of sockets connected (${connected})`);
    assert.ok(connected < 100, 'the limit was reached');
    for (const r of results.filter((x) => x.state !== 'connected')) {
      assert.ok(['refused', 'closed'].includes(r.state), `refused or closed, not hung: ${r.state} ${r.err}`);
    }
    assert.ok(cpuPct < 50, `the daemon does not spin at its fd limit (${cpuPct.toFixed(1)}% CPU)`);

    // Close them all; new connections work again.
    for (const r of results) { try { r.ws.terminate(); } catch (e) { /* closed */ } }
    await H.sleep(1000);
    const again = await Promise.all(Array.from({ length: 10 }, () => openWs(url)));
    const ok = again.filter((r) => r.state === 'connected').length;
    conns.push(...again);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch((e) => e.message);
    const gauge = Number((metrics.match(/^parley_ws_connections (\d+)/m) || [])[1]);
    console.log(`DRILL wsd-nofile: after closing: ${ok}/10 new sockets connected; parley_ws_connections ${gauge}`);
    assert.equal(ok, 10, 'new connections work after the others closed');
    assert.equal(gauge, 10);
    assert.equal(exit, null, 'the daemon is still running');
  } finally {
    for (const r of conns) { try { r.ws.terminate(); } catch (e) { /* closed */ } }
    if (!exit) d.kill('SIGTERM');
    const e = await Promise.race([exited, H.sleep(5000).then(() => null)]);
    if (!e) d.kill('SIGKILL');
    console.log(`DRILL wsd-nofile: daemon exit after SIGTERM: ${JSON.stringify(e)}`);
  }
});
