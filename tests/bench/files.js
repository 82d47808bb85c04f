'use strict';
// files.js -- step 7 of `make bench`: downloading a 10 MiB upload through
// the API (FastCGI authorises, lighttpd sends it with X-Sendfile) against a
// second lighttpd serving the same file from the same folder as a plain
// static file, same run, same load generator (wrk, 2 connections), the two
// runs interleaved (BENCH_FILE_ROUNDS, default 3); and the CPU the FastCGI workers spend per
// download.  Writes $BENCH_OUT/files.json.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');
const { env, round } = require('./lib');
const { freePort } = require('../lib/stack');

const URL0 = env('BENCH_URL');
const OUT = env('BENCH_OUT');
const VAR = env('PARLEY_VAR');
const SECS = Number(process.env.BENCH_FILE_SECS || 5);
const ROUNDS = Number(process.env.BENCH_FILE_ROUNDS || 3);
const CONNS = 2;
const SIZE = 10 * 1024 * 1024;

async function post(p, body, headers) {
  const r = await fetch(URL0 + p, { method: 'POST', body, headers });
  const j = await r.json();
  if (!r.ok) throw new Error(`${p}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

function waitPort(port, ms = 5000) {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(); });
      s.on('error', () => (Date.now() > end ? reject(new Error('static lighttpd did not start')) : setTimeout(tryOnce, 50)));
    };
    tryOnce();
  });
}

function cpuSnap(file) { execFileSync('node', [path.join(__dirname, 'cpu.js'), 'snap', file]); }
function cpuDiff(a, b, out) {
  execFileSync('node', [path.join(__dirname, 'cpu.js'), 'diff', a, b, out]);
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

function wrk(url, headers, tag) {
  const args = ['-t1', `-c${CONNS}`, `-d${SECS}s`, '--timeout', '10s'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  cpuSnap(path.join(OUT, 'files-cpu0.json'));
  const text = execFileSync('wrk', args, { encoding: 'utf8', timeout: (SECS + 30) * 1000 });
  cpuSnap(path.join(OUT, 'files-cpu1.json'));
  const cpu = cpuDiff(path.join(OUT, 'files-cpu0.json'), path.join(OUT, 'files-cpu1.json'), path.join(OUT, `files-cpu-${tag}.json`));
  fs.writeFileSync(path.join(OUT, `files-wrk-${tag}.txt`), text);
  const reqs = Number((/(\d+) requests in/.exec(text) || [])[1] || 0);
  const non2xx = Number((/Non-2xx or 3xx responses: (\d+)/.exec(text) || [0, 0])[1]);
  const secs = Number((/requests in ([\d.]+)s/.exec(text) || [])[1] || SECS);
  return { requests: reqs, non2xx, secs, mib_per_s: round((reqs * SIZE) / secs / 1048576, 1), cpu_ms: cpu.cpu_ms };
}

(async () => {
  const name = `fbench_${crypto.randomBytes(4).toString('hex')}`;
  const reg = await post('/api/auth/register', JSON.stringify({ username: name, password: 'bench-password-1' }), { 'content-type': 'application/json' });
  const token = reg.access_token;
  const bytes = crypto.randomBytes(SIZE);
  const up = await post('/api/uploads?name=bench.bin', bytes, { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' });
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  const root = path.join(VAR, 'uploads');
  if (!fs.existsSync(path.join(root, sha.slice(0, 2), sha))) throw new Error('uploaded file not found on disk');

  const port = await freePort();
  const conf = path.join(OUT, 'static-lighttpd.conf');
  fs.writeFileSync(conf, [
    `server.document-root = "${root}"`, 'server.bind = "127.0.0.1"', `server.port = ${port}`,
    `server.errorlog = "${path.join(OUT, 'static-lighttpd.log')}"`, 'server.tag = "static"',
    'mimetype.assign = ( "" => "application/octet-stream" )', ''].join('\n'));
  const lt = spawn('lighttpd', ['-D', '-f', conf], { stdio: 'ignore' });
  const result = { file_bytes: SIZE, conns: CONNS, secs_per_run: SECS, rounds: [] };
  try {
    await waitPort(port);
    const staticUrl = `http://127.0.0.1:${port}/${sha.slice(0, 2)}/${sha}`;
    const apiUrl = URL0 + up.url;
    for (let i = 0; i < ROUNDS; i++) {
      const sendfile = wrk(apiUrl, { Authorization: `Bearer ${token}` }, `sendfile-${i}`);
      const stat = wrk(staticUrl, {}, `static-${i}`);
      result.rounds.push({ sendfile, static: stat });
    }
  } finally {
    lt.kill('SIGTERM');
  }
  const sum = (k, f) => result.rounds.reduce((a, r) => a + f(r[k]), 0);
  const sf = sum('sendfile', (x) => x.mib_per_s) / result.rounds.length;
  const st = sum('static', (x) => x.mib_per_s) / result.rounds.length;
  const reqs = sum('sendfile', (x) => x.requests);
  const apiMs = sum('sendfile', (x) => x.cpu_ms.api);
  result.sendfile_mib_per_s = round(sf, 1);
  result.static_mib_per_s = round(st, 1);
  result.ratio = round(sf / st, 3);
  result.api_cpu_ms_per_download = reqs ? round(apiMs / reqs, 3) : null;
  result.lighttpd_cpu_ms_per_download = reqs ? round(sum('sendfile', (x) => x.cpu_ms.lighttpd) / reqs, 3) : null;
  result.non2xx = sum('sendfile', (x) => x.non2xx) + sum('static', (x) => x.non2xx);
  fs.writeFileSync(path.join(OUT, 'files.json'), JSON.stringify(result, null, 1) + '\n');
  console.error(`bench files: X-Sendfile ${result.sendfile_mib_per_s} MiB/s vs static ${result.static_mib_per_s} MiB/s ` +
    `(${round(result.ratio * 100, 1)}%); FastCGI CPU ${result.api_cpu_ms_per_download} ms per 10 MiB download`);
})().catch((e) => { console.error(`bench files: ${e.message}`); process.exit(1); });
