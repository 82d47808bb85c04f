'use strict';
// limits.test.js -- abuse limits: failed logins per (username, address) with
// doubling delays and a ceiling per address, so nobody can lock anyone out;
// sign-ups per address; chats per user; typing per chat; equal timing for
// unknown users and wrong passwords; the per-user sending rate.  Every
// refusal is 429 with Retry-After and a JSON error.  Requests come from
// random 127.x.y.z addresses (all loopback on Linux) to be different clients.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, randomLoopback, randomName, sleep, runSql } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const psql = (sql) => runSql(S, sql);
const login = (username, password) => api(S, 'POST', '/api/auth/login', { body: { username, password } });

const loginFrom = (from, username, password) => api(S, 'POST', '/api/auth/login', { body: { username, password }, from });

test('a stranger failing admin\'s password 50 times from other addresses slows only them; admin logs in at once', async () => {
  const strangers = Array.from({ length: 10 }, () => randomLoopback());
  const statuses = [];
  for (let round = 0; round < 5; round++) {
    const rs = await Promise.all(strangers.map((from) => loginFrom(from, 'admin', `guess-${round}`)));
    statuses.push(...rs.map((r) => r.status));
  }
  assert.equal(statuses.length, 50);
  assert.ok(statuses.every((x) => x === 401), `statuses ${[...new Set(statuses)]}`);
  const own = randomLoopback();
  const t0 = Date.now();
  const r = await loginFrom(own, 'admin', 'admin123');
  assert.equal(r.status, 200, r.text);
  assert.ok(Date.now() - t0 < 2000, 'no delay for the owner');
  // And the same name from a stranger's address is still only slowed.
  const again = await loginFrom(strangers[0], 'admin', 'admin123');
  assert.equal(again.status, 200, 'five failures are free: not even that address is delayed yet');
});

test('failures per (username, address) earn a delay that doubles; the right password from elsewhere still works', async () => {
  const u = await newUser(S, 'slow');
  const from = randomLoopback();
  for (let i = 0; i < 6; i++) assert.equal((await loginFrom(from, u.username, 'wrong-password')).status, 401, `attempt ${i + 1}`);
  let r = await loginFrom(from, u.username, u.password);
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.code, 'too_many_attempts');
  const first = Number(r.headers.get('retry-after'));
  assert.ok(first >= 1 && first <= 2, `Retry-After ${first}`);
  assert.equal((await loginFrom(from, u.username.toUpperCase(), u.password)).status, 429, 'the pair ignores case');
  assert.equal((await loginFrom(randomLoopback(), u.username, u.password)).status, 200, 'another address is not delayed');
  await sleep(first * 1000 + 100);
  assert.equal((await loginFrom(from, u.username, 'wrong-again')).status, 401);
  r = await loginFrom(from, u.username, u.password);
  assert.equal(r.status, 429);
  const second = Number(r.headers.get('retry-after'));
  assert.ok(second > first && second <= 4, `delay grew ${first} -> ${second}`);
  await sleep(second * 1000 + 100);
  assert.equal((await loginFrom(from, u.username, u.password)).status, 200, 'the right password after the delay');
  assert.equal((await loginFrom(from, u.username, 'wrong-once-more')).status, 401, 'a success cleared the count');
});

test('an address with too many failures over all names waits out its window; other addresses do not', async () => {
  const from = randomLoopback();
  assert.equal((await loginFrom(from, 'nobody_here_1', 'x-password')).status, 401);
  assert.equal((await loginFrom(from, 'nobody_here_2', 'x-password')).status, 401);
  assert.equal(Number(psql(`SELECT failures FROM login_throttle WHERE key = 'a:${from}'`)), 2);
  // Pretend this address already failed login_addr_max (100) times.
  psql(`UPDATE login_throttle SET failures = 100, first_at = now() WHERE key = 'a:${from}'`);
  const u = await newUser(S);
  const r = await loginFrom(from, u.username, u.password);
  assert.equal(r.status, 429);
  assert.equal(r.json.error.code, 'too_many_attempts');
  const wait = Number(r.headers.get('retry-after'));
  assert.ok(wait > 800 && wait <= 900, `Retry-After ${wait}`);
  assert.equal((await loginFrom(randomLoopback(), u.username, u.password)).status, 200);
});

test('sign-ups are limited per address (429 + Retry-After); a taken name is refused before any hashing', async () => {
  const from = randomLoopback();
  const reg = (username) => api(S, 'POST', '/api/auth/register', { body: { username, password: 'long-enough-pw' }, from });
  for (let i = 0; i < 5; i++) assert.equal((await reg(randomName('rl'))).status, 201, `sign-up ${i + 1}`);
  const r = await reg(randomName('rl'));
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.code, 'too_many_registrations');
  assert.ok(Number(r.headers.get('retry-after')) >= 60, r.headers.get('retry-after'));
  assert.equal((await reg('admin')).status, 409, 'a taken name is 409 even when limited');
  // Taken names cost no hash: 20 of them answer in well under one argon2id each.
  const t0 = Date.now();
  const rs = await Promise.all(Array.from({ length: 20 }, () => api(S, 'POST', '/api/auth/register', { body: { username: 'admin', password: 'long-enough-pw' }, from: randomLoopback() })));
  assert.ok(rs.every((x) => x.status === 409));
  const ms = Date.now() - t0;
  assert.ok(ms < 1500, `20 taken-name sign-ups took ${ms} ms`);
  assert.equal((await api(S, 'POST', '/api/auth/register', { body: { username: randomName('rl'), password: 'long-enough-pw' }, from: randomLoopback() })).status, 201);
});

test('chat creation is limited per user (429 too_many_chats); others are unaffected', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const statuses = [];
  for (let i = 0; i < 21; i++) {
    statuses.push((await api(S, 'POST', '/api/chats', { token: a.token, body: { title: `g${i}`, member_ids: [b.id] } })).status);
  }
  assert.deepEqual(statuses.slice(0, 20), Array(20).fill(201));
  const r = await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'one more', member_ids: [b.id] } });
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.code, 'too_many_chats');
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
  assert.equal((await api(S, 'POST', '/api/chats', { token: b.token, body: { title: 'mine', member_ids: [a.id] } })).status, 201);
});

test('typing: at most one notice per 3 s per chat (429 + Retry-After), other chats unaffected', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const c = await newUser(S);
  const ab = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
  const ac = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: c.id } })).json;
  assert.equal((await api(S, 'POST', `/api/chats/${ab.id}/typing`, { token: a.token })).status, 204);
  const r = await api(S, 'POST', `/api/chats/${ab.id}/typing`, { token: a.token });
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.code, 'too_many_typing');
  const wait = Number(r.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 3, `Retry-After ${wait}`);
  assert.equal((await api(S, 'POST', `/api/chats/${ac.id}/typing`, { token: a.token })).status, 204, 'another chat');
  assert.equal((await api(S, 'POST', `/api/chats/${ab.id}/typing`, { token: b.token })).status, 204, 'another user');
  await sleep(3000);
  assert.equal((await api(S, 'POST', `/api/chats/${ab.id}/typing`, { token: a.token })).status, 204, 'after 3 s');
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
  psql("DELETE FROM login_throttle WHERE key LIKE 'ua:%' OR key = 'a:127.0.0.1'");
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
