'use strict';
// Drill 2: PostgreSQL stopped for 10 s under load (parley-stack.sh pg-stop,
// sleep 10, pg-start).  Every request is answered quickly (503 JSON
// database_unavailable while the database is away, never a hang), the
// WebSockets stay open, the API recovers by itself within a few seconds,
// and posters that retry after their 503s lose nothing that got a 201 and
// store nothing twice.
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');

const OUTAGE_MS = 10000;

test('drill 2: PostgreSQL down for 10 s under load: quick 503 JSON, sockets stay open, recovery by itself', async () => {
  const S = await H.healthyStack();
  const env = await H.setup(S, { rate: 25 });
  const probes = [];
  let probing = true;
  try {
    const load = H.runLoad(env, 3000 + OUTAGE_MS + 7000);
    // A health probe every 250 ms, like a load balancer.
    const probe = (async () => {
      while (probing) {
        const r = await H.call(S, 'GET', '/api/health');
        probes.push({ t: Date.now(), status: r.status, ms: r.ms, kind: r.status === 200 ? '' : H.failureKind(r) });
        await H.sleep(250);
      }
    })();
    await H.sleep(3000);
    const tStop = Date.now();
    S.sh('pg-stop');
    const tDown = Date.now();
    await H.sleep(OUTAGE_MS);
    const tStartCmd = Date.now();
    S.sh('pg-start');
    const tUp = Date.now();
    console.log(`DRILL pg-outage: pg-stop took ${tDown - tStop} ms, down ${tUp - tDown} ms, pg-start took ${tUp - tStartCmd} ms`);
    await load;
    probing = false;
    await probe;
    const behind = await H.settle(env);
    if (behind.length) console.log(`DRILL pg-outage: still behind after settling: ${behind.join(', ')}`);

    const attempts = env.posters.flatMap((p) => p.attempts.map((a) => ({ poster: p.label, ...a })));
    const failures = attempts.filter((a) => a.kind);
    const kinds = {};
    for (const f of failures) kinds[f.kind] = (kinds[f.kind] || 0) + 1;
    const slowest = Math.max(...attempts.map((a) => a.ms), ...probes.map((p) => p.ms));
    const failMs = failures.map((f) => f.ms).sort((a, b) => a - b);
    console.log(`DRILL pg-outage: attempts ${attempts.length}, failed ${failures.length} ${JSON.stringify(kinds)}, failed-answer ms median ${failMs[failMs.length >> 1] || 0} max ${failMs[failMs.length - 1] || 0}; slowest answer overall ${slowest} ms`);
    const probeKinds = {};
    for (const p of probes.filter((x) => x.t >= tDown && x.t + x.ms <= tStartCmd)) probeKinds[p.kind || p.status] = (probeKinds[p.kind || p.status] || 0) + 1;
    console.log(`DRILL pg-outage: /api/health during the outage: ${JSON.stringify(probeKinds)}`);

    // Quick, clean answers: 503 database_unavailable JSON, within 3 s.
    for (const a of [...attempts, ...probes]) assert.ok(a.ms < 3000, `answered in ${a.ms} ms (< 3000): ${JSON.stringify(a)}`);
    for (const f of failures) assert.equal(f.kind, '503 database_unavailable', JSON.stringify(f));
    for (const p of probes.filter((x) => x.kind)) assert.equal(p.kind, '503 database_unavailable', JSON.stringify(p));
    assert.ok(failures.length > 0, 'the outage was seen by the posters');
    assert.ok(failures.every((f) => f.t + f.ms >= tStop && f.t <= tUp + 5000), 'failures only during the outage');
    assert.ok(probeKinds['503 database_unavailable'] > 0, 'health said 503 during the outage');

    // Recovery by itself: every poster gets a 201 again within 5 s.
    for (const p of env.posters) {
      const first = p.attempts.find((a) => a.t >= tUp && (a.status === 201 || a.status === 200));
      const ms = first ? first.t + first.ms - tUp : -1;
      console.log(`DRILL pg-outage: ${p.label} first success ${ms} ms after pg-start returned`);
      assert.ok(first && ms < 5000, `${p.label} recovered within 5 s (${ms} ms)`);
    }
    const okAfter = probes.find((x) => x.t >= tUp && x.status === 200);
    assert.ok(okAfter && okAfter.t - tUp < 5000, 'health is 200 again within 5 s');

    // The sockets never noticed.
    for (const r of env.readers) assert.deepEqual(r.closes, [], `${r.label} stayed connected`);

    const { problems } = await H.verify(S, env, 'pg-outage');
    assert.deepEqual(problems, []);
  } finally {
    probing = false;
    await H.teardown(env);
  }
});
