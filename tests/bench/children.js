'use strict';
// children.js -- the parent side of ws-child.js: fork, ask, collect.
const { fork } = require('node:child_process');
const path = require('node:path');

function spawnChildren(n) {
  const kids = [];
  for (let i = 0; i < n; i++) {
    const cp = fork(path.join(__dirname, 'ws-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const waiting = [];
    cp.on('message', (m) => {
      const w = waiting.findIndex((x) => x.type === m.type);
      if (w >= 0) waiting.splice(w, 1)[0].resolve(m);
    });
    cp.on('exit', (code) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`ws-child exited (${code})`));
    });
    kids.push({
      cp,
      ask(msg, type, ms = 200000) {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`ws-child: no ${type} in ${ms} ms`)), ms);
          waiting.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m); }, reject });
          cp.send(msg);
        });
      },
    });
  }
  return kids;
}

async function closeChildren(kids) {
  await Promise.all(kids.map((k) => new Promise((resolve) => {
    if (k.cp.exitCode !== null) return resolve();
    const t = setTimeout(() => { k.cp.kill('SIGKILL'); resolve(); }, 5000);
    k.cp.once('exit', () => { clearTimeout(t); resolve(); });
    try { k.cp.send({ cmd: 'close' }); } catch (e) { clearTimeout(t); k.cp.kill('SIGKILL'); resolve(); }
  })));
}

module.exports = { spawnChildren, closeChildren };
