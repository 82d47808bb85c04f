'use strict';
// ws-keepalive.test.js -- ws-daemon's own keepalive wheel (ws-daemon/keepalive.c):
// a client that answers pings stays, one that does not is dropped 15 s
// after an unanswered ping (1006, logged), and a token whose exp lies past
// the wheel's reach at connect time still closes the socket with 4001 on
// time.  Before the wheel, lws's validity timers did this, at a cost per
// ping and pong that grew with the number of connections (docs/bench.md,
// step 10).
//
//   node --test tests/integration/ws-keepalive.test.js
const test = require('node:test');
const assert = require('node:assert/strict');
const { connect, startDaemon, sleep } = require('../tools/wsd-harness');

let d;
test.before(async () => { d = await startDaemon({ ws_ping_secs: 1 }); });
test.after(async () => { if (d && d.proc.exitCode === null) await d.stop(); });

async function opened(c) {
  const hello = await c.next((m) => m.type === 'connected', 10000);
  assert.equal(hello.type, 'connected');
  return Date.now();
}

test('pings are answered or the socket is dropped; a far exp still closes on time', async () => {
  const now = Math.floor(Date.now() / 1000);
  const good = connect(d.wsUrl(d.token(701, 'ka_good')));
  // autoPong false: the client library leaves pings unanswered, as a
  // vanished peer would.
  const mute = connect(d.wsUrl(d.token(702, 'ka_mute')), { autoPong: false });
  // exp 20 s away: past the 17 s within which the daemon arms the lws timer
  // at connect, so the wheel must arm it on a later turn.
  const expiring = connect(d.wsUrl(d.token(703, 'ka_exp', { exp: now + 20 })));
  const t0 = await opened(good);
  const tm = await opened(mute);
  await opened(expiring);

  const muteClosed = await Promise.race([mute.closed, sleep(30000).then(() => null)]);
  assert.ok(muteClosed, 'the silent client was dropped within 30 s');
  const muteSecs = (Date.now() - tm) / 1000;
  assert.equal(muteClosed.code, 1006);
  assert.ok(mute.pings > 0, 'it was pinged first');
  assert.ok(muteSecs >= 14 && muteSecs <= 25, `dropped ${muteSecs.toFixed(1)} s after connecting (ping after 1 s, then 15 s)`);
  assert.match(d.log, /user 702: no pong \d+s after a ping, dropping/);

  const expClosed = await Promise.race([expiring.closed, sleep(15000).then(() => null)]);
  assert.ok(expClosed, 'the expiring token closed its socket');
  assert.equal(expClosed.code, 4001, d.log.split('\n').filter((l) => /user 703/.test(l)).join('\n'));
  const expAt = Date.now() / 1000;
  assert.ok(expAt >= now + 19 && expAt <= now + 24, `closed ${(expAt - now).toFixed(1)} s after iat (exp +20 s)`);

  // The answering client was pinged all along and is still there.
  assert.equal(good.ws.readyState, 1, 'the answering client is still open');
  assert.ok(good.pings >= 8, `pinged about once a second (${good.pings} in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  await good.close();
  assert.doesNotMatch(d.log, /user 701: no pong/);
});
