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
    try { if (k.close) k.close(); else k.cp.send({ cmd: 'close' }); } catch (e) { clearTimeout(t); k.cp.kill('SIGKILL'); resolve(); }
  })));
}

// The same ask()/close contract over tests/bench/fanout-reader.c (a C
// epoll reader that answers JSON lines on stdout): `open` sends the tokens
// and an `open N` line; `report`, `status` and `close` are one line each.
// kids[i].cp.pid is the reader, so CPU accounting is as for ws-child.js.
function spawnReaders(n, bin, wsUrl, chat) {
  const { spawn } = require('node:child_process');
  const u = new URL(wsUrl);
  const kids = [];
  for (let i = 0; i < n; i++) {
    const cp = spawn(bin, [u.hostname, u.port, u.pathname, String(chat)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const waiting = [];
    let buf = '';
    cp.stdout.setEncoding('utf8');
    cp.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        const w = waiting.findIndex((x) => x.type === m.type);
        if (w >= 0) waiting.splice(w, 1)[0].resolve(m);
      }
    });
    cp.on('exit', (code) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`fanout-reader exited (${code})`));
    });
    cp.stdin.on('error', () => {});
    kids.push({
      cp,
      ask(msg, type, ms = 200000) {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`fanout-reader: no ${type} in ${ms} ms`)), ms);
          waiting.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m); }, reject });
          if (msg.cmd === 'open') cp.stdin.write(msg.tokens.map((t) => `token ${t}\n`).join('') + `open ${msg.concurrency || 50}\n`);
          else cp.stdin.write(`${msg.cmd}\n`);
        });
      },
      close() { cp.stdin.end('close\n'); },
    });
  }
  return kids;
}

module.exports = { spawnChildren, spawnReaders, closeChildren };
