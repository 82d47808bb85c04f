'use strict';
// presence.test.js -- in headless Chromium: B sees a green dot for A while
// A's window is open, and a grey one with "last seen" once A closes it.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { newUser } = require('../lib/client');
const h = require('./helpers');

let stack;
let browser;
let A; let B;
let pageB;
let chat;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B] = await Promise.all([newUser(stack, 'da'), newUser(stack, 'db')]);
  chat = (await h.createDirect(stack, A, B)).id;
});

after(async () => {
  const problems = pageB ? pageB.problems : [];
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

test('the presence dot turns green when the other opens the page and grey when they close it', async () => {
  const ctxB = await h.newContext(browser, stack, B);
  pageB = await h.openPage(ctxB, stack, `/chats/${chat}`, 'B');
  const dotB = h.chatItem(pageB, chat).locator('[data-testid="presence-dot"]');
  await h.until(async () => (await dotB.getAttribute('data-status')) === 'offline', 10000, 'A offline at first');
  const ctxA = await h.newContext(browser, stack, A);
  const pageA = await h.openPage(ctxA, stack, '/chats', 'A');
  await h.until(async () => (await dotB.getAttribute('data-status')) === 'online', 15000, 'A online');
  assert.equal(await h.tid(pageB, 'presence-status').textContent(), 'online');
  assert.equal(await dotB.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(22, 163, 74)');
  await h.shot(pageB, 'presence-online');
  await pageA.close({ runBeforeUnload: true });
  await ctxA.close();
  // Closing says "gone"; the change is announced at once or, inside the
  // 5 s debounce, with the next report (B's page reports every 15 s).
  await h.until(async () => (await dotB.getAttribute('data-status')) === 'offline', 30000, 'A offline after closing');
  assert.match(await h.tid(pageB, 'presence-status').textContent(), /^last seen (just now|1 min ago)$/);
});
