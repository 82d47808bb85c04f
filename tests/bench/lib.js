'use strict';
// lib.js -- small helpers shared by the benchmark drivers: a keep-alive HTTP
// client (node's http module is cheaper per request than fetch), percentile
// maths, and reading/writing the per-step result files.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

function env(name, def) {
  const v = process.env[name];
  return v === undefined || v === '' ? def : v;
}

// One agent per driver; maxSockets bounds the in-flight requests.  Idle
// keep-alive sockets are closed after 2 s, before lighttpd's 5 s idle limit,
// and a request that meets a keep-alive socket the server has just closed
// (ECONNRESET on a reused socket) is sent once more, as node's docs advise;
// .retries counts those.
function makeClient(baseUrl, maxSockets = 32) {
  const u = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 2000 });
  const client = { agent, retries: 0, close: () => agent.destroy() };
  // request(method, path, {token, body, parse}) -> Promise<{status, text, json}>
  function once(method, p, opts) {
    return new Promise((resolve, reject) => {
      const headers = {};
      let payload;
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) {
        payload = Buffer.from(JSON.stringify(opts.body));
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers, agent },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json;
            if (opts.parse !== false) { try { json = text ? JSON.parse(text) : undefined; } catch (e) { json = undefined; } }
            resolve({ status: res.statusCode, text, json });
          });
          res.on('error', reject);
        });
      req.setTimeout(opts.timeout || 30000, () => req.destroy(new Error(`timeout ${method} ${p}`)));
      req.on('error', (e) => { e.reused = req.reusedSocket; reject(e); });
      if (payload) req.write(payload);
      req.end();
    });
  }
  client.request = async (method, p, opts = {}) => {
    try {
      return await once(method, p, opts);
    } catch (e) {
      if (!e.reused || (e.code !== 'ECONNRESET' && e.code !== 'EPIPE')) throw e;
      client.retries++;
      return once(method, p, opts);
    }
  };
  return client;
}

// Runs fn over items with at most `limit` in flight; returns results in order.
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// Percentile (nearest rank) of an array of numbers; null when empty.
function pct(values, p) {
  if (!values.length) return null;
  const s = Float64Array.from(values).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

function summary(values) {
  return {
    n: values.length,
    p50_ms: round(pct(values, 50)),
    p99_ms: round(pct(values, 99)),
    max_ms: round(values.length ? Math.max(...values) : null),
  };
}

function round(x, d = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return null;
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

// Wall clock in ms with sub-ms resolution, comparable across processes.
function nowMs() {
  return performance.timeOrigin + performance.now();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function writeResult(name, obj) {
  const dir = env('BENCH_OUT', path.join(process.cwd(), 'bench-out'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(obj, null, 2) + '\n');
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function log(...a) {
  process.stderr.write(`bench: ${a.join(' ')}\n`);
}

module.exports = { env, makeClient, pool, pct, summary, round, nowMs, sleep, writeResult, readJson, log };
