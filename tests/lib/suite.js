'use strict';
// suite.js -- starts one stack, runs every integration and browser test file
// against it with node's test runner (one file at a time: some tests restart
// daemons), stops the stack, and writes "passed failed" to
// $PARLEY_BUILD/suite-counts for tests/run.sh.  Sanitizer and daemon logs of
// the stack are scanned: any ASan/UBSan report counts as a failure.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { stackEnv, makeHandle, ROOT } = require('./stack');

async function main() {
  const build = process.env.PARLEY_BUILD || 'build';
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-suite-'));
  fs.chmodSync(varDir, 0o755);
  const { env, ports } = await stackEnv(varDir);
  const stack = makeHandle(varDir, env, ports);
  let passed = 0;
  let failed = 0;
  try {
    stack.sh('start');
  } catch (e) {
    console.error('could not start the stack:', e.stderr || e.message);
    fs.writeFileSync(path.join(ROOT, build, 'suite-counts'), '0 1\n');
    process.exit(1);
  }
  const globs = (process.env.PARLEY_TESTS || 'integration e2e').split(/\s+/);
  const files = [];
  for (const g of globs) {
    const dir = path.join(ROOT, 'tests', g);
    if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) {
      for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.js')) files.push(path.join(dir, f));
    } else if (fs.existsSync(path.join(ROOT, 'tests', g))) {
      files.push(path.join(ROOT, 'tests', g));
    }
  }
  for (const file of files) {
    console.log(`-- ${path.relative(ROOT, file)}`);
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
      cwd: ROOT,
      env: { ...env, PARLEY_TEST_VAR: varDir },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60 * 1000,
    });
    const out = (r.stdout || '') + (r.stderr || '');
    // TAP: every test's ok/not ok line, with diagnostics for failures.
    process.stdout.write(out.split('\n').filter((l) => !/^\s*# Subtest:/.test(l)).join('\n') + '\n');
    const p = Number((out.match(/^# pass (\d+)/m) || [])[1] || 0);
    const f = Number((out.match(/^# fail (\d+)/m) || [])[1] || 0);
    passed += p;
    failed += f;
    if (r.status !== 0 && f === 0) {
      failed += 1;
      console.log(`FAIL ${path.relative(ROOT, file)} exited with ${r.status} ${r.signal || ''}`);
      console.log(out.split('\n').slice(-40).join('\n'));
    }
  }
  // Secrets must never reach a log: the JWT secret and the database password.
  const secrets = [stack.conf('jwt_secret'), (stack.conf('database_url').match(/password=(\S+)/) || [])[1]]
    .filter(Boolean);
  try { stack.sh('stop'); } catch (e) { console.error('stop:', e.stderr || e.message); }
  const logDir = path.join(varDir, 'log');
  const logFiles = (fs.existsSync(logDir) ? fs.readdirSync(logDir).map((f) => path.join(logDir, f)) : [])
    .concat([path.join(varDir, 'pg', 'server.log')]).filter((f) => fs.existsSync(f));
  let leaked = 0;
  for (const f of logFiles) {
    const text = fs.readFileSync(f, 'utf8');
    for (const sec of secrets) if (text.includes(sec)) { leaked++; console.log(`FAIL a secret appears in ${f}`); }
  }
  // Nor may an access token (the WebSocket's ?token=) reach the access log.
  const access = path.join(logDir, 'access.log');
  if (fs.existsSync(access) && /token=eyJ/.test(fs.readFileSync(access, 'utf8'))) {
    leaked++;
    console.log('FAIL an access token appears in access.log');
  }
  if (leaked) failed += 1; else { passed += 1; console.log(`ok - no secret or token in ${logFiles.length} log files`); }
  for (const f of fs.existsSync(logDir) ? fs.readdirSync(logDir) : []) {
    const text = fs.readFileSync(path.join(logDir, f), 'utf8');
    const m = text.match(/(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|==\d+== (Invalid|Conditional jump|Mismatched|Syscall param|Use of uninit)|==\d+== .*(definitely|indirectly) lost in)[^\n]*/);
    if (m) {
      failed += 1;
      console.log(`FAIL sanitizer report in ${f}: ${m[0]}`);
      const idx = text.indexOf(m[0]);
      console.log(text.slice(Math.max(0, idx - 200), idx + 3000));
    }
  }
  console.log(`integration: ${passed} passed, ${failed} failed`);
  fs.writeFileSync(path.join(ROOT, build, 'suite-counts'), `${passed} ${failed}\n`);
  if (!process.env.PARLEY_KEEP_VAR) fs.rmSync(varDir, { recursive: true, force: true });
  else console.log(`kept ${varDir}`);
  process.exit(failed ? 1 : 0);
}

main();
