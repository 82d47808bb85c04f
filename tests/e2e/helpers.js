'use strict';
// helpers.js -- browser helpers for the end-to-end tests (playwright-core
// driving the system Chromium, /usr/bin/chromium).
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { api } = require('../lib/client');

const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function launch() {
  return chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

// A browser context already signed in as `user` (token in localStorage, as
// the page keeps it), or signed out when user is null.
async function newContext(browser, stack, user, opts = {}) {
  const storageState = user ? {
    cookies: [],
    origins: [{
      origin: stack.url,
      localStorage: [
        { name: 'access_token', value: user.token },
        { name: 'user', value: JSON.stringify({ id: user.id, username: user.username }) },
        ...(process.env.PARLEY_PAGE_DEBUG ? [{ name: 'debug', value: '1' }] : []),
      ],
    }],
  } : undefined;
  return browser.newContext({
    viewport: opts.viewport || { width: 1100, height: 720 },
    locale: opts.locale || 'en-US',
    storageState,
    ...(opts.contextOptions || {}),
  });
}

// Every page records what went wrong: uncaught errors and CSP refusals.
function watch(page, label = '') {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    const t = m.text();
    if (process.env.PARLEY_PAGE_DEBUG) console.log(`[${label}] ${m.type()}: ${t}`);
    if (/Content Security Policy|Refused to/i.test(t)) problems.push(`csp: ${t}`);
  });
  page.problems = problems;
  return page;
}

async function openPage(context, stack, route, label) {
  const page = watch(await context.newPage(), label);
  await page.goto(stack.url + route);
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);
const chatItem = (page, chatId) => page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`);

// Text of the first chat-item's data-chat-id, in list order.
async function chatOrder(page) {
  return page.locator('[data-testid="chat-item"]').evaluateAll((els) => els.map((e) => Number(e.dataset.chatId)));
}

// message id -> how many elements show it, for the open chat.
async function messageCounts(page) {
  return page.locator('[data-testid="message-list"] [data-testid="message"]').evaluateAll((els) => {
    const out = {};
    for (const e of els) {
      const k = e.dataset.messageId || `pending:${e.dataset.clientId}`;
      out[k] = (out[k] || 0) + 1;
    }
    return out;
  });
}

// Polls fn until it returns a truthy value (or throws after ms).
async function until(fn, ms = 10000, what = 'condition') {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${last && last.message ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function createDirect(stack, from, to) {
  const r = await api(stack, 'POST', '/api/chats', { token: from.token, body: { user_id: to.id } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create chat: ${r.status} ${r.text}`);
  return r.json;
}

async function postMessage(stack, user, chatId, content, clientId) {
  const body = { content };
  if (clientId) body.client_id = clientId;
  let r = await api(stack, 'POST', `/api/chats/${chatId}/messages`, { token: user.token, body });
  // Over the per-user send rate: wait as told and try again.
  for (let i = 0; i < 5 && r.status === 429; i++) {
    await new Promise((res) => setTimeout(res, 1100));
    r = await api(stack, 'POST', `/api/chats/${chatId}/messages`, { token: user.token, body });
  }
  if (r.status !== 201 && r.status !== 200) throw new Error(`post message: ${r.status} ${r.text}`);
  return r.json;
}

// An HS256 JWT for `sub`, valid signature, expired `secondsAgo` ago.
function expiredToken(secret, sub, username, secondsAgo = 3600) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ sub: Number(sub), username, iat: now - secondsAgo - 60, exp: now - secondsAgo });
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

// axe-core over the page as it is now; fails on any serious or critical
// violation.  The script is injected through the DevTools protocol
// (page.evaluate), which the page's CSP does not govern: the page itself
// still runs under its CSP.
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
async function axe(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} ${n.failureSummary ? n.failureSummary.split('\n').slice(1, 2).join('') : ''}`).join('\n    ')}`);
  if (bad.length) throw new Error(`axe on "${label}": ${bad.length} serious/critical violation(s):\n  ${text.join('\n  ')}`);
  return res.violations.length;
}

// ws-daemon's pid in this stack (for kill -STOP / -CONT).
function wsdPid(stack) {
  return Number(fs.readFileSync(path.join(stack.varDir, 'run', 'wsd.pid'), 'utf8').trim());
}

// Every ws-daemon of the stack (wsd.pid, wsd-2.pid, ...): a page may sit on any.
function wsdPids(stack) {
  const run = path.join(stack.varDir, 'run');
  return fs.readdirSync(run).filter((f) => /^wsd(-\d+)?\.pid$/.test(f))
    .map((f) => Number(fs.readFileSync(path.join(run, f), 'utf8').trim()));
}

// Posts many messages, `parallel` at a time; returns them in order.
async function postMany(stack, user, chatId, texts, parallel = 6) {
  const out = new Array(texts.length);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < texts.length) {
      const i = next++;
      out[i] = await postMessage(stack, user, chatId, texts[i]);
    }
  }));
  return out;
}

module.exports = {
  axe, wsdPid, wsdPids, postMany,
  launch, newContext, watch, openPage, shot, tid, chatItem, chatOrder, messageCounts, until,
  createDirect, postMessage, expiredToken, ARTIFACTS,
};
