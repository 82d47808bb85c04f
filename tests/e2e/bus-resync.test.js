'use strict';
// bus-resync.test.js -- the page and {"type":"resync"}: the event bus
// (forwarder) is killed with -9 and restarted while messages are posted.
// The page keeps its WebSocket (no reconnect), is told to resync, catches
// up through /api/sync after its jitter, and shows every message once with
// the right badge.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let ctx; let page;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
});

after(async () => {
  const problems = page ? page.problems : [];
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

test('forwarder kill -9: the page is told to resync and shows every message once, without reconnecting', async () => {
  const A = await newUser(stack, 'ba');
  const B = await newUser(stack, 'bb');
  const chat = (await h.createDirect(stack, A, B)).id;
  await h.postMessage(stack, A, chat, 'before');
  ctx = await h.newContext(browser, stack, B);
  page = h.watch(await ctx.newPage(), 'B');
  await page.addInitScript(() => { localStorage.setItem('debug', '1'); });
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  let sockets = 0;
  page.on('websocket', () => { sockets += 1; });
  await page.goto(`${stack.url}/chats`);
  const status = h.tid(page, 'connection-status');
  await h.until(async () => (await status.textContent()) === 'online', 15000, 'B online');
  const badge = () => h.chatItem(page, chat).locator('[data-testid="unread-badge"]').textContent().catch(() => '');
  await h.until(async () => (await badge()) === '1', 10000, 'badge 1');

  stack.sh('fwd-kill');
  try {
    for (let i = 1; i <= 5; i++) await h.postMessage(stack, A, chat, `during ${i}`);
  } finally {
    stack.sh('fwd-start');
  }
  await h.postMessage(stack, A, chat, 'after');
  // The daemon may tell of the restart either way: the bus reconnect (its
  // socket monitor, read on a 200 ms tick) or a gap in a worker's sequence
  // (an event dropped while the forwarder was away), whichever it sees
  // first; notices within a second are one notice, and the page syncs once.
  await h.until(async () => logs.some((l) => /server asked for a resync: (bus_reconnect|gap)/.test(l)), 10000, 'resync notice');
  await h.until(async () => logs.some((l) => /sync start server: (bus_reconnect|gap)/.test(l)), 10000, 'sync after the jitter');
  await h.until(async () => (await badge()) === '7', 10000, 'badge 7');
  assert.equal(sockets, 1, 'the page never reconnected');
  assert.equal(await status.textContent(), 'online');
  await h.chatItem(page, chat).click();
  await h.until(async () => (await page.locator('[data-testid="message-text"]').last().textContent()) === 'after', 10000, 'newest shown');
  const texts = await page.locator('[data-testid="message-text"]').allTextContents();
  assert.deepEqual(texts, ['before', 'during 1', 'during 2', 'during 3', 'during 4', 'during 5', 'after']);
  for (const [k, n] of Object.entries(await h.messageCounts(page))) assert.equal(n, 1, `message ${k} shown ${n} times`);
});
