'use strict';
// seed.js -- creates, through the public API only, everything the benchmarks
// need, and writes it to $BENCH_OUT/seed.json plus two token/chat lists for
// the wrk Lua scripts:
//   users[0]            "heavy": member of BENCH_HEAVY_CHATS direct chats, each
//                       with one message (GET /api/chats figure)
//   users[1..]          everyone else; all of them are in the fan-out group
//   post pairs          BENCH_POST_CHATS direct chats for the POST figure
//   e2e pairs           BENCH_E2E_PAIRS direct chats (sender A -> receiver B)
// Registration costs an argon2id hash (~170 ms of CPU) per user, so it runs
// with BENCH_REG_CONCURRENCY (default 4) requests in flight.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { env, makeClient, pool, writeResult, log, nowMs } = require('./lib');

const URL_ = env('BENCH_URL');
const OUT = env('BENCH_OUT');
const NUSERS = Number(env('BENCH_USERS', 1001));
const HEAVY = Number(env('BENCH_HEAVY_CHATS', 200));
const POST_CHATS = Number(env('BENCH_POST_CHATS', 32));
const E2E_PAIRS = Number(env('BENCH_E2E_PAIRS', 8));
const REG_CONC = Number(env('BENCH_REG_CONCURRENCY', 4));
const FANOUT = Math.min(Number(env('BENCH_FANOUT_MEMBERS', 1000)), NUSERS - 1);

async function main() {
  const need = 1 + Math.max(HEAVY, 2 * POST_CHATS + 2 * E2E_PAIRS, FANOUT);
  if (NUSERS < need) throw new Error(`BENCH_USERS=${NUSERS} but at least ${need} are needed`);
  const c = makeClient(URL_, REG_CONC * 2);
  const run = crypto.randomBytes(3).toString('hex');
  const password = 'bench-' + crypto.randomBytes(6).toString('hex');

  // 1. users
  let t0 = nowMs();
  let done = 0;
  const idx = Array.from({ length: NUSERS }, (_, i) => i);
  const users = await pool(idx, REG_CONC, async (i) => {
    const username = `b${run}_${i}`;
    for (let attempt = 0; ; attempt++) {
      const r = await c.request('POST', '/api/auth/register', { body: { username, password } });
      if (r.status === 201) {
        if (++done % 200 === 0) log(`registered ${done}/${NUSERS}`);
        return { id: r.json.user.id, username, token: r.json.access_token };
      }
      if (attempt >= 3 || (r.status !== 503 && r.status !== 429 && r.status < 500))
        throw new Error(`register ${username}: ${r.status} ${r.text.slice(0, 200)}`);
      await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
    }
  });
  const regSecs = (nowMs() - t0) / 1000;
  log(`registered ${NUSERS} users in ${regSecs.toFixed(1)} s (concurrency ${REG_CONC})`);

  const directChat = async (a, b) => {
    const r = await c.request('POST', '/api/chats', { token: a.token, body: { user_id: b.id } });
    if (r.status !== 201 && r.status !== 200) throw new Error(`chat ${a.id}-${b.id}: ${r.status} ${r.text.slice(0, 200)}`);
    return r.json.id;
  };
  const post = async (u, chat, content) => {
    const r = await c.request('POST', `/api/chats/${chat}/messages`, { token: u.token, body: { content } });
    if (r.status !== 201) throw new Error(`post to ${chat}: ${r.status} ${r.text.slice(0, 200)}`);
    return r.json;
  };

  // 2. the heavy user's direct chats, one message each (from the other side)
  t0 = nowMs();
  const heavy = users[0];
  const others = users.slice(1, 1 + HEAVY);
  await pool(others, 8, async (o) => {
    const chat = await directChat(heavy, o);
    await post(o, chat, `hello from ${o.username}`);
  });
  log(`heavy user ${heavy.username} has ${HEAVY} chats (${((nowMs() - t0) / 1000).toFixed(1)} s)`);

  // 3. chats for the POST figure and for the end-to-end figure: distinct
  //    pairs taken from the end of the list (not the heavy user's partners).
  const tail = users.slice(1 + HEAVY).length >= 2 * (POST_CHATS + E2E_PAIRS)
    ? users.slice(1 + HEAVY) : users.slice(1);
  const postChats = await pool(Array.from({ length: POST_CHATS }, (_, i) => i), 8, async (i) => {
    const a = tail[2 * i], b = tail[2 * i + 1];
    return { chat: await directChat(a, b), a, b };
  });
  const e2e = await pool(Array.from({ length: E2E_PAIRS }, (_, i) => i), 8, async (i) => {
    const a = tail[2 * (POST_CHATS + i)], b = tail[2 * (POST_CHATS + i) + 1];
    return { chat: await directChat(a, b), a, b };
  });

  // 4. the fan-out group: FANOUT members (everyone but the heavy user).
  const members = users.slice(1, 1 + FANOUT);
  const r = await c.request('POST', '/api/chats', {
    token: members[0].token,
    body: { title: `bench fan-out ${run}`, member_ids: members.slice(1).map((u) => u.id) },
  });
  if (r.status !== 201) throw new Error(`group chat: ${r.status} ${r.text.slice(0, 300)}`);
  const group = { chat: r.json.id, members: r.json.members ? r.json.members.length : null };
  log(`fan-out group ${group.chat} with ${group.members} members`);

  // wrk reads "chat_id token" lines: each POST goes to a chat its sender is in.
  const postLines = [];
  for (const p of postChats) { postLines.push(`${p.chat} ${p.a.token}`); postLines.push(`${p.chat} ${p.b.token}`); }
  fs.writeFileSync(path.join(OUT, 'post-targets.txt'), postLines.join('\n') + '\n');
  fs.writeFileSync(path.join(OUT, 'heavy-token.txt'), heavy.token + '\n');

  const seed = { run, users, heavy: { id: heavy.id, username: heavy.username, token: heavy.token, chats: HEAVY },
    postChats: postChats.map((p) => p.chat), e2e, group, fanoutMembers: FANOUT };
  fs.writeFileSync(path.join(OUT, 'seed.json'), JSON.stringify(seed));
  writeResult('seed-stats', { users: NUSERS, heavy_chats: HEAVY, post_chats: POST_CHATS, e2e_pairs: E2E_PAIRS, fanout_members: FANOUT, register_seconds: Math.round(regSecs * 10) / 10,
    register_concurrency: REG_CONC, register_ms_per_user: Math.round((regSecs * 1000 * REG_CONC) / NUSERS) });
  c.close();
}

main().catch((e) => { log('seed failed:', e.stack || e); process.exit(1); });
