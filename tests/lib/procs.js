'use strict';
// procs.js -- the processes of this machine as /proc shows them, for tests
// and benchmarks that must find a stack's children (lighttpd's workers, its
// FastCGI workers) or read their CPU time.
const fs = require('node:fs');

// Every process: { pid, comm, state, ppid, ticks } where ticks is user +
// system time of the process and of its reaped children, in clock ticks.
// A process that exits while being read is left out.
function list() {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let s;
    try { s = fs.readFileSync(`/proc/${d}/stat`, 'utf8'); } catch (e) { continue; }
    // comm may hold spaces and parentheses: it ends at the last ')'.
    const close = s.lastIndexOf(')');
    const f = s.slice(close + 2).split(' ');
    out.push({
      pid: Number(d),
      comm: s.slice(s.indexOf('(') + 1, close),
      state: f[0],
      ppid: Number(f[1]),
      ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
    });
  }
  return out;
}

// Pids of the live (not zombie) children of `parent` whose name passes
// `match` (a RegExp), in ascending order.
function childrenOf(parent, match) {
  return list()
    .filter((p) => p.ppid === Number(parent) && p.state !== 'Z' && match.test(p.comm))
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

module.exports = { list, childrenOf };
