'use strict';
// presence.test.js -- tabs report presence; a user is online with any active
// tab, away when every live tab is away, offline when none reports (closed,
// or their daemon died and the reports expired); changes reach exactly the
// users who share a chat, debounced; GET /api/presence answers only about
// those users.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, sleep, runSql } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const psql = (sql) => runSql(S, sql);
const beat = (u, tab, state) => api(S, 'POST', '/api/presence', { token: u.token, body: { tab_id: tab, state } });
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function statusOf(viewer, u) {
  const r = await api(S, 'GET', `/api/presence?user_ids=${u.id}`, { token: viewer.token });
  assert.equal(r.status, 200, r.text);
  return r.json.presence[0];
}

// Waits out the per-user debounce so the next change is announced at once.
const DEBOUNCE_MS = 5200;

test('online / away / offline from the tabs\' reports; GET shape; only people you share a chat with', async () => {
  const a = await newUser(S, 'pa');
  const b = await newUser(S, 'pb');
  const stranger = await newUser(S, 'px');
  assert.equal((await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).status, 201);
  let p = await statusOf(b, a);
  assert.deepEqual(p, { user_id: a.id, status: 'offline', last_seen_at: null });
  assert.equal((await beat(a, 'tab1', 'active')).status, 204);
  p = await statusOf(b, a);
  assert.equal(p.status, 'online');
  assert.match(p.last_seen_at, RFC3339_MS);
  // Two tabs: one away, one active -> online; both away -> away.
  assert.equal((await beat(a, 'tab2', 'away')).status, 204);
  assert.equal((await statusOf(b, a)).status, 'online');
  await beat(a, 'tab1', 'away');
  assert.equal((await statusOf(b, a)).status, 'away');
  // Closing both -> offline, last_seen_at kept.
  await beat(a, 'tab1', 'gone');
  await beat(a, 'tab2', 'gone');
  p = await statusOf(b, a);
  assert.equal(p.status, 'offline');
  assert.match(p.last_seen_at, RFC3339_MS);
  // A stranger learns nothing; yourself you may ask about.
  const s = await api(S, 'GET', `/api/presence?user_ids=${a.id},${b.id}`, { token: stranger.token });
  assert.deepEqual(s.json.presence, []);
  assert.equal((await statusOf(a, a)).user_id, a.id);
  // Bad input.
  for (const q of ['', '?user_ids=', '?user_ids=1,x', `?user_ids=${Array.from({ length: 201 }, (_, i) => i + 1).join(',')}`]) {
    assert.equal((await api(S, 'GET', `/api/presence${q}`, { token: a.token })).status, 400, q);
  }
  assert.equal((await api(S, 'POST', '/api/presence', { token: a.token, body: { tab_id: 't', state: 'busy' } })).status, 400);
  assert.equal((await api(S, 'POST', '/api/presence', { token: a.token, body: { tab_id: '', state: 'active' } })).status, 400);
  assert.equal((await api(S, 'POST', '/api/presence', { token: a.token, body: { tab_id: 'x'.repeat(65), state: 'active' } })).status, 400);
  assert.equal((await api(S, 'POST', '/api/presence', { body: { tab_id: 't', state: 'active' } })).status, 401);
});

test('changes reach chat partners (not strangers) as presence events, debounced; an expired report goes offline', async () => {
  const a = await newUser(S, 'qa');
  const b = await newUser(S, 'qb');
  const c = await newUser(S, 'qc');
  await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } });
  const wb = await wsConnect(S, b.token).opened;
  const wc = await wsConnect(S, c.token).opened;
  await wb.waitFor((f) => f.type === 'connected');
  await wc.waitFor((f) => f.type === 'connected');
  await beat(a, 't', 'active');
  const on = await wb.waitFor((f) => f.type === 'presence' && f.user_id === a.id && f.status === 'online');
  assert.match(on.last_seen_at, RFC3339_MS);
  // A flapping tab inside the debounce window: no flood.
  await beat(a, 't', 'away');
  await beat(a, 't', 'active');
  await beat(a, 't', 'away');
  await beat(a, 't', 'active');
  await sleep(300);
  assert.equal(wb.frames.filter((f) => f.type === 'presence' && f.user_id === a.id).length, 1, 'one event for the burst');
  // A report that expires (a tab whose daemon died stops reporting): the
  // next report of anyone after the debounce announces offline.
  await sleep(DEBOUNCE_MS);
  psql(`UPDATE presence_tabs SET expires_at = now() - interval '1 second' WHERE user_id = ${a.id}`);
  await beat(c, 'tc', 'active');
  await wb.waitFor((f) => f.type === 'presence' && f.user_id === a.id && f.status === 'offline', 5000);
  assert.equal((await statusOf(b, a)).status, 'offline');
  assert.equal(wc.frames.filter((f) => f.type === 'presence' && f.user_id === a.id).length, 0, 'strangers hear nothing');
  await wb.close();
  await wc.close();
});
