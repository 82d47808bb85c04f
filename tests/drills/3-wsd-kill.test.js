'use strict';
// Drill 3: ws-daemon killed with -9 under load and restarted 1 s later.
// Every reader (direct and through lighttpd's /ws proxy) sees its socket
// close, reconnects with backoff, resyncs from the cursor of its last sync
// answer, and ends with exactly the stored messages, each once.  No API
// request fails or slows down while the daemon is away.
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');

test('drill 3: kill -9 ws-daemon under load, restart after 1 s: readers resync exactly', async () => {
  const S = await H.healthyStack();
  const env = await H.setup(S, { rate: 25 });
  try {
    const load = H.runLoad(env, 9000);
    await H.sleep(2000);
    const tKill = Date.now();
    // Async: the posters run in this process and must not be charged for
    // the time the stack script takes (it kills and starts every daemon).
    await S.shAsync('wsd-kill');
    await H.sleep(1000);
    await S.shAsync('wsd-start');
    const tUp = Date.now();
    console.log(`DRILL wsd-kill: daemon down ${tUp - tKill} ms`);
    await load;
    const behind = await H.settle(env);
    if (behind.length) console.log(`DRILL wsd-kill: still behind after settling: ${behind.join(', ')}`);
    // Everyone reconnected, after the kill.
    for (const r of env.readers) {
      assert.ok(r.closes.some((c) => c.t >= tKill), `${r.label} saw no close when the daemon died`);
      assert.ok(r.isOpen(), `${r.label} is connected again`);
      assert.ok(r.stats.connects >= 2, `${r.label} reconnected`);
    }
    const { problems } = await H.verify(S, env, 'wsd-kill');
    for (const p of env.posters) {
      assert.deepEqual(p.failures().map((a) => a.kind), [], `${p.label}: no request fails while the daemon is away`);
      const slow = p.attempts.filter((a) => a.ms > 1000);
      assert.deepEqual(slow.map((a) => a.ms), [], `${p.label}: posting stays fast while the daemon is away`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await H.teardown(env);
  }
});
