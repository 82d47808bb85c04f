'use strict';
// client.js -- what a test needs to talk to Parley like a client would:
// HTTP calls through lighttpd, fresh users, and WebSocket connections that
// record every frame they receive.
const crypto = require('node:crypto');
const http = require('node:http');
const WebSocket = require('ws');

// A random loopback address other than 127.0.0.1.  Linux answers all of
// 127.0.0.0/8 on lo, so a test can look like another client to the
// per-address limits without any trusted header.
function randomLoopback() {
  const b = crypto.randomBytes(3);
  return `127.${10 + (b[0] % 240)}.${b[1]}.${1 + (b[2] % 254)}`;
}

// The same as fetch, but from the local address `from` (node:http, since
// fetch cannot bind one).
function requestFrom(url, { method, headers, body, from }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress: from }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
        text: async () => Buffer.concat(chunks).toString('utf8'),
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// api(stack, method, path, {token, body, raw, headers, from}) -> {status, headers, text, json}
// `body` is sent as JSON; `raw` (string/Buffer) is sent as is; `from` is
// the local address to connect from (see randomLoopback).
async function api(stack, method, path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  let body;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.raw !== undefined) {
    body = opts.raw;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers['content-type']) headers['content-type'] = 'application/json';
  }
  const res = opts.from
    ? await requestFrom(stack.url + path, { method, headers, body, from: opts.from })
    : await fetch(stack.url + path, { method, headers, body });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch (e) { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

function randomName(prefix = 'u') {
  return `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
}

// Registers a fresh user; returns {id, username, password, token}.  Each
// sign-up comes from its own loopback address: sign-ups are limited per
// address, and a test suite is many people.
async function newUser(stack, prefix = 'u') {
  const username = randomName(prefix);
  const password = 'pw-' + crypto.randomBytes(6).toString('hex');
  const r = await api(stack, 'POST', '/api/auth/register', { body: { username, password }, from: randomLoopback() });
  if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${r.text}`);
  return { id: r.json.user.id, username, password, token: r.json.access_token };
}

async function login(stack, username, password) {
  const r = await api(stack, 'POST', '/api/auth/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return { id: r.json.user.id, username, password, token: r.json.access_token };
}

// Opens a WebSocket (direct to ws-daemon, or via lighttpd with {proxy:true}).
// Resolves once open; the returned object records frames in .frames and
// offers waitFor(pred, ms), and .closed resolving to {code, reason}.
function wsConnect(stack, token, opts = {}) {
  const base = opts.proxy ? stack.wsProxyUrl : stack.wsUrl;
  const url = token === undefined ? base : `${base}?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url, opts.wsOptions);
  const frames = [];
  const waiters = [];
  const conn = { ws, frames };
  conn.closed = new Promise((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('message', (data) => {
    let msg;
    try { msg = JSON.parse(data.toString()); } catch (e) { msg = { unparsed: data.toString() }; }
    frames.push(msg);
    for (const w of waiters.slice()) {
      if (w.pred(msg)) { waiters.splice(waiters.indexOf(w), 1); clearTimeout(w.timer); w.resolve(msg); }
    }
  });
  conn.waitFor = (pred, ms = 5000) => {
    const hit = frames.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(frames).slice(0, 500)}`));
      }, ms);
      waiters.push(w);
    });
  };
  // Frames that arrive after now and match pred (ignores earlier ones).
  conn.next = (pred, ms = 5000) => {
    const start = frames.length;
    return conn.waitFor((m) => frames.indexOf(m) >= start && pred(m), ms);
  };
  conn.close = () => { try { ws.close(); } catch (e) { /* already closed */ } return conn.closed; };
  conn.opened = new Promise((resolve, reject) => {
    ws.on('open', () => resolve(conn));
    ws.on('error', reject);
    ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
  });
  return conn;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One SQL statement against the stack's database as its owner (tests that
// set up or check rows the API does not expose); the output, trimmed.
function runSql(stack, sql) {
  const { execFileSync } = require('node:child_process');
  return execFileSync('psql', [stack.dbUrl, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8' }).trim();
}

// An idempotent request (a GET, a presence report), retried once when the
// connection itself failed: the client reuses keep-alive sockets, and
// lighttpd closes one that sat idle for 5 s (while a long step ran), which
// can race the reuse.  Never for a request that changes something twice.
async function apiRetry(stack, method, path, opts) {
  try {
    return await api(stack, method, path, opts);
  } catch (e) {
    if (e.message !== 'fetch failed') throw e;
    return api(stack, method, path, opts);
  }
}

module.exports = { api, apiRetry, runSql, newUser, login, wsConnect, randomName, sleep, randomLoopback };
