'use strict';
// cpu.js -- CPU time of this stack's processes, by component, so a figure
// can say where a request's CPU goes (other stacks on the machine are not
// counted: only descendants of this stack's postmaster and lighttpd, and its
// ws-daemons and forwarder).
//   node cpu.js snap FILE                 save a snapshot
//   node cpu.js diff BEFORE AFTER FILE [TIMEFILE]
//        write {cpu_ms: {component: ms}, machine: {...}} to FILE; TIMEFILE
//        holds the load generator's "user sys" seconds (bash `time`), so
//        the CPU of everything else on the machine can be told apart:
//        machine.others_pct is the share of all cores that processes
//        outside this stack and its load generator used meanwhile.
// Ticks from /proc/<pid>/stat (utime + stime + cutime + cstime) and
// /proc/stat, 100 per second.
const fs = require('node:fs');
const path = require('node:path');
const { list: procList } = require('../lib/procs');

const VAR = process.env.PARLEY_VAR;
const TICK_MS = 10;

// pid -> { comm, ppid, ticks }; ticks count reaped children too (pgbench's
// backends exit before the second snapshot; their time lands in the
// postmaster's).
function procs() {
  return new Map(procList().map((p) => [p.pid, p]));
}

function pidFrom(file) {
  try { return Number(fs.readFileSync(file, 'utf8').split('\n')[0]); } catch (e) { return 0; }
}

function snap() {
  const all = procs();
  const group = new Map();
  // PARLEY_VAR may list several state folders (':'): the hosts of a
  // namespace cluster (tests/cluster/bench.sh), summed per process kind.
  for (const dir of VAR.split(':').filter(Boolean)) {
    const roots = {
      postgres: pidFrom(path.join(dir, 'pg/data/postmaster.pid')),
      lighttpd: pidFrom(path.join(dir, 'run/lighttpd.pid')),
      wsd: pidFrom(path.join(dir, 'run/wsd.pid')),
      // The event bus (parley-forwarder): its own kind, so a cross-host
      // figure shows what the hop costs.
      forwarder: pidFrom(path.join(dir, 'run/forwarder.pid')),
    };
    for (const [name, pid] of Object.entries(roots)) if (pid && all.has(pid)) group.set(pid, name);
    // Daemons 2..N (PARLEY_WS_DAEMONS) count as "wsd" too.
    let runFiles = [];
    try { runFiles = fs.readdirSync(path.join(dir, 'run')); } catch (e) { /* no run folder */ }
    for (const f of runFiles) {
      const pid = /^wsd-\d+\.pid$/.test(f) ? pidFrom(path.join(dir, 'run', f)) : 0;
      if (pid && all.has(pid)) group.set(pid, 'wsd');
    }
  }
  // Descendants: FastCGI workers under lighttpd count as "api"; lighttpd's
  // own worker processes (PARLEY_HTTP_WORKERS) count as "lighttpd".
  let changed = true;
  while (changed) {
    changed = false;
    for (const [pid, p] of all) {
      if (group.has(pid) || !group.has(p.ppid)) continue;
      const parent = group.get(p.ppid);
      group.set(pid, parent === 'lighttpd' && p.comm !== 'lighttpd' ? 'api' : parent);
      changed = true;
    }
  }
  const out = {};
  for (const [pid, g] of group) out[pid] = { group: g, ticks: all.get(pid).ticks };
  // Whole machine: busy and total ticks over all cores.
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  out._machine = { busy: total - idle, total };
  return out;
}

const [cmd, a, b, file, timefile] = process.argv.slice(2);
if (cmd === 'snap') {
  fs.writeFileSync(a, JSON.stringify(snap()));
} else if (cmd === 'diff') {
  const before = JSON.parse(fs.readFileSync(a, 'utf8'));
  const after = JSON.parse(fs.readFileSync(b, 'utf8'));
  const ms = { postgres: 0, api: 0, lighttpd: 0, wsd: 0, forwarder: 0 };
  for (const [pid, p] of Object.entries(after)) {
    if (pid === '_machine') continue;
    ms[p.group] += (p.ticks - (before[pid] ? before[pid].ticks : 0)) * TICK_MS;
  }
  let client = null;
  if (timefile) {
    try {
      const t = fs.readFileSync(timefile, 'utf8').trim().split(/\s+/).map(Number);
      if (t.length === 2 && t.every(Number.isFinite)) client = Math.round((t[0] + t[1]) * 1000);
    } catch (e) { /* no time file */ }
  }
  const busy = (after._machine.busy - before._machine.busy) * TICK_MS;
  const capacity = (after._machine.total - before._machine.total) * TICK_MS;
  const stack = Object.values(ms).reduce((x, y) => x + y, 0);
  const others = Math.max(0, busy - stack - (client || 0));
  const machine = { busy_ms: busy, capacity_ms: capacity, stack_ms: stack, client_ms: client, others_ms: others,
    others_pct: capacity ? Math.round((others / capacity) * 1000) / 10 : null };
  fs.writeFileSync(file, JSON.stringify({ cpu_ms: ms, client_ms: client, machine }) + '\n');
} else {
  process.stderr.write('usage: cpu.js snap FILE | diff BEFORE AFTER OUT [TIMEFILE]\n');
  process.exit(2);
}
