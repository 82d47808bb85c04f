'use strict';
// Drill 1: kill -9 FastCGI workers (lighttpd's children) while they serve
// requests under load.  lighttpd respawns them; clients see at most the
// request that was in flight on each killed worker fail, and such a failure
// is a clean 5xx with a JSON error body or a connection reset (recorded
// which).  A poster retrying with the same client_id loses nothing and
// stores nothing twice.  A respawned worker answers requests afterwards.
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');

const KILLS = 2;

// Server bug found by this drill (reported to the lead): a worker killed
// after its transaction committed but before the new_message event left
// its ZeroMQ socket; the client retries with the same client_id and gets
// 200 with the stored message, but that path (fcgi-api/messages.c,
// status 'exists') sends no event, so readers that stay connected never
// get the message live (only a later reconnect + sync would show it).
const knownLoss = (ack, tries) => ack.status === 200 && tries.some((t) => t.kind);
let knownFailures = [];

async function waitRespawn(S, before, killed, ms = 10000) {
  const t0 = Date.now();
  for (;;) {
    const now = H.workerPids(S);
    const fresh = now.filter((p) => !before.includes(p));
    if (!now.includes(killed) && now.length >= before.length && fresh.length) return { pids: now, fresh, ms: Date.now() - t0 };
    if (Date.now() - t0 > ms) return { pids: now, fresh, ms: -1 };
    await H.sleep(50);
  }
}

test('drill 1: kill -9 busy FastCGI workers under load: at most the in-flight request fails, workers respawn', async () => {
  const S = await H.healthyStack();
  const env = await H.setup(S, { rate: 25 });
  const kills = [];
  try {
    const original = H.workerPids(S);
    assert.ok(original.length >= 2, `FastCGI workers found: ${original}`);
    const load = H.runLoad(env, 10000);
    await H.sleep(2000);
    for (let k = 0; k < KILLS; k++) {
      const before = H.workerPids(S);
      // Catch a worker in the middle of a request (bounded: 2 s of polling).
      let victim = 0;
      const tLook = Date.now();
      // Polled between event-loop turns: the load runs in this process.
      while (!victim && Date.now() - tLook < 2000) {
        await new Promise((r) => setImmediate(r));
        victim = H.busyWorker(before);
      }
      const busy = !!victim;
      if (!victim) victim = before[k % before.length];
      process.kill(victim, 'SIGKILL');
      const t = Date.now();
      const re = await waitRespawn(S, before, victim);
      kills.push({ victim, busy, t, respawnMs: re.ms, fresh: re.fresh });
      console.log(`DRILL fcgi-kill: killed worker ${victim} (${busy ? 'mid-request' : 'idle'}); respawned as ${re.fresh.join(',') || 'NONE'} after ${re.ms} ms`);
      assert.ok(re.ms >= 0, `lighttpd respawned worker ${victim} (workers now ${re.pids})`);
      await H.sleep(2500);
    }
    await load;
    const behind = await H.settle(env);
    if (behind.length) console.log(`DRILL fcgi-kill: still behind after settling: ${behind.join(', ')}`);

    // Failed attempts: only at the kills, each clean.
    const failures = env.posters.flatMap((p) => p.failures().map((a) => ({ poster: p.label, ...a })));
    console.log(`DRILL fcgi-kill: failed attempts ${failures.length} for ${KILLS} kills: ${JSON.stringify(failures.map((f) => ({ poster: f.poster, kind: f.kind, ms: f.ms, body: f.body })))}`);
    const slow = env.posters.flatMap((p) => p.attempts.filter((a) => a.ms > 500).map((a) => ({ poster: p.label, ms: a.ms, status: a.status,
      sinceKill: Math.min(...kills.map((k) => (a.t + a.ms >= k.t ? a.t - k.t : Infinity))) })));
    console.log(`DRILL fcgi-kill: attempts slower than 500 ms: ${slow.length} ${JSON.stringify(slow)}`);
    for (const f of failures) assert.match(f.kind, /^(reset|5\d\d [a-z_]+)$/, `clean failure: ${JSON.stringify(f)}`);
    // Per kill, lighttpd fails the request in flight on the worker, and a
    // request it dispatched to the dead worker's socket in the moment before
    // it reaped the process ("connect ...: Connection refused" in its error
    // log).  So: at most two per kill, each at the kill (within 1 s), and
    // the verification below shows every message stored and delivered once.
    assert.ok(failures.length <= 2 * KILLS, `at most two failed requests per killed worker, got ${failures.length}`);
    for (const f of failures) {
      assert.ok(kills.some((k) => f.t + f.ms >= k.t && f.t <= k.t + 1000), `failure at a kill: ${JSON.stringify(f)}`);
    }

    // Every worker lighttpd now runs, including the respawned ones, answers.
    const fresh = kills.flatMap((k) => k.fresh).filter((p) => H.workerPids(S).includes(p));
    assert.ok(fresh.length >= 1, 'a respawned worker is still running');
    const io0 = new Map(fresh.map((p) => [p, H.procIo(p)]));
    let ok = 0;
    for (let round = 0; round < 10; round++) {
      const rs = await Promise.all(Array.from({ length: 12 }, () => H.call(S, 'GET', '/api/health')));
      ok += rs.filter((r) => r.status === 200).length;
      if (fresh.every((p) => H.procIo(p) > io0.get(p))) break;
    }
    const answered = fresh.filter((p) => H.procIo(p) > io0.get(p));
    console.log(`DRILL fcgi-kill: respawned workers ${fresh.join(',')} wrote responses: ${answered.join(',') || 'none'}; health 200s ${ok}`);
    assert.deepEqual(answered, fresh, 'every respawned worker answers requests');

    const { problems, known } = await H.verify(S, env, 'fcgi-kill', { knownLoss });
    knownFailures = known;
    assert.deepEqual(problems, []);
  } finally {
    await H.teardown(env);
  }
});

test('drill 1: readers that stay connected also get a message whose first send died with its worker', () => {
  assert.deepEqual(knownFailures, []);
});

// The window drill 1 can hit by chance, made certain: a worker answered a
// post, then was killed before libzmq's I/O thread wrote the event out.
// The worker kept its numbering in its publisher slot (fcgi-api/pubslot.h):
// the number of the lost event is stored, the event never arrives.  The
// worker lighttpd starts in its place adopts the slot and sends an envelope
// at once, one number past the lost one, so every daemon sees the gap and
// tells its clients to resync.  Without a lost event, the same kill makes
// no resync.  (The slot is a mapped file: pub at byte 8, seq at byte 16.)
const fs = require('node:fs');
const path = require('node:path');
const { newUser, wsConnect } = require('../lib/client');
const { execFileSync } = require('node:child_process');

function slotOf(S, pid) {
  const f = path.join(S.varDir, 'run', 'api-pub', `${pid}.pub`);
  const b = fs.readFileSync(f);
  return { file: f, pub: b.readBigUInt64LE(8), seq: b.readBigUInt64LE(16) };
}

// Posts until some worker's slot shows it has published, and returns it.
async function publishedWorker(S, u, chatId) {
  for (let i = 0; i < 40; i++) {
    const r = await H.call(S, 'POST', `/api/chats/${chatId}/messages`, { token: u.token, body: { content: `warm ${i}` } });
    assert.equal(r.status, 201, r.text);
    const pid = H.workerPids(S).find((p) => { try { return slotOf(S, p).seq > 0n; } catch (e) { return false; } });
    if (pid) return pid;
  }
  throw new Error('no worker published anything');
}

async function killAndRespawn(S, pid) {
  const before = H.workerPids(S);
  process.kill(pid, 'SIGKILL');
  const re = await waitRespawn(S, before, pid);
  assert.ok(re.ms >= 0, `lighttpd respawned worker ${pid}`);
  return re;
}

test('drill 1: a worker killed before its last event left: its successor makes the daemons resync', async () => {
  const S = await H.healthyStack();
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await H.call(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } });
  assert.ok(c.status === 200 || c.status === 201, c.text);
  const socks = [];
  for (const url of S.wsUrls) {
    const ws = wsConnect({ wsUrl: url }, b.token);
    await ws.opened;
    await ws.waitFor((m) => m.type === 'connected');
    socks.push(ws);
  }
  try {
    // Control: a kill with nothing lost.  The successor's first envelope
    // follows the last one the daemons saw: no gap, no resync.
    let pid = await publishedWorker(S, a, c.json.id);
    let slot = slotOf(S, pid);
    let mark = socks.map((w) => w.frames.length);
    let re = await killAndRespawn(S, pid);
    await H.sleep(1500);
    const adoptedClean = re.fresh.some((p) => { try { return slotOf(S, p).pub === slot.pub; } catch (e) { return false; } });
    assert.ok(adoptedClean, `a new worker continues publisher ${slot.pub.toString(16)}`);
    socks.forEach((w, i) => assert.equal(w.frames.slice(mark[i]).filter((m) => m.type === 'resync').length, 0,
      `daemon ${i + 1}: no resync after a kill that lost nothing`));

    // A lost event: its number stored, the envelope never sent.
    pid = await publishedWorker(S, a, c.json.id);
    slot = slotOf(S, pid);
    const fd = fs.openSync(slot.file, 'r+');
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(slot.seq + 1n);
    fs.writeSync(fd, n, 0, 8, 16);
    fs.closeSync(fd);
    mark = socks.map((w) => w.frames.length);
    const t0 = Date.now();
    re = await killAndRespawn(S, pid);
    const got = await Promise.all(socks.map((w, i) => w.waitFor((m) => w.frames.indexOf(m) >= mark[i] && m.type === 'resync', 5000)));
    console.log(`DRILL fcgi-kill: lost last event of publisher ${slot.pub.toString(16)} (#${slot.seq + 1n}); both daemons' clients got resync (${got.map((m) => m.reason).join(', ')}) ${Date.now() - t0} ms after the kill; respawn ${re.ms} ms`);
    for (const m of got) assert.equal(m.reason, 'gap');

    // A killed worker whose only event was lost: a publisher no daemon has
    // seen.  Its slot (made here, its owner dead) is adopted by one of the
    // workers started after the kills below; that worker's first envelope
    // says it resumes at 2, and the daemons resync.  Adopting the slot of
    // the worker just killed (seen, nothing lost) makes no resync.
    const ghost = { pid: execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim(), pub: 0x5eed0000n + BigInt(Date.now() % 65536) };
    const rec = Buffer.alloc(32);
    rec.write('PLPUB1', 0, 'latin1');
    rec.writeBigUInt64LE(ghost.pub, 8);
    rec.writeBigUInt64LE(1n, 16);      // its envelope 1, never sent
    rec.writeBigUInt64LE(0n, 24);      // start time 0: no live process
    fs.writeFileSync(path.join(S.varDir, 'run', 'api-pub', `${ghost.pid}.pub`), rec, { mode: 0o600 });
    let adoptedGhost = false;
    for (let k = 0; k < 8 && !adoptedGhost; k++) {
      await H.sleep(1100);             // past the daemons' one resync a second
      mark = socks.map((w) => w.frames.length);
      re = await killAndRespawn(S, H.workerPids(S)[0]);
      await H.sleep(300);
      adoptedGhost = re.fresh.some((p) => { try { return slotOf(S, p).pub === ghost.pub; } catch (e) { return false; } });
      const resyncs = socks.map((w, i) => w.frames.slice(mark[i]).filter((m) => m.type === 'resync'));
      if (!adoptedGhost) {
        socks.forEach((w, i) => assert.equal(resyncs[i].length, 0, `kill ${k + 1}: no resync when the successor continues a seen publisher`));
        continue;
      }
      const got2 = await Promise.all(socks.map((w, i) => w.waitFor((m) => w.frames.indexOf(m) >= mark[i] && m.type === 'resync', 5000)));
      console.log(`DRILL fcgi-kill: a never-seen publisher's only event lost; adopted after ${k + 1} kill(s); both daemons' clients got resync (${got2.map((m) => m.reason).join(', ')})`);
    }
    assert.ok(adoptedGhost, 'a respawned worker adopted the dead slot');
  } finally {
    for (const w of socks) await w.close();
  }
});
