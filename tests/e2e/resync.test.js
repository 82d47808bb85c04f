'use strict';
// resync.test.js -- the page far behind: while ws-daemon is down, more
// changes pile up than /api/sync replays (500), so the server answers
// reset:true and the page must reload its chats instead of replaying —
// and end with exactly the server's chats, previews and badges, once each.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
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

test('after a long outage (over 500 changes) the page reloads and shows the server\'s state', async () => {
  const B = await newUser(stack, 'rb');
  const first = await newUser(stack, 'rf');
  const chat0 = (await h.createDirect(stack, first, B)).id;
  await h.postMessage(stack, first, chat0, 'before the outage');
  ctx = await h.newContext(browser, stack, B);
  page = h.watch(await ctx.newPage(), 'B');
  await page.goto(`${stack.url}/chats`);
  const status = h.tid(page, 'connection-status');
  await h.until(async () => (await status.textContent()) === 'online', 15000, 'B online');
  await h.until(async () => (await h.chatOrder(page)).length === 1, 10000, 'one chat listed');

  stack.sh('wsd-stop');
  const senders = [];
  try {
    await h.until(async () => ['connecting', 'offline'].includes(await status.textContent()), 10000, 'B sees the drop');
    // 6 new people start chats with B and write 90 messages each: 6 chat
    // creations + 540 messages, more than one sync answer replays.
    for (let i = 0; i < 6; i++) senders.push(await newUser(stack, `rs${i}`));
    await Promise.all(senders.map(async (s, i) => {
      s.chat = (await h.createDirect(stack, s, B)).id;
      for (let k = 1; k <= 90; k++) await h.postMessage(stack, s, s.chat, `from ${i}: ${k}`);
    }));
    const cursorCheck = await api(stack, 'GET', '/api/sync?since=1', { token: B.token });
    assert.equal(cursorCheck.json.reset, true, 'the server would answer reset for a cursor this far behind');
  } finally {
    stack.sh('wsd-start');
  }
  await h.until(async () => (await status.textContent()) === 'online', 20000, 'B back online');
  await h.until(async () => (await h.chatOrder(page)).length === 7, 15000, 'all 7 chats listed after the reload');
  const order = await h.chatOrder(page);
  assert.equal(new Set(order).size, 7, 'each chat once');
  assert.equal(order[6], chat0, 'the old chat is now last');
  for (let i = 0; i < 6; i++) {
    const item = h.chatItem(page, senders[i].chat);
    await h.until(async () => (await item.locator('[data-testid="unread-badge"]').textContent().catch(() => '')) === '90', 10000, `badge 90 on chat ${i}`);
    assert.equal(await item.locator('[data-testid="chat-preview"]').textContent(), `from ${i}: 90`);
  }
  await h.until(async () => (await page.title()) === '(541) Parley', 5000, 'tab title (541)');
  // Opening one of them shows its newest messages once each.
  // Opening one of them starts at its first unread; the jump button leads
  // to the newest messages, shown once each.
  await h.chatItem(page, senders[0].chat).click();
  await page.locator('[data-testid="message"]').last().waitFor({ timeout: 10000 });
  await h.tid(page, 'jump-latest').click();
  await h.until(async () => (await page.locator('[data-testid="message-text"]').last().textContent()) === 'from 0: 90', 10000, 'newest message shown');
  const counts = await h.messageCounts(page);
  for (const [k, n] of Object.entries(counts)) assert.equal(n, 1, `message ${k} shown ${n} times`);
  await h.shot(page, 'resync-after-reset');
});
