'use strict';
// dbdown.test.js -- PostgreSQL goes away mid-run: the API answers 503 JSON
// quickly, keeps answering, and recovers by itself when the database is back.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, sleep } = require('../lib/client');

test('database down: quick 503s, then recovery without restarting anything', async () => {
  const S = await getStack();
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
  assert.equal((await api(S, 'GET', '/api/chats', { token: a.token })).status, 200);
  S.sh('pg-stop');
  try {
    for (const [method, path, body] of [
      ['GET', '/api/chats'], ['GET', '/api/health'],
      ['POST', `/api/chats/${chat.id}/messages`, { content: 'during outage' }],
      ['GET', `/api/chats/${chat.id}/messages`], ['GET', '/api/sync?since=0'],
    ]) {
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const r = await api(S, method, path, { token: a.token, body });
        const ms = Date.now() - t0;
        assert.equal(r.status, 503, `${method} ${path}: ${r.status} ${r.text}`);
        assert.equal(r.json.error.code, 'database_unavailable');
        assert.ok(ms < 3000, `${method} ${path} took ${ms} ms`);
      }
    }
    // Login needs the database too, and must not crash a worker.
    const l = await api(S, 'POST', '/api/auth/login', { body: { username: 'user1', password: 'password123' } });
    assert.equal(l.status, 503);
  } finally {
    S.sh('pg-start');
  }
  let ok = false;
  for (let i = 0; i < 40 && !ok; i++) {
    const r = await api(S, 'GET', '/api/chats', { token: a.token });
    ok = r.status === 200;
    if (!ok) await sleep(100);
  }
  assert.ok(ok, 'API recovered after the database came back');
  const p = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content: 'after outage' } });
  assert.equal(p.status, 201);
  const h = await api(S, 'GET', `/api/chats/${chat.id}/messages`, { token: b.token });
  assert.deepEqual(h.json.messages.map((m) => m.content), ['after outage'], 'nothing half-written during the outage');
});
