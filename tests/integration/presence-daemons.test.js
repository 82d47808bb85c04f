'use strict';
// presence-daemons.test.js -- presence when a user's tabs sit on different
// ws-daemons (the test stack runs two) and a daemon dies (kill -9).  A tab
// here does what the page does (www/js/views/presence.js): it holds a
// WebSocket on one daemon and, while that socket is open, reports itself
// (POST /api/presence) at once and every 15 s; a tab whose daemon died
// stops reporting and its last report expires (40 s).  The chat partner
// watches with a WebSocket and sees what the page would show.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, sleep, runSql, apiRetry } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const psql = (sql) => runSql(S, sql);
// Idempotent requests retried once on a failed connection (tests/lib/client.js).
const call = (method, path, opts) => apiRetry(S, method, path, opts);
const REPORT_EVERY_MS = 15000;
const TTL_MS = 40000;

// A page's tab on daemon n (0 or 1): socket + reports while it is open.
async function openTab(user, n, tabId) {
  const conn = wsConnect({ wsUrl: S.wsUrls[n] }, user.token);
  await conn.opened;
  await conn.waitFor((f) => f.type === 'connected');
  const report = () => call('POST', '/api/presence', { token: user.token, body: { tab_id: tabId, state: 'active' } })
    .then((r) => assert.equal(r.status, 204, r.text));
  await report();
  const timer = setInterval(() => { report().catch(() => {}); }, REPORT_EVERY_MS);
  conn.closed.then(() => clearInterval(timer));
  conn.stop = () => { clearInterval(timer); return conn.close(); };
  return conn;
}

const statusOf = async (viewer, u) => {
  const r = await call('GET', `/api/presence?user_ids=${u.id}`, { token: viewer.token });
  assert.equal(r.status, 200, r.text);
  return r.json.presence[0];
};
const about = (u, status) => (f) => f.type === 'presence' && f.user_id === u.id && (!status || f.status === status);

test('tabs on two daemons: one daemon killed keeps the user online, the last one killed takes them offline within a minute',
  { timeout: 240000 }, async (t) => {
    const x = await newUser(S, 'pdx');
    const p = await newUser(S, 'pdp');
    const d = await api(S, 'POST', '/api/chats', { token: p.token, body: { user_id: x.id } });
    assert.equal(d.status, 201, d.text);
    const tabs = [];
    try {
      // The partner: a tab on daemon 2 (index 1), watching.
      const p1 = await openTab(p, 1, 'p-on-2');
      tabs.push(p1);
      // x: one tab on each daemon.
      const xa = await openTab(x, 0, 'x-on-1');
      const xb = await openTab(x, 1, 'x-on-2');
      tabs.push(xa, xb);
      await p1.waitFor(about(x, 'online'), 10000);
      assert.equal((await statusOf(p, x)).status, 'online');

      // Daemon 1 dies: x's tab there stops reporting; the other still does.
      const seen = p1.frames.length;
      await S.shAsync('wsd-kill 1');
      await xa.closed;
      // Past the dead tab's expiry and the next reports (which sweep).
      await sleep(TTL_MS + REPORT_EVERY_MS + 2000);
      assert.equal(psql(`SELECT string_agg(tab_id, ',') FROM presence_tabs WHERE user_id = ${x.id} AND expires_at > now()`),
        'x-on-2', 'the dead daemon\'s tab expired, the live one is reported');
      assert.equal(psql(`SELECT count(*) FROM presence_tabs WHERE user_id = ${x.id}`), '1', 'and was swept');
      assert.deepEqual(p1.frames.slice(seen).filter(about(x)), [], 'the partner saw no change: x is still online');
      assert.equal((await statusOf(p, x)).status, 'online');

      // Daemon 1 comes back; the partner also opens a tab there.  Then
      // daemon 2 dies with x's last tab (and the partner's first one).
      await S.shAsync('wsd-start');
      const p2 = await openTab(p, 0, 'p-on-1');
      tabs.push(p2);
      const killedAt = Date.now();
      await S.shAsync('wsd-kill 2');
      // The daemon is dead by now; a report it forwarded while the kill
      // command was starting (slow under load) may be later than killedAt.
      const deadAt = Date.now();
      await xb.closed;
      await p1.closed;
      const off = await p2.waitFor(about(x, 'offline'), 60000 - (Date.now() - killedAt));
      const took = Date.now() - killedAt;
      assert.ok(took < 60000, `offline after ${took} ms`);
      t.diagnostic(`offline ${took} ms after the last tab's daemon was killed`);
      assert.ok(Date.parse(off.last_seen_at) <= deadAt,
        `last seen (${off.last_seen_at}) before its daemon died (${new Date(deadAt).toISOString()})`);
      assert.equal(p2.frames.filter(about(x)).length, 1, 'one event, no flapping');
      const now = await statusOf(p, x);
      assert.equal(now.status, 'offline');
      assert.equal(now.last_seen_at, off.last_seen_at);
    } finally {
      for (const t of tabs) await t.stop();
      await S.shAsync('wsd-start');   // both daemons for the next test file
    }
  });
