'use strict';
// check.js -- run by tests/cluster/run.sh inside the client namespace:
// checks a three-host cluster from outside, like users would.  Prints
// "ok - …" / "not ok - …" lines and ends "cluster: N passed, M failed".
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const WebSocket = require('ws');

const H = { h1: process.env.CLUSTER_H1, h2: process.env.CLUSTER_H2, h3: process.env.CLUSTER_H3 };
const CTL = process.env.CLUSTER_CTL;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let passed = 0; let failed = 0;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').slice(0, 6).join('\n  ')}`);
  }
}

async function api(host, method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(host + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json; try { json = JSON.parse(text); } catch (e) { json = undefined; }
  return { status: res.status, json, text };
}
let nUsers = 0;
async function newUser(host) {
  const username = `c${process.pid}_${++nUsers}`;
  const r = await api(host, 'POST', '/api/auth/register', { body: { username, password: 'pw-cluster-1' } });
  assert.equal(r.status, 201, r.text);
  return { id: r.json.user.id, username, token: r.json.access_token };
}
async function post(host, u, chat, content) {
  const r = await api(host, 'POST', `/api/chats/${chat}/messages`, { token: u.token, body: { content } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// A WebSocket that records frames; waitFor(pred, ms).
function ws(url, token) {
  const s = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
  const c = { s, frames: [], waiters: [] };
  s.on('message', (d) => {
    const m = JSON.parse(d.toString()); m.at = Date.now();
    c.frames.push(m);
    for (const w of c.waiters.slice()) if (w.pred(m)) { c.waiters.splice(c.waiters.indexOf(w), 1); clearTimeout(w.t); w.resolve(m); }
  });
  c.closed = new Promise((r) => s.on('close', (code) => r(code)));
  s.on('error', () => {});
  c.waitFor = (pred, ms = 5000) => {
    const hit = c.frames.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.t = setTimeout(() => { c.waiters.splice(c.waiters.indexOf(w), 1); reject(new Error(`no frame within ${ms} ms`)); }, ms);
      c.waiters.push(w);
    });
  };
  c.ready = c.waitFor((m) => m.type === 'connected', 10000);
  return c;
}
const wsUrl = (host) => host.replace('http://', 'ws://') + '/ws';

// A reader like the page: live frames, reconnect + sync after a close,
// sync after a resync notice.  Records what it saw.
function reader(name, host, user) {
  const r = { name, host, user, live: new Map(), synced: new Set(), resyncs: 0, reconnects: 0, cursor: null, stop: false };
  const syncNow = async () => {
    const q = r.cursor === null ? '' : `?since=${r.cursor}`;
    const s = (await api(host, 'GET', `/api/sync${q}`, { token: user.token })).json;
    if (r.cursor !== null) for (const e of s.changes) if (e.type === 'new_message') r.synced.add(e.message.id);
    r.cursor = s.seq;
    r.last = s;
  };
  const connect = async () => {
    const c = ws(wsUrl(host), user.token);
    r.c = c;
    c.s.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'new_message') r.live.set(m.message.id, (r.live.get(m.message.id) || 0) + 1);
      if (m.type === 'resync') { r.resyncs++; setTimeout(() => syncNow().catch(() => {}), 200 + Math.random() * 800); }
    });
    c.closed.then(async () => {
      if (r.stop) return;
      r.reconnects++;
      await sleep(300);
      await connect();
      await r.c.ready.catch(() => {});
      await syncNow().catch(() => {});
    });
    return c;
  };
  r.start = async () => { await syncNow(); await connect(); await r.c.ready; };
  r.finish = async () => { r.stop = true; await syncNow(); r.c.s.close(); };
  return r;
}

function tapRun(cmd, secs) {
  return new Promise((resolve) => {
    const p = spawn(CTL, [cmd, String(secs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = ''; p.stdout.on('data', (d) => { out += d; });
    p.on('exit', () => resolve(out));
  });
}

async function main() {
  const a = await newUser(H.h1);
  const b = await newUser(H.h1);
  const c = await newUser(H.h2);
  const g = (await api(H.h1, 'POST', '/api/chats', { token: a.token, body: { title: 'cluster', member_ids: [b.id, c.id] } })).json;

  await check('a message posted on host 1 reaches sockets on hosts 3 and 2 live, with unread counts', async () => {
    const b3 = ws(wsUrl(H.h3), b.token); const c2 = ws(wsUrl(H.h2), c.token);
    await b3.ready; await c2.ready;
    const t0 = Date.now();
    const m = await post(H.h1, a, g.id, 'hello from host 1');
    const eb = await b3.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
    const ec = await c2.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
    assert.equal(eb.unread_count, 1); assert.equal(ec.unread_count, 1);
    assert.equal(eb.message.content, 'hello from host 1');
    console.log(`# POST on h1 -> frame on h3 in ${eb.at - t0} ms, on h2 in ${ec.at - t0} ms (incl. the POST)`);
    b3.s.close(); c2.s.close();
  });

  await check('a host with a wrong key gets nothing and sends nothing', async () => {
    const good = ws(wsUrl(H.h2), b.token);
    const bad = ws(process.env.CLUSTER_BAD_WS, b.token);
    await good.ready; await bad.ready;
    const badTap = tapRun('bad-tap', 4);
    const goodTap = tapRun('good-tap', 4);
    await sleep(800);
    const m = await post(H.h1, a, g.id, 'not for strangers');
    await good.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
    const forged = JSON.stringify({ v: 1, type: 'new_message', seq: 1,
      event: { type: 'new_message', seq: 1, chat_id: g.id, message: { id: 987654321, chat_id: g.id, content: 'forged', sender_id: a.id } },
      recipients: [{ user_id: b.id, unread_count: 1, total_unread: 1 }] });
    execFileSync(CTL, ['bad-send'], { input: forged + '\n', stdio: ['pipe', 'ignore', 'ignore'] });
    const [badOut, goodOut] = await Promise.all([badTap, goodTap]);
    await sleep(500);
    assert.ok(goodOut.includes('not for strangers'), 'an allowed host\'s tap sees the message');
    assert.equal(badOut, '', 'the stranger\'s tap saw nothing');
    assert.ok(!bad.frames.some((e) => e.type === 'new_message'), 'the stranger\'s daemon delivered nothing');
    assert.ok(!good.frames.some((e) => e.type === 'new_message' && e.message.id === 987654321), 'the forged event reached no one');
    assert.match(fs.readFileSync(process.env.CLUSTER_FWD_LOG, 'utf8'), /refused a CURVE peer/);
    good.s.close(); bad.s.close();
  });

  await check('kill -9 of the forwarder and of host 2\'s daemon under load: nothing lost or duplicated', async () => {
    const readers = [reader('b@h3', H.h3, b), reader('c@h2', H.h2, c), reader('b@h2', H.h2, b)];
    for (const r of readers) await r.start();
    const N = 300;
    const posted = [];
    let failedPosts = 0;
    const poster = (async () => {
      for (let i = 0; i < N; i++) {
        const host = [H.h1, H.h2, H.h3][i % 3];
        const r = await api(host, 'POST', `/api/chats/${g.id}/messages`, { token: a.token, body: { content: `load ${i}` } });
        if (r.status === 201) posted.push(r.json.id); else failedPosts++;
        await sleep(10);
      }
    })();
    await sleep(700);
    execFileSync(CTL, ['fwd-kill']);
    await sleep(500);
    execFileSync(CTL, ['fwd-start']);
    await sleep(1000);
    execFileSync(CTL, ['wsd-kill', 'h2']);
    await sleep(500);
    execFileSync(CTL, ['wsd-start', 'h2']);
    await poster;
    await sleep(3000);
    for (const r of readers) await r.finish();
    // Every stored message of the chat, 200 at a time (the API's cap).
    const all = [];
    for (let after = Math.min(...posted) - 1; ;) {
      const res = await api(H.h1, 'GET', `/api/chats/${g.id}/messages?after=${after}&limit=200`, { token: b.token });
      assert.equal(res.status, 200, res.text);
      const page = res.json;
      all.push(...page.messages.map((m) => m.id));
      if (!page.has_more || !page.messages.length) break;
      after = Math.max(...page.messages.map((m) => m.id));
    }
    const stored = all.filter((id) => posted.includes(id)).sort((x, y) => x - y);
    assert.equal(failedPosts, 0, 'no post failed');
    assert.deepEqual(stored, posted.slice().sort((x, y) => x - y), 'every post stored');
    for (const r of readers) {
      const seen = new Set([...r.live.keys(), ...r.synced]);
      const lost = posted.filter((id) => !seen.has(id)).length;
      const dup = [...r.live.values()].filter((n) => n > 1).length;
      const delivered = posted.filter((id) => r.live.has(id)).length;
      console.log(`# DRILL cluster ${r.name}: posted ${posted.length} stored ${stored.length} delivered-live ${delivered} recovered-by-sync ${posted.length - delivered - lost} lost ${lost} duplicated ${dup} (resyncs ${r.resyncs}, reconnects ${r.reconnects})`);
      assert.equal(lost, 0, `${r.name} lost ${lost}`);
      assert.equal(dup, 0, `${r.name} got ${dup} live frames twice`);
    }
    const rs = readers.find((r) => r.name === 'b@h3');
    assert.ok(rs.resyncs >= 1, 'host 3\'s client was told to resync after the forwarder restart');
    assert.ok(readers.find((r) => r.name === 'c@h2').reconnects >= 1, 'host 2\'s client reconnected after its daemon died');
  });

  console.log(`cluster: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log(`not ok - cluster driver crashed: ${e.stack}`); console.log(`cluster: ${passed} passed, ${failed + 1} failed`); process.exit(1); });
