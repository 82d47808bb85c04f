#!/usr/bin/env node
// ws-check.js -- one message through an installed Parley, end to end, all
// through lighttpd: register two users over /api, open alice's WebSocket at
// /ws, bob starts a direct chat with alice and posts; alice must receive the
// new_message event.  Prints one line per check, "ok <name>" or
// "FAIL <name>: <why>"; exits 0 when all passed.
//   node ws-check.js http://127.0.0.1:PORT
'use strict';
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', 'node_modules', 'ws'));

const base = process.argv[2];
const wsBase = base.replace(/^http/, 'ws');
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };

async function call(method, p, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(base + p, { method, headers, body: body && JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return { status: r.status, json, text };
}

function openWs(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/ws?token=${encodeURIComponent(token)}`);
    const frames = [];
    const waiters = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      frames.push(m);
      for (const w of waiters.slice()) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
    });
    ws.waitFor = (pred, ms) => new Promise((res, rej) => {
      const hit = frames.find(pred);
      if (hit) return res(hit);
      const w = { pred, resolve: res };
      waiters.push(w);
      setTimeout(() => rej(new Error(`timeout; frames: ${JSON.stringify(frames).slice(0, 300)}`)), ms);
    });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

(async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const reg = async (name) => {
    const r = await call('POST', '/api/auth/register', { username: name, password: 'install-test-pw-1' });
    if (r.status !== 201 || !r.json || !r.json.access_token) throw new Error(`register ${name}: ${r.status} ${r.text}`);
    return { id: r.json.user.id, token: r.json.access_token };
  };
  let alice, bob, ws;
  try {
    alice = await reg(`inst_a_${tag}`);
    bob = await reg(`inst_b_${tag}`);
    const login = await call('POST', '/api/auth/login', { username: `inst_a_${tag}`, password: 'install-test-pw-1' });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
    ok('register and log in through /api');
  } catch (e) { fail('register and log in through /api', e.message); process.exit(1); }

  try {
    ws = await openWs(alice.token);
    const c = await ws.waitFor((m) => m.type === 'connected', 5000);
    if (c.user_id !== alice.id) throw new Error(`connected as ${c.user_id}`);
    ok('WebSocket through /ws: connected');
  } catch (e) { fail('WebSocket through /ws: connected', e.message); process.exit(1); }

  try {
    const chat = await call('POST', '/api/chats', { user_id: alice.id }, bob.token);
    if (chat.status !== 201 && chat.status !== 200) throw new Error(`create chat: ${chat.status} ${chat.text}`);
    const content = `hello from the installed stack ${tag}`;
    const post = await call('POST', `/api/chats/${chat.json.id}/messages`, { content, client_id: `c-${tag}` }, bob.token);
    if (post.status !== 201) throw new Error(`post: ${post.status} ${post.text}`);
    ok('post a message through /api');
    const ev = await ws.waitFor((m) => m.type === 'new_message' && m.message && m.message.content === content, 5000);
    if (ev.unread_count !== 1) throw new Error(`unread_count ${ev.unread_count}`);
    ok('new_message received over /ws');
  } catch (e) { fail('post and receive', e.message); }

  // A file through the installed stack: the worker (user parley) writes it,
  // lighttpd (www-data) sends it with X-Sendfile.
  try {
    const bytes = Buffer.from(`install upload ${tag}\n`.repeat(100));
    const up = await fetch(`${base}/api/uploads?name=notes-${tag}.txt`, {
      method: 'POST', body: bytes,
      headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${bob.token}` } });
    const upText = await up.text();
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${upText}`);
    const id = JSON.parse(upText).id;
    const down = await fetch(`${base}/api/uploads/${id}/notes.txt`, { headers: { Authorization: `Bearer ${bob.token}` } });
    const got = Buffer.from(await down.arrayBuffer());
    if (down.status !== 200) throw new Error(`download: ${down.status} ${got.toString().slice(0, 200)}`);
    if (!got.equals(bytes)) throw new Error(`download: ${got.length} bytes, not the ${bytes.length} uploaded`);
    const other = await fetch(`${base}/api/uploads/${id}/notes.txt`, { headers: { Authorization: `Bearer ${alice.token}` } });
    if (other.status !== 404) throw new Error(`another user's download: ${other.status}`);
    ok('upload through /api, download sent by lighttpd (X-Sendfile); 404 for another user');
  } catch (e) { fail('upload and download', e.message); }

  try {
    const bad = await new Promise((resolve) => {
      const w = new WebSocket(`${wsBase}/ws?token=not-a-token`);
      w.on('close', (code) => resolve(code));
      w.on('error', () => {});
    });
    if (bad !== 4001) throw new Error(`close code ${bad}`);
    ok('bad token closed with 4001 through /ws');
  } catch (e) { fail('bad token closed with 4001 through /ws', e.message); }

  ws.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => { fail('ws-check', e.stack); process.exit(1); });
