'use strict';
// harness.js -- steady load and exact bookkeeping for the fault drills.
//
//   Poster  posts to its chats at a fixed rate over keep-alive HTTP, each
//           message with a client_id; a failed attempt (non-2xx, reset,
//           timeout) is retried with the same client_id until it is
//           acknowledged (201, or 200 for a retry the server had already
//           stored).  Every attempt is recorded: status, latency, body.
//   Reader  behaves like the page (www/js/ws.js, www/js/sync.js): GET
//           /api/sync for a cursor, the WebSocket (direct or through
//           lighttpd's /ws proxy), and on every (re)connect a resync from
//           the cursor of the last sync answer; any close reconnects with
//           backoff.  new_message from the socket and from sync are applied
//           idempotently by message id into the reader's final state.
//   verify  compares, per reader, the messages stored in the database
//           (GET history of every chat of the reader's user) with the
//           reader's final state: posted / stored / delivered / lost /
//           duplicated, and returns the problems found.
//
// Everything is bounded: posters by count and time, retries by a deadline,
// reconnects by the reader being stopped, every HTTP call by a timeout.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const WebSocket = require('ws');
const { getStack } = require('../lib/stack');
const { newUser, sleep } = require('../lib/client');
const procs = require('../lib/procs');

// Load drills post far more than one person types: lift the per-user
// sending limit (docs/config.md) unless the caller chose values.
process.env.PARLEY_SEND_RATE = process.env.PARLEY_SEND_RATE || '1000000';
process.env.PARLEY_SEND_BURST = process.env.PARLEY_SEND_BURST || '1000000';
// Drills open many sockets from 127.0.0.1: lift the per-address cap.
process.env.PARLEY_WS_MAX_CONNS_PER_ADDR = process.env.PARLEY_WS_MAX_CONNS_PER_ADDR || '1000000';

const HTTP_TIMEOUT_MS = 10000;

// One HTTP call that never throws: {status, ms, json, text, err, errCode}.
// status 0 means no HTTP answer (err says why: reset, refused, timeout).
async function call(S, method, p, { token, body, timeout = HTTP_TIMEOUT_MS } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) { payload = JSON.stringify(body); headers['content-type'] = 'application/json'; }
  const t0 = Date.now();
  try {
    const res = await fetch(S.url + p, { method, headers, body: payload, signal: AbortSignal.timeout(timeout) });
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch (e) { json = undefined; }
    return {
      status: res.status, ms: Date.now() - t0, text, json,
      contentType: res.headers.get('content-type') || '',
      retryAfter: Number(res.headers.get('retry-after')) || 0,
    };
  } catch (e) {
    const c = e.cause || {};
    const errCode = e.name === 'TimeoutError' ? 'timeout' : (c.code || c.name || e.name);
    return { status: 0, ms: Date.now() - t0, err: `${e.message}${c.message ? ': ' + c.message : ''}`, errCode };
  }
}

// Classifies a failed attempt the way drill 1 reports it.
function failureKind(r) {
  if (r.status === 0) return /ECONNRESET|UND_ERR_SOCKET|other side closed|EPIPE/i.test(`${r.errCode} ${r.err}`) ? 'reset' : `error:${r.errCode}`;
  const jsonErr = r.json && r.json.error && typeof r.json.error.code === 'string';
  if (r.status >= 500 && jsonErr && /application\/json/.test(r.contentType)) return `${r.status} ${r.json.error.code}`;
  return `unclean ${r.status} ${r.contentType} ${String(r.text).slice(0, 80)}`;
}

class Poster {
  // chats: [chatId...]; rate: messages per second; max: message count cap.
  constructor(S, user, chats, { label, rate = 25, max = 2000, retryDeadlineMs = 30000 } = {}) {
    Object.assign(this, { S, user, chats, label, rate, max, retryDeadlineMs });
    this.attempts = [];      // {t, ms, status, kind?, clientId}
    this.acked = [];         // {id, chatId, clientId, status}
    this.gaveUp = [];        // client ids never acknowledged
    this.stopping = false;
  }

  failures() { return this.attempts.filter((a) => a.kind); }

  async postOne(i) {
    const chatId = this.chats[i % this.chats.length];
    const clientId = `${this.label}-${i}-${crypto.randomBytes(3).toString('hex')}`;
    const content = `${this.label} #${i}`;
    const deadline = Date.now() + this.retryDeadlineMs;
    for (let attempt = 0; ; attempt++) {
      const t = Date.now();
      const r = await call(this.S, 'POST', `/api/chats/${chatId}/messages`, { token: this.user.token, body: { content, client_id: clientId } });
      const rec = { t, ms: r.ms, status: r.status, clientId, attempt };
      this.attempts.push(rec);
      if ((r.status === 201 || r.status === 200) && r.json && r.json.id) {
        this.acked.push({ id: r.json.id, chatId, clientId, status: r.status, t: Date.now() });
        return;
      }
      rec.kind = failureKind(r);
      rec.body = r.status ? String(r.text).slice(0, 200) : r.err;
      if (Date.now() > deadline) { this.gaveUp.push(clientId); return; }
      // Like a client: honour Retry-After, else a short backoff.
      await sleep(r.retryAfter ? r.retryAfter * 1000 : Math.min(1000, 100 * 2 ** attempt));
    }
  }

  // Posts until stop() or durationMs or max messages, paced at `rate`/s.
  async run(durationMs) {
    const start = Date.now();
    const end = start + durationMs;
    for (let i = 0; i < this.max && !this.stopping && Date.now() < end; i++) {
      await this.postOne(i);
      const due = start + ((i + 1) * 1000) / this.rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
  }

  stop() { this.stopping = true; }
}

// A chat's whole history, newest page first, paging back with `before`.
async function history(S, token, chatId) {
  const out = [];
  let before = 0;
  for (let page = 0; page < 500; page++) {
    const r = await call(S, 'GET', `/api/chats/${chatId}/messages?${before ? `before=${before}&` : ''}limit=200`, { token });
    if (r.status !== 200) throw new Error(`history ${chatId}: ${r.status} ${r.text || r.err}`);
    out.push(...r.json.messages);
    if (!r.json.has_more || !r.json.messages.length) return out;
    before = r.json.messages[0].id;
  }
  throw new Error(`history ${chatId}: more than 500 pages`);
}

class Reader {
  constructor(S, user, { label, proxy = false } = {}) {
    Object.assign(this, { S, user, label, proxy });
    this.state = new Map();        // message id -> message (the final state)
    this.chats = new Set();
    this.cursor = null;
    this.ws = null;
    this.stopped = false;
    this.attempt = 0;
    this.stats = { wsNew: 0, wsDupFrames: 0, syncNew: 0, reloadNew: 0, syncCalls: 0, syncFailures: 0, resets: 0, incremental: 0, resyncEvents: 0, connects: 0, openFailures: 0, maxSyncChanges: 0 };
    this.closes = [];              // {t, code, reason}
    this.reconnectMs = [];         // close -> next 'connected', per reconnect
    this.wsSeen = new Map();       // message id -> frames received for it
    this.syncing = null;
    this.again = false;
  }

  apply(m) {
    if (!m || !m.id) return false;
    const had = this.state.has(m.id);
    this.state.set(m.id, m);       // idempotent: the newest copy wins
    return !had;
  }

  async loadHistory(chatId) {
    for (const m of await history(this.S, this.user.token, chatId)) this.apply(m);
  }

  // One sync, as www/js/sync.js does it; retried until it gets an answer.
  async syncOnce() {
    for (let i = 0; !this.stopped || this.cursor === null; i++) {
      this.stats.syncCalls++;
      const q = this.cursor === null ? '' : `?since=${this.cursor}`;
      const r = await call(this.S, 'GET', `/api/sync${q}`, { token: this.user.token });
      if (r.status !== 200) {
        this.stats.syncFailures++;
        if (i > 100) throw new Error(`${this.label}: sync keeps failing: ${r.status} ${r.text || r.err}`);
        await sleep(Math.min(1000, 100 * 2 ** i));
        continue;
      }
      if (r.json.reset || this.cursor === null) {
        if (this.cursor !== null) this.stats.resets++;
        const c = await call(this.S, 'GET', '/api/chats', { token: this.user.token });
        if (c.status !== 200) { this.stats.syncFailures++; await sleep(200); continue; }
        const before = this.state.size;
        for (const ch of c.json.chats) { this.chats.add(ch.id); await this.loadHistory(ch.id); }
        if (this.cursor !== null) this.stats.reloadNew += this.state.size - before;
      } else {
        this.stats.incremental++;
        this.stats.maxSyncChanges = Math.max(this.stats.maxSyncChanges, r.json.changes.length);
        const changes = r.json.changes.slice().sort((a, b) => a.seq - b.seq);
        for (const ev of changes) {
          if (ev.type === 'chat_created' && ev.chat) this.chats.add(ev.chat.id);
          if ((ev.type === 'new_message' || ev.type === 'message_updated') && ev.message) {
            this.chats.add(ev.message.chat_id);
            if (this.apply(ev.message)) this.stats.syncNew++;
          }
        }
      }
      this.cursor = r.json.seq;
      return;
    }
  }

  resync() {
    if (this.syncing) { this.again = true; return this.syncing; }
    this.syncing = (async () => {
      try {
        do { this.again = false; await this.syncOnce(); } while (this.again && !this.stopped);
      } catch (e) {
        this.error = e;
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  connect() {
    if (this.stopped) return;
    const base = this.proxy ? this.S.wsProxyUrl : this.S.wsUrl;
    const sock = new WebSocket(`${base}?token=${encodeURIComponent(this.user.token)}`);
    this.ws = sock;
    let opened = false;
    const watchdog = setTimeout(() => { if (!opened) sock.terminate(); }, 5000);
    sock.on('message', (data) => {
      let msg;
      try { msg = JSON.parse(data.toString()); } catch (e) { return; }
      if (msg.type === 'connected') {
        opened = true;
        clearTimeout(watchdog);
        this.attempt = 0;
        this.stats.connects++;
        if (this.closes.length) this.reconnectMs.push(Date.now() - this.closes[this.closes.length - 1].t);
        this.resync();
        return;
      }
      // As the page does (www/js/sync.js), minus its random delay: a
      // daemon that may have missed events says so, and the reader syncs.
      if (msg.type === 'resync') {
        this.stats.resyncEvents++;
        this.resync();
        return;
      }
      if (msg.type === 'new_message' && msg.message) {
        this.stats.wsNew++;
        const n = (this.wsSeen.get(msg.message.id) || 0) + 1;
        this.wsSeen.set(msg.message.id, n);
        if (n > 1) this.stats.wsDupFrames++;
        this.chats.add(msg.chat_id);
        this.apply(msg.message);
      } else if (msg.type === 'message_updated' && msg.message) {
        this.apply(msg.message);
      } else if (msg.type === 'chat_created' && msg.chat) {
        this.chats.add(msg.chat.id);
      }
    });
    sock.on('error', () => { /* the close that follows does the work */ });
    sock.on('unexpected-response', (req, res) => {
      this.stats.openFailures++;
      res.resume();
      sock.terminate();
    });
    sock.on('close', (code, reason) => {
      clearTimeout(watchdog);
      if (this.ws !== sock) return;
      this.ws = null;
      if (opened) this.closes.push({ t: Date.now(), code, reason: reason.toString() });
      else this.stats.openFailures++;
      if (this.stopped) return;
      if (code === 4001) { this.error = new Error(`${this.label}: token refused`); return; }
      const base = Math.min(2000, 100 * 2 ** this.attempt);
      this.attempt++;
      this.retryTimer = setTimeout(() => this.connect(), base * (0.7 + Math.random() * 0.6));
    });
  }

  // Cursor and initial state first, then the socket (its 'connected'
  // resyncs from that cursor, covering the gap between the two).
  async start() {
    await this.resync();
    if (this.error) throw this.error;
    this.connect();
    const t0 = Date.now();
    while (this.stats.connects === 0 && Date.now() - t0 < 5000) await sleep(20);
    if (!this.stats.connects) throw new Error(`${this.label}: WebSocket did not connect`);
    await this.syncing;
  }

  isOpen() { return !!(this.ws && this.ws.readyState === WebSocket.OPEN); }

  async stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.syncing) await this.syncing;
    const sock = this.ws;
    this.ws = null;
    if (sock) { try { sock.close(1000); } catch (e) { /* closing anyway */ } }
  }
}

// Fresh users and chats for one drill: posters P1..P4, readers' users R1,
// R2; group G (everyone) and one direct chat per poster with R1 or R2.
// Readers: R1 direct, R1 via proxy (a second tab), R2 direct, R2 via proxy.
async function setup(S, { posters = 4, rate = 25, readers = true } = {}) {
  const reg = async (prefix) => {
    for (let i = 0; ; i++) {
      try { return await newUser(S, prefix); } catch (e) { if (i >= 5) throw e; await sleep(500); }
    }
  };
  const R = [await reg('dr1'), await reg('dr2')];
  const P = [];
  for (let i = 0; i < posters; i++) P.push(await reg(`dp${i + 1}`));
  const mk = async (token, body) => {
    const r = await call(S, 'POST', '/api/chats', { token, body });
    if (r.status !== 201 && r.status !== 200) throw new Error(`create chat: ${r.status} ${r.text}`);
    return r.json.id;
  };
  const group = await mk(P[0].token, { title: 'drill', member_ids: [...P.slice(1), ...R].map((u) => u.id) });
  const posterObjs = [];
  for (let i = 0; i < P.length; i++) {
    const direct = await mk(P[i].token, { user_id: R[i % 2].id });
    posterObjs.push(new Poster(S, P[i], [group, direct], { label: `P${i + 1}`, rate }));
  }
  const readerObjs = readers ? [
    new Reader(S, R[0], { label: 'R1-direct' }),
    new Reader(S, R[0], { label: 'R1-proxy', proxy: true }),
    new Reader(S, R[1], { label: 'R2-direct' }),
    new Reader(S, R[1], { label: 'R2-proxy', proxy: true }),
  ] : [];
  for (const r of readerObjs) await r.start();
  return { users: { R, P }, group, posters: posterObjs, readers: readerObjs };
}

// Waits (bounded) until every reader holds every acknowledged message of
// its chats, so the comparison is not racing the last deliveries.
async function settle(env, ms = 8000) {
  const acked = env.posters.flatMap((p) => p.acked);
  const t0 = Date.now();
  for (;;) {
    const behind = env.readers.filter((r) => acked.some((a) => r.chats.has(a.chatId) && !r.state.has(a.id)));
    if (!behind.length || Date.now() - t0 > ms) return behind.map((r) => r.label);
    await sleep(100);
  }
}

async function storedMessages(S, token) {
  const chats = await call(S, 'GET', '/api/chats', { token });
  if (chats.status !== 200) throw new Error(`chats: ${chats.status} ${chats.text || chats.err}`);
  const all = [];
  all.chatIds = new Set(chats.json.chats.map((c) => c.id));
  for (const ch of chats.json.chats) {
    all.push(...await history(S, token, ch.id));
  }
  return all;
}

// The comparison every drill ends with.  Returns {lines, problems, rows}.
// opts.knownLoss(ackRecord, attempts) -> true files a lost message under
// `known` (a server bug already reported) instead of `problems`.
async function verify(S, env, name, opts = {}) {
  const lines = [];
  const problems = [];
  const known = [];
  const rows = [];
  const acked = env.posters.flatMap((p) => p.acked);
  const attemptedIds = new Set(env.posters.flatMap((p) => p.attempts.map((a) => a.clientId)));
  for (const p of env.posters) {
    const f = p.failures();
    const kinds = {};
    for (const a of f) kinds[a.kind] = (kinds[a.kind] || 0) + 1;
    const maxMs = Math.max(0, ...p.attempts.map((a) => a.ms));
    lines.push(`DRILL ${name} poster ${p.label}: messages acked ${p.acked.length} (200 on retry ${p.acked.filter((a) => a.status === 200).length}), attempts ${p.attempts.length}, failed attempts ${f.length} ${JSON.stringify(kinds)}, gave up ${p.gaveUp.length}, slowest ${maxMs} ms`);
    if (p.gaveUp.length) problems.push(`${p.label} gave up on ${p.gaveUp.length} messages`);
  }
  for (const r of env.readers) {
    const stored = await storedMessages(S, r.user.token);
    const storedIds = new Set(stored.map((m) => m.id));
    const postedIds = acked.filter((a) => stored.chatIds.has(a.chatId)).map((a) => a.id);
    const posted = postedIds.length;
    const missingAcked = postedIds.filter((id) => !storedIds.has(id));
    const seen = [...r.state.values()];
    const lost = [...storedIds].filter((id) => !r.state.has(id));
    const phantom = seen.filter((m) => !storedIds.has(m.id));
    // Duplicates a user would see: the same (sender, client_id) twice in the
    // final state (a retried send stored twice), or one id twice.
    const byClient = new Map();
    let duplicated = 0;
    for (const m of seen) {
      if (!m.client_id) continue;
      const k = `${m.sender_id}/${m.client_id}`;
      if (byClient.has(k)) duplicated++;
      else byClient.set(k, m.id);
    }
    const storedDup = stored.length - new Set(stored.map((m) => `${m.sender_id}/${m.client_id || m.id}`)).size;
    const unknown = stored.filter((m) => m.client_id && !attemptedIds.has(m.client_id));
    const delivered = seen.filter((m) => storedIds.has(m.id)).length;
    const row = {
      reader: r.label, posted, stored: stored.length, delivered, lost: lost.length, duplicated,
      wsFrames: r.stats.wsNew, wsDupFrames: r.stats.wsDupFrames, viaSync: r.stats.syncNew,
      closes: r.closes.length, connects: r.stats.connects, resets: r.stats.resets, incrementalSyncs: r.stats.incremental,
    };
    rows.push(row);
    lines.push(`DRILL ${name} reader ${r.label}: posted ${posted} / stored ${stored.length} / delivered ${delivered} / lost ${lost.length} / duplicated ${duplicated}` +
      `  (ws new_message frames ${r.stats.wsNew}, repeated ws frames ${r.stats.wsDupFrames}, new via sync ${r.stats.syncNew}, new via reset reload ${r.stats.reloadNew}, closes ${r.closes.length} ${JSON.stringify(r.closes.map((c) => c.code))}, reconnect ms ${JSON.stringify(r.reconnectMs)}, connects ${r.stats.connects}, incremental syncs ${r.stats.incremental}, resync events ${r.stats.resyncEvents}, resets ${r.stats.resets}, largest sync ${r.stats.maxSyncChanges})`);
    if (r.error) problems.push(`${r.label}: ${r.error.message}`);
    if (lost.length) {
      // What happened to the lost ones on the sending side.
      const allAttempts = env.posters.flatMap((p) => p.attempts);
      const why = (ids) => ids.slice(0, 5).map((id) => {
        const a = acked.find((x) => x.id === id);
        if (!a) return `${id} (not acknowledged)`;
        const tries = allAttempts.filter((x) => x.clientId === a.clientId);
        return `${id} (answered ${a.status} after ${tries.length} attempts: ${tries.map((x) => x.kind || x.status).join(' -> ')})`;
      }).join('; ');
      const isKnown = (id) => {
        const a = acked.find((x) => x.id === id);
        return !!(a && opts.knownLoss && opts.knownLoss(a, allAttempts.filter((x) => x.clientId === a.clientId)));
      };
      const k = lost.filter(isKnown);
      const u = lost.filter((id) => !isKnown(id));
      if (u.length) problems.push(`${r.label} lost ${u.length} stored messages: ${why(u)}`);
      if (k.length) known.push(`${r.label} lost ${k.length} stored messages: ${why(k)}`);
    }
    if (duplicated) problems.push(`${r.label} shows ${duplicated} messages twice`);
    if (storedDup) problems.push(`${r.label}: ${storedDup} stored duplicates of one (sender, client_id)`);
    if (phantom.length) problems.push(`${r.label} holds ${phantom.length} messages that are not stored`);
    if (missingAcked.length) problems.push(`${r.label}: ${missingAcked.length} acknowledged messages are not stored, e.g. ${missingAcked.slice(0, 5).join(',')}`);
    if (unknown.length) problems.push(`${r.label}: ${unknown.length} stored messages nobody sent`);
    if (stored.length !== delivered + lost.length) problems.push(`${r.label}: bookkeeping mismatch`);
  }
  for (const l of lines) console.log(l);
  for (const k of known) console.log(`DRILL ${name} KNOWN FAILURE: ${k}`);
  return { lines, problems, known, rows };
}

async function runLoad(env, durationMs) {
  return Promise.all(env.posters.map((p) => p.run(durationMs)));
}

async function teardown(env) {
  for (const p of env.posters) p.stop();
  for (const r of env.readers) await r.stop();
}

// Pids of the FastCGI workers: lighttpd's children.
function workerPids(S) {
  const lpid = fs.readFileSync(path.join(S.varDir, 'run', 'lighttpd.pid'), 'utf8').trim();
  return procs.childrenOf(lpid, /parley-api/);
}

function idleWorker(pids) {
  for (const pid of pids) {
    try {
      const nr = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0];
      if (nr === '43' || nr === '288') return pid;
    } catch (e) { /* gone */ }
  }
  return 0;
}

// A worker that is not waiting in accept() is serving a request (x86_64
// syscall numbers: accept 43, accept4 288).
function busyWorker(pids) {
  for (const pid of pids) {
    try {
      const nr = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0];
      if (nr !== '43' && nr !== '288') return pid;
    } catch (e) { /* gone */ }
  }
  return 0;
}

function procIo(pid) {
  try {
    const t = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number((t.match(/^wchar: (\d+)/m) || [])[1] || 0);
  } catch (e) { return -1; }
}

function logTail(S, file, bytes = 3000) {
  try {
    const p = path.join(S.varDir, file);
    const st = fs.statSync(p);
    const fd = fs.openSync(p, 'r');
    const len = Math.min(bytes, st.size);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, st.size - len);
    fs.closeSync(fd);
    return buf.toString();
  } catch (e) { return `(no ${file}: ${e.message})`; }
}

// Each drill starts from a healthy stack (an earlier drill may have failed
// half-way): PostgreSQL and ws-daemon up, the API answering.
async function healthyStack() {
  const S = await getStack();
  S.sh('pg-start');
  S.sh('wsd-start');
  for (let i = 0; i < 100; i++) {
    const h = await call(S, 'GET', '/api/health');
    if (h.status === 200) return S;
    await sleep(100);
  }
  throw new Error('stack not healthy before the drill');
}

module.exports = {
  call, failureKind, Poster, Reader, setup, settle, verify, runLoad, teardown,
  workerPids, busyWorker, idleWorker, procIo, logTail, healthyStack, sleep, execFileSync,
};
