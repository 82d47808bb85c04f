'use strict';
// run.js -- `make drills`: one stack of its own on free ports (in a temporary
// PARLEY_VAR), every tests/drills/*.test.js against it one file at a time
// (drills stop and kill parts of the stack), then the stack is stopped, its
// logs are scanned for sanitizer reports, the DRILL summary lines are
// repeated, and the last line is "drills: N passed, M failed".
//   PARLEY_BUILD     build folder (build, or build-san)
//   PARLEY_DRILLS    optional: only these files (names or substrings)
//   PARLEY_KEEP_VAR  keep the state folder (logs) afterwards
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// Same defaults as harness.js, set before the stack (and so the FastCGI
// workers, which inherit lighttpd's environment) starts.
process.env.PARLEY_SEND_RATE = process.env.PARLEY_SEND_RATE || '1000000';
process.env.PARLEY_SEND_BURST = process.env.PARLEY_SEND_BURST || '1000000';
process.env.PARLEY_BUILD = process.env.PARLEY_BUILD || 'build';

const { stackEnv, makeHandle, ROOT } = require('../lib/stack');

async function main() {
  const t0 = Date.now();
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-drills-'));
  fs.chmodSync(varDir, 0o755);
  const { env, ports } = await stackEnv(varDir);
  const stack = makeHandle(varDir, env, ports);
  let passed = 0;
  let failed = 0;
  let known = 0;
  const summary = [];
  try {
    stack.sh('start');
  } catch (e) {
    console.error('could not start the stack:', e.stderr || e.message);
    console.log('drills: 0 passed, 1 failed');
    process.exit(1);
  }
  const only = (process.env.PARLEY_DRILLS || '').split(/[\s,]+/).filter(Boolean);
  const dir = __dirname;
  const files = fs.readdirSync(dir).sort()
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => !only.length || only.some((o) => f.includes(o)))
    .map((f) => path.join(dir, f));
  for (const file of files) {
    console.log(`-- ${path.relative(ROOT, file)}`);
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
      cwd: ROOT,
      env: { ...env, PARLEY_TEST_VAR: varDir },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 4 * 60 * 1000,
      killSignal: 'SIGKILL',
    });
    const out = (r.stdout || '') + (r.stderr || '');
    process.stdout.write(out.split('\n').filter((l) => !/^\s*# Subtest:/.test(l)).join('\n') + '\n');
    for (const l of out.split('\n')) {
      const m = l.match(/(DRILL .*)$/);
      if (m) summary.push(m[1]);
    }
    const p = Number((out.match(/^# pass (\d+)/m) || [])[1] || 0);
    const f = Number((out.match(/^# fail (\d+)/m) || [])[1] || 0);
    const k = (out.match(/^not ok \d+ .*# TODO/mg) || []).length;
    passed += p;
    failed += f;
    known += k;
    if (r.status !== 0 && f === 0) {
      failed += 1;
      console.log(`FAIL ${path.relative(ROOT, file)} exited with ${r.status} ${r.signal || ''}`);
    }
  }
  try { stack.sh('stop'); } catch (e) { console.error('stop:', e.stderr || e.message); }
  const logDir = path.join(varDir, 'log');
  for (const f of fs.existsSync(logDir) ? fs.readdirSync(logDir) : []) {
    const text = fs.readFileSync(path.join(logDir, f), 'utf8');
    const m = text.match(/(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:)[^\n]*/);
    if (m) {
      failed += 1;
      console.log(`FAIL sanitizer report in ${f}: ${m[0]}`);
    }
  }
  console.log('\n== drill summary');
  for (const l of [...new Set(summary)]) console.log(l);
  if (!process.env.PARLEY_KEEP_VAR) fs.rmSync(varDir, { recursive: true, force: true });
  else console.log(`kept ${varDir}`);
  console.log(`(${Math.round((Date.now() - t0) / 1000)} s)`);
  if (known) console.log(`known failures (server bugs, marked todo): ${known}`);
  console.log(`drills: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
