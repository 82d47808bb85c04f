'use strict';
// limits.test.js -- abuse limits: failed logins per username and per client
// address (429 + Retry-After), equal timing for unknown users and wrong
// passwords, and the per-user sending rate.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const psql = (sql) => execFileSync('psql', [S.dbUrl, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();
const login = (username, password) => api(S, 'POST', '/api/auth/login', { body: { username, password } });

test('five failed logins lock that username (even with the right password) and nobody else', async () => {
  const u = await newUser(S, 'lock');
  const other = await newUser(S, 'free');
  for (let i = 0; i < 5; i++) assert.equal((await login(u.username, 'wrong-password')).status, 401);
  const r = await login(u.username, u.password);
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.code, 'too_many_attempts');
  const wait = Number(r.headers.get('retry-after'));
  assert.ok(wait > 0 && wait <= 900, `Retry-After ${wait}`);
  assert.equal((await login(u.username.toUpperCase(), u.password)).status, 429, 'the lock ignores case');
  assert.equal((await login(other.username, other.password)).status, 200, 'other users are not locked');
  psql(`DELETE FROM login_failures WHERE key = 'u:${u.username.toLowerCase()}'`);
  assert.equal((await login(u.username, u.password)).status, 200);
});

test('failed logins are counted per client address, and too many block it', async () => {
  const before = Number(psql("SELECT coalesce(max(failures), 0) FROM login_failures WHERE key = 'a:127.0.0.1'"));
  assert.equal((await login('nobody_here_1', 'x-password')).status, 401);
  assert.equal((await login('nobody_here_2', 'x-password')).status, 401);
  const after = Number(psql("SELECT failures FROM login_failures WHERE key = 'a:127.0.0.1'"));
  assert.ok(after >= before + 2, `address count ${before} -> ${after}`);
  // Pretend this address already failed 100 times in the window.
  psql("UPDATE login_failures SET failures = 100, window_start = now() WHERE key = 'a:127.0.0.1'");
  try {
    const u = await newUser(S);
    const r = await login(u.username, u.password);
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  } finally {
    psql("DELETE FROM login_failures WHERE key = 'a:127.0.0.1'");
  }
  assert.equal((await login('user1', 'password123')).status, 200);
});

test('an unknown username takes as long as a wrong password', async () => {
  const u = await newUser(S, 'timing');
  const time = async (name) => {
    const t0 = process.hrtime.bigint();
    const r = await login(name, 'not-the-password');
    assert.equal(r.status, 401);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const known = [];
  const unknown = [];
  for (let i = 0; i < 2; i++) {
    known.push(await time(u.username));
    unknown.push(await time('no_such_user_' + i));
  }
  psql(`DELETE FROM login_failures WHERE key IN ('u:${u.username.toLowerCase()}', 'a:127.0.0.1')`);
  const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const k = med(known);
  const n = med(unknown);
  // Both run one argon2id verification (~100+ ms); a skipped hash would be ~1 ms.
  assert.ok(n > k * 0.5 && n < k * 2, `wrong password ${k.toFixed(1)} ms, unknown user ${n.toFixed(1)} ms`);
});

test('sending faster than the per-user rate gets 429 with Retry-After; others are unaffected', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
  const statuses = [];
  let limited;
  for (let round = 0; round < 40 && !limited; round++) {
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content: `flood ${round}-${i}` } })));
    for (const r of rs) {
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
  }
  assert.ok(limited, `no 429 after ${statuses.length} rapid posts`);
  assert.equal(limited.json.error.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.ok(statuses.filter((s) => s === 201).length >= 100, 'the burst allowance was honoured');
  assert.ok(statuses.every((s) => s === 201 || s === 429), `unexpected statuses ${[...new Set(statuses)]}`);
  const ok = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: b.token, body: { content: 'not limited' } });
  assert.equal(ok.status, 201);
});
