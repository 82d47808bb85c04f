'use strict';
// phone.test.js -- at 390×844 with a touch screen: message actions behind
// "⋯" (or a long press), targets at least 44 px, Enter makes a new line and
// the Send button sends, the back button shows the other chats' unread
// count; axe-core on the phone screens.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let A; let B; let C; let chat; let other; let page;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B, C] = await Promise.all([newUser(stack, 'pha'), newUser(stack, 'phb'), newUser(stack, 'phc')]);
  chat = await h.createDirect(stack, A, B);
  other = await h.createDirect(stack, C, A);
  await h.postMessage(stack, B, chat.id, 'hi from B');
  const ctx = await h.newContext(browser, stack, A, {
    viewport: { width: 390, height: 844 }, contextOptions: { isMobile: true, hasTouch: true },
  });
  page = await h.openPage(ctx, stack, '/chats', 'phone');
});

after(async () => {
  const problems = page ? page.problems : [];
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

const box = (loc) => loc.evaluate((e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height }; });

test('Enter makes a new line, Send sends; actions behind ⋯ and a long press; targets ≥ 44 px', async () => {
  await h.chatItem(page, chat.id).waitFor();
  await h.axe(page, 'chat list (phone)');
  await h.chatItem(page, chat.id).click();
  await h.tid(page, 'message-list').waitFor();
  const input = h.tid(page, 'message-input');
  await input.tap();
  await input.type('line one');
  await input.press('Enter');
  await input.type('line two');
  assert.equal(await input.inputValue(), 'line one\nline two', 'Enter made a new line');
  assert.equal(await h.tid(page, 'message').count(), 1, 'nothing was sent by Enter');
  await h.tid(page, 'message-send').tap();
  const mine = page.locator('[data-testid="message"].mine');
  await h.until(async () => (await mine.getAttribute('data-status')) === 'sent', 5000, 'sent');
  assert.equal(await mine.locator('[data-testid="message-text"]').textContent(), 'line one\nline two');

  // Edit and Delete are not beside the message; "⋯" opens them.
  assert.equal(await mine.locator('[data-testid="message-edit"]').isVisible(), false);
  const more = mine.locator('[data-testid="message-more"]');
  assert.equal(await more.isVisible(), true);
  assert.match(await more.getAttribute('aria-label'), /line one/);
  await more.tap();
  await mine.locator('[data-testid="message-edit"]').waitFor({ state: 'visible' });
  for (const id of ['message-more', 'message-edit', 'message-delete']) {
    const b = await box(mine.locator(`[data-testid="${id}"]`));
    assert.ok(b.w >= 44 && b.h >= 44, `${id} is ${b.w}×${b.h}`);
  }
  for (const id of ['message-send', 'back-button']) {
    const b = await box(h.tid(page, id));
    assert.ok(b.w >= 44 && b.h >= 44, `${id} is ${b.w}×${b.h}`);
  }
  await h.axe(page, 'open chat with the action menu (phone)');
  await h.shot(page, 'phone-actions');
  await more.tap();
  assert.equal(await mine.locator('[data-testid="message-edit"]').isVisible(), false, '⋯ closes the menu');

  // A long press opens it too.
  const bubble = mine.locator('.bubble');
  const r = await bubble.boundingBox();
  const cdp = await page.context().newCDPSession(page);
  const point = { x: Math.round(r.x + r.width / 2), y: Math.round(r.y + r.height / 2) };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
  await page.waitForTimeout(700);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await mine.locator('[data-testid="message-edit"]').waitFor({ state: 'visible', timeout: 2000 });

  // Someone else's message: Reply and "add a reaction" are hidden until a
  // long press shows them; a picked reaction shows inside the bubble.
  const theirs = page.locator('[data-testid="message"].theirs').first();
  assert.equal(await theirs.locator('[data-testid="message-reply"]').isVisible(), false);
  assert.equal(await theirs.locator('[data-testid="reaction-add"]').isVisible(), false);
  const tb = await theirs.locator('.bubble').boundingBox();
  const tp = { x: Math.round(tb.x + tb.width / 2), y: Math.round(tb.y + tb.height / 2) };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [tp] });
  await page.waitForTimeout(700);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await theirs.locator('[data-testid="reaction-add"]').waitFor({ state: 'visible', timeout: 2000 });
  assert.equal(await theirs.locator('[data-testid="message-reply"]').isVisible(), true);
  for (const id of ['message-reply', 'reaction-add']) {
    const b = await box(theirs.locator(`[data-testid="${id}"]`));
    assert.ok(b.w >= 44 && b.h >= 44, `${id} is ${b.w}×${b.h}`);
  }
  await theirs.locator('[data-testid="reaction-add"]').tap();
  await theirs.locator('[data-testid="reaction-pick"][data-emoji="👍"]').tap();
  const chip = theirs.locator('.bubble [data-testid="reaction"][data-emoji="👍"] [data-testid="reaction-count"]');
  await h.until(async () => (await chip.count()) === 1 && (await chip.textContent()) === '1', 5000, 'the reaction shows in the bubble');
});

test('the back button shows the other chats\' unread count', async () => {
  assert.equal(await h.tid(page, 'back-unread').isVisible(), false);
  await h.postMessage(stack, C, other.id, 'meanwhile in another chat');
  await h.until(async () => (await h.tid(page, 'back-unread').textContent()) === '1', 5000, 'back badge 1');
  assert.equal(await h.tid(page, 'back-unread').isVisible(), true);
  assert.match(await h.tid(page, 'back-button').getAttribute('aria-label'), /1 unread/);
  await h.tid(page, 'back-button').tap();
  await page.waitForURL('**/chats');
  assert.equal(await h.chatItem(page, other.id).locator('[data-testid="unread-badge"]').textContent(), '1');
});
