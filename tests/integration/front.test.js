'use strict';
// front.test.js -- the doors around the API: the page's CSP lets it talk
// only to its own host; /ws takes no request body; "/apix" is not the API;
// make run's PostgreSQL accepts only Parley's role, and its socket folder
// is closed to other users.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { getStack } = require('../lib/stack');

let S;
test.before(async () => { S = await getStack(); });

test('CSP: connect-src is the page\'s own host only', async () => {
  const r = await fetch(`${S.url}/index.html`);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /connect-src 'self';/);
  assert.doesNotMatch(csp, /ws:|wss:/);
});

test('/ws refuses a request body over 1 KiB before the daemon sees it', async () => {
  const res = await new Promise((resolve) => {
    const s = net.connect(S.ports.http, '127.0.0.1', () => {
      s.write(`POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nContent-Type: text/plain\r\n\r\n${'a'.repeat(5000)}`);
    });
    let got = '';
    s.on('data', (d) => { got += d; if (got.includes('\r\n\r\n')) { s.destroy(); resolve(got); } });
    s.on('error', () => resolve(got));
    setTimeout(() => { s.destroy(); resolve(got); }, 3000);
  });
  assert.match(res, /^HTTP\/1\.1 413/, res.slice(0, 80));
});

test('PostgreSQL: only the parley role may log in; the socket folder is private', () => {
  const sock = path.join(S.varDir, 'pg', 'sock');
  if (!fs.existsSync(sock)) return;   // a stack on an external database
  assert.equal(fs.statSync(sock).mode & 0o077, 0, 'socket folder closed to group and others');
  // Over the socket the role needs its password too (no "trust").
  let err = '';
  try {
    execFileSync('psql', ['-X', '-w', '-h', sock, '-p', String(S.ports.pg), '-U', 'parley', '-d', 'parley', '-c', 'SELECT 1'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGPASSWORD: '', PGPASSFILE: '/dev/null' } });
  } catch (e) { err = e.stderr; }
  assert.match(err, /password/, err);
  // Another role, even with a valid password, has no way in.
  execFileSync('psql', [S.dbUrl, '-X', '-q', '-c', "DROP ROLE IF EXISTS intruder; CREATE ROLE intruder LOGIN PASSWORD 'intruder-pw'"]);
  let err3 = '';
  try {
    execFileSync('psql', ['-X', '-h', '127.0.0.1', '-p', String(S.ports.pg), '-U', 'intruder', '-d', 'parley', '-c', 'SELECT 1'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGPASSWORD: 'intruder-pw', PGCONNECT_TIMEOUT: '3' } });
  } catch (e) { err3 = e.stderr; }
  execFileSync('psql', [S.dbUrl, '-X', '-q', '-c', 'DROP ROLE intruder']);
  assert.match(err3, /no pg_hba\.conf entry/, err3);
  let err2 = '';
  try {
    execFileSync('psql', ['-X', '-h', '127.0.0.1', '-p', String(S.ports.pg), '-U', 'parley', '-d', 'parley', '-c', 'SELECT 1'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGPASSWORD: 'wrong', PGCONNECT_TIMEOUT: '3' } });
  } catch (e) { err2 = e.stderr; }
  assert.match(err2, /password authentication failed/, 'the role needs its password');
});
