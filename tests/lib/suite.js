'use strict';
// suite.js -- runs test files against one stack of their own.
//
// runSuite() starts a stack on free ports in a temporary folder, runs each
// file with node's test runner (one at a time: some tests restart daemons),
// stops the stack and scans its logs: any ASan/UBSan/memcheck report, the
// JWT secret or database password, or an access token in any log
// counts as a failure.  tests/run.sh runs this file directly (integration
// and browser tests, counts written to $PARLEY_BUILD/suite-counts);
// tests/drills/run.js calls runSuite() for the drills.
//   PARLEY_TESTS     folders or files under tests/ (default "integration e2e")
//   PARLEY_KEEP_VAR  keep the state folder (logs) afterwards
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { stackEnv, makeHandle, ROOT } = require('./stack');

const REPORT = /(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|==\d+== (Invalid|Conditional jump|Mismatched|Syscall param|Use of uninit)|==\d+== .*(definitely|indirectly) lost in)[^\n]*/;

// The test files named by PARLEY_TESTS-style words (folders or files).
function testFiles(words) {
  const files = [];
  for (const g of words) {
    const p = path.join(ROOT, 'tests', g);
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
      for (const f of fs.readdirSync(p).sort()) if (f.endsWith('.test.js')) files.push(path.join(p, f));
    } else if (fs.existsSync(p)) {
      files.push(p);
    }
  }
  return files;
}

// Scans the stack's logs after it stopped; returns the number of problems.
function scanLogs(stack, secrets) {
  const logDir = path.join(stack.varDir, 'log');
  const logFiles = (fs.existsSync(logDir) ? fs.readdirSync(logDir).map((f) => path.join(logDir, f)) : [])
    .concat([path.join(stack.varDir, 'pg', 'server.log')]).filter((f) => fs.existsSync(f));
  let problems = 0;
  for (const f of logFiles) {
    const text = fs.readFileSync(f, 'utf8');
    const m = text.match(REPORT);
    if (m) {
      problems++;
      console.log(`FAIL sanitizer report in ${path.basename(f)}: ${m[0]}`);
      const idx = text.indexOf(m[0]);
      console.log(text.slice(Math.max(0, idx - 200), idx + 3000));
    }
    // Secrets must never reach a log: the JWT secret and the database password.
    for (const sec of secrets) if (text.includes(sec)) { problems++; console.log(`FAIL a secret appears in ${f}`); }
    // Nor may an access token (the WebSocket's ?token=): lighttpd writes the
    // request's query into its error log whenever /ws's daemon is down.
    if (/token=eyJ[\w-]*\.[\w-]+/.test(text)) {
      problems++;
      console.log(`FAIL an access token appears in ${path.basename(f)}`);
    }
  }
  if (!problems) console.log(`ok - no sanitizer report, secret or token in ${logFiles.length} log files`);
  return problems;
}

// Runs `files` against a fresh stack.  opts: {prefix, timeoutMs, onOutput}.
// Returns {passed, failed, todo}; the log scan counts as one test.
async function runSuite(files, opts = {}) {
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-${opts.prefix || 'suite'}-`));
  fs.chmodSync(varDir, 0o755);
  const { env, ports } = await stackEnv(varDir);
  const stack = makeHandle(varDir, env, ports);
  const res = { passed: 0, failed: 0, todo: 0 };
  try {
    stack.sh('start');
  } catch (e) {
    console.error('could not start the stack:', e.stderr || e.message);
    res.failed = 1;
    return res;
  }
  for (const file of files) {
    console.log(`-- ${path.relative(ROOT, file)}`);
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
      cwd: ROOT,
      env: { ...env, PARLEY_TEST_VAR: varDir },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs || 15 * 60 * 1000,
      killSignal: 'SIGKILL',
    });
    const out = (r.stdout || '') + (r.stderr || '');
    // TAP: every test's ok/not ok line, with diagnostics for failures.
    process.stdout.write(out.split('\n').filter((l) => !/^\s*# Subtest:/.test(l)).join('\n') + '\n');
    if (opts.onOutput) opts.onOutput(out);
    const p = Number((out.match(/^# pass (\d+)/m) || [])[1] || 0);
    const f = Number((out.match(/^# fail (\d+)/m) || [])[1] || 0);
    res.passed += p;
    res.failed += f;
    res.todo += (out.match(/^not ok \d+ .*# TODO/mg) || []).length;
    if (r.status !== 0 && f === 0) {
      res.failed += 1;
      console.log(`FAIL ${path.relative(ROOT, file)} exited with ${r.status} ${r.signal || ''}`);
      console.log(out.split('\n').slice(-40).join('\n'));
    }
  }
  const secrets = [stack.conf('jwt_secret'), (stack.conf('database_url').match(/password=(\S+)/) || [])[1]]
    .filter(Boolean);
  try { stack.sh('stop'); } catch (e) { console.error('stop:', e.stderr || e.message); }
  if (scanLogs(stack, secrets)) res.failed += 1; else res.passed += 1;
  if (!process.env.PARLEY_KEEP_VAR) fs.rmSync(varDir, { recursive: true, force: true });
  else console.log(`kept ${varDir}`);
  return res;
}

async function main() {
  const build = process.env.PARLEY_BUILD || 'build';
  const words = (process.env.PARLEY_TESTS || 'integration e2e').split(/\s+/).filter(Boolean);
  const res = await runSuite(testFiles(words));
  console.log(`integration: ${res.passed} passed, ${res.failed} failed`);
  fs.writeFileSync(path.join(ROOT, build, 'suite-counts'), `${res.passed} ${res.failed}\n`);
  process.exit(res.failed ? 1 : 0);
}

if (require.main === module) main();

module.exports = { runSuite, testFiles };
