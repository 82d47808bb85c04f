'use strict';
// run.js -- `make drills`: one stack of its own on free ports (in a temporary
// PARLEY_VAR), every tests/drills/*.test.js against it one file at a time
// (drills stop and kill parts of the stack), then the stack is stopped, its
// logs are scanned for sanitizer reports, the DRILL summary lines are
// repeated, and the last line is "drills: N passed, M failed".
//   PARLEY_BUILD     build folder (build, or build-san)
//   PARLEY_DRILLS    optional: only these files (names or substrings)
//   PARLEY_KEEP_VAR  keep the state folder (logs) afterwards
const fs = require('node:fs');
const path = require('node:path');

// Same defaults as harness.js, set before the stack (and so the FastCGI
// workers, which inherit lighttpd's environment) starts.
process.env.PARLEY_SEND_RATE = process.env.PARLEY_SEND_RATE || '1000000';
process.env.PARLEY_SEND_BURST = process.env.PARLEY_SEND_BURST || '1000000';
// Drills open many sockets from 127.0.0.1: lift the per-address cap.
process.env.PARLEY_WS_MAX_CONNS_PER_ADDR = process.env.PARLEY_WS_MAX_CONNS_PER_ADDR || '1000000';
process.env.PARLEY_BUILD = process.env.PARLEY_BUILD || 'build';

const { runSuite } = require('../lib/suite');

async function main() {
  const t0 = Date.now();
  const only = (process.env.PARLEY_DRILLS || '').split(/[\s,]+/).filter(Boolean);
  const files = fs.readdirSync(__dirname).sort()
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => !only.length || only.some((o) => f.includes(o)))
    .map((f) => path.join(__dirname, f));
  const summary = [];
  const res = await runSuite(files, {
    prefix: 'drills',
    timeoutMs: 4 * 60 * 1000,
    onOutput: (out) => {
      for (const l of out.split('\n')) {
        const m = l.match(/(DRILL .*)$/);
        if (m) summary.push(m[1]);
      }
    },
  });
  console.log('\n== drill summary');
  for (const l of [...new Set(summary)]) console.log(l);
  console.log(`(${Math.round((Date.now() - t0) / 1000)} s)`);
  if (res.todo) console.log(`known failures (server bugs, marked todo): ${res.todo}`);
  console.log(`drills: ${res.passed} passed, ${res.failed} failed`);
  process.exit(res.failed ? 1 : 0);
}

main();
