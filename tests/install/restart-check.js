#!/usr/bin/env node
// restart-check.js -- restart the installed API workers under load and count
// what the clients saw.  Four clients send authenticated requests
// (GET /api/chats, a database read) through lighttpd back to back for 4 s;
// after 1 s it sends SIGHUP to the socket-unit.py that runs the workers
// (the test's `systemctl restart parley-api`).  Every request must get its
// 200: the old workers finish what they serve, and what arrives meanwhile
// waits in the socket's backlog.  Prints "ok <name>" / "FAIL <name>: <why>".
//   node restart-check.js http://127.0.0.1:PORT <socket-unit.py pid>   (root)
'use strict';

const base = process.argv[2];
const unitPid = Number(process.argv[3]);
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };

async function call(method, p, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(base + p, { method, headers, body: body && JSON.stringify(body),
                                    signal: AbortSignal.timeout(15000) });
  return { status: r.status, text: await r.text() };
}

(async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const reg = await call('POST', '/api/auth/register', { username: `inst_r_${tag}`, password: 'install-test-pw-1' });
  if (reg.status !== 201) { fail('restart: register', `${reg.status} ${reg.text}`); process.exit(1); }
  const token = JSON.parse(reg.text).access_token;

  const statuses = new Map();
  let total = 0;
  const t0 = Date.now();
  let restartedAt = null;
  const client = async () => {
    while (Date.now() - t0 < 4000) {
      let st;
      try { st = String((await call('GET', '/api/chats', null, token)).status); } catch (e) { st = e.name; }
      statuses.set(st, (statuses.get(st) || 0) + 1);
      total++;
    }
  };
  setTimeout(() => { restartedAt = total; process.kill(unitPid, 'SIGHUP'); }, 1000);
  await Promise.all([client(), client(), client(), client()]);
  const seen = [...statuses].map(([k, v]) => `${k}x${v}`).join(' ');
  console.log(`${total} requests in 4 s, restart after ${restartedAt}: ${seen}`);
  if (restartedAt === null || restartedAt >= total) fail('restart under load', 'no request after the restart');
  else if (statuses.get('200') === total) ok(`restart under load: all ${total} requests answered 200 (${total - restartedAt} after the restart began)`);
  else fail('restart under load: every request answered 200', seen);
  process.exit(failed ? 1 : 0);
})().catch((e) => { fail('restart-check', e.stack); process.exit(1); });
