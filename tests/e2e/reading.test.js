'use strict';
// reading.test.js -- a chat opens at the first unread message under a
// "New messages" divider; messages count as read as they come into view
// (the badge counts down), not on open; the jump-to-latest button shows how
// many are below; a chat with 1,000 unread opens at its first unread fast.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let A; let B; let ctx; let page;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B] = await Promise.all([newUser(stack, 'rda'), newUser(stack, 'rdb')]);
  ctx = await h.newContext(browser, stack, A, { viewport: { width: 1280, height: 800 } });
});

after(async () => {
  const problems = page ? page.problems : [];
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

const badge = (chatId) => h.chatItem(page, chatId).locator('[data-testid="unread-badge"]');
const badgeNum = async (chatId) => Number(await badge(chatId).textContent({ timeout: 500 }).catch(() => '0'));
const serverUnread = async (chatId) => {
  const r = await api(stack, 'GET', `/api/chats/${chatId}`, { token: A.token });
  return r.json;
};

test('40 unread: opens at the first unread with a divider; read as they come into view; jump button counts', async () => {
  const chat = await h.createDirect(stack, B, A);
  await h.postMessage(stack, B, chat.id, 'an old message A has read');
  const r = await api(stack, 'POST', `/api/chats/${chat.id}/read`, { token: A.token, body: {} });
  assert.equal(r.status, 200, r.text);
  const posted = [];
  for (let i = 1; i <= 40; i++) posted.push(await h.postMessage(stack, B, chat.id, `unread ${i}`));

  page = await h.openPage(ctx, stack, '/chats', 'A');
  await h.until(async () => (await badgeNum(chat.id)) === 40, 10000, 'badge 40');
  assert.equal(await page.title(), '(40) Parley');
  await h.chatItem(page, chat.id).click();
  const divider = h.tid(page, 'new-messages-divider');
  await divider.waitFor();
  // The divider is right above the first unread, which is on screen.
  const first = await divider.evaluate((d) => {
    const m = d.nextElementSibling;
    const lr = d.parentElement.getBoundingClientRect();
    const r2 = m.getBoundingClientRect();
    return { text: m.querySelector('[data-testid="message-text"]').textContent, onScreen: r2.top >= lr.top && r2.bottom <= lr.bottom };
  });
  assert.deepEqual(first, { text: 'unread 1', onScreen: true });
  assert.equal(await divider.textContent(), 'New messages');
  // Only what is on screen counts as read: the badge went down, not to 0.
  await h.until(async () => { const n = await badgeNum(chat.id); return n > 0 && n < 40; }, 5000, 'badge counted down part way');
  await page.waitForTimeout(800);
  const mid = await badgeNum(chat.id);
  assert.ok(mid > 0 && mid < 40, `badge ${mid} after opening: neither 40 nor cleared`);
  const srv = await serverUnread(chat.id);
  assert.equal(srv.unread_count, mid, 'the server\'s count is the badge');
  const marker = posted.findIndex((m) => m.id === srv.last_read_message_id);
  assert.ok(marker >= 0 && marker < 39, `read marker at a visible message (index ${marker}), not the newest`);
  // The jump button names how many are below.
  const jump = h.tid(page, 'jump-latest');
  assert.equal(await jump.isVisible(), true);
  assert.equal(await h.tid(page, 'jump-count').textContent(), String(mid));
  assert.match(await jump.getAttribute('aria-label'), new RegExp(`${mid} new messages below`));
  await h.axe(page, 'open chat with unread (desktop, light)');
  await h.shot(page, 'reading-divider');

  // Scrolling down reads the rest: the badge counts down to nothing.
  const seen = new Set([mid]);
  for (let k = 0; k < 30; k++) {
    await h.tid(page, 'message-list').evaluate((e) => { e.scrollTop += e.clientHeight / 2; });
    await page.waitForTimeout(150);
    seen.add(await badgeNum(chat.id));
    if (!(await badge(chat.id).count())) break;
  }
  await h.until(async () => (await badge(chat.id).count()) === 0, 5000, 'badge gone');
  assert.ok(seen.size >= 3, `the badge counted down in steps (${[...seen].join(', ')})`);
  assert.equal(await page.title(), 'Parley');
  assert.equal((await serverUnread(chat.id)).unread_count, 0);
  await h.until(async () => !(await jump.isVisible()), 3000, 'jump button hidden at the bottom');

  // Reopening: no unread, no divider, the newest at the bottom.
  await page.goto(`${stack.url}/chats`);
  await h.chatItem(page, chat.id).click();
  await page.locator('[data-testid="message-text"]', { hasText: 'unread 40' }).waitFor();
  assert.equal(await divider.count(), 0, 'no divider without unread');
});

test('a message arriving in a hidden tab is not read until the tab is visible', async () => {
  const chat = await h.createDirect(stack, A, await newUser(stack, 'rdc').then((u) => { B.other = u; return u; }));
  await page.goto(`${stack.url}/chats/${chat.id}`);
  await h.until(async () => (await h.tid(page, 'connection-status').textContent()) === 'online', 10000, 'online');
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  });
  await h.postMessage(stack, B.other, chat.id, 'while you were away');
  await page.locator('[data-testid="message-text"]', { hasText: 'while you were away' }).waitFor();
  await page.waitForTimeout(800);
  assert.equal((await serverUnread(chat.id)).unread_count, 1, 'not read while hidden');
  await page.evaluate(() => {
    delete document.visibilityState;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await h.until(async () => (await serverUnread(chat.id)).unread_count === 0, 10000, 'read once visible');
});

test('1,000 unread: the first unread is on screen within 300 ms of the click', async () => {
  // Ten senders in a group, 100 each (the per-user send burst).
  const senders = await Promise.all(Array.from({ length: 10 }, (_, i) => newUser(stack, `rdk${i}`)));
  const r = await api(stack, 'POST', '/api/chats', { token: B.token, body: { title: 'Busy group', member_ids: [A.id, ...senders.map((u) => u.id)] } });
  assert.equal(r.status, 201, r.text);
  const chat = r.json;
  await h.postMessage(stack, B, chat.id, 'read before');
  await api(stack, 'POST', `/api/chats/${chat.id}/read`, { token: A.token, body: {} });
  await Promise.all(senders.map((u, k) => h.postMany(stack, u, chat.id, Array.from({ length: 100 }, (_, i) => `bulk ${k * 100 + i + 1}`), 1)));
  await page.goto(`${stack.url}/chats`);
  await h.until(async () => (await badge(chat.id).textContent().catch(() => '')) === '999+', 10000, 'badge 999+');
  const times = [];
  for (let run = 0; run < 3; run++) {
    if (run) { await page.goto(`${stack.url}/chats`); await h.chatItem(page, chat.id).waitFor(); }
    // Measured inside the page: from the click to the frame in which the
    // first unread message is inside the list's visible box.
    const ms = await page.evaluate((id) => new Promise((resolve) => {
      const link = document.querySelector(`[data-testid="chat-item"][data-chat-id="${id}"] a`);
      const t0 = performance.now();
      link.click();
      const tick = () => {
        const d = document.querySelector('[data-testid="new-messages-divider"]');
        const m = d && d.nextElementSibling;
        const list = document.querySelector('[data-testid="message-list"]');
        if (m && list) {
          const lr = list.getBoundingClientRect();
          const r = m.getBoundingClientRect();
          if (r.top >= lr.top && r.bottom <= lr.bottom) { resolve(performance.now() - t0); return; }
        }
        if (performance.now() - t0 > 10000) { resolve(-1); return; }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }), chat.id);
    times.push(Math.round(ms));
  }
  console.log(`# first unread on screen after click, 1000 unread: ${times.join(', ')} ms`);
  assert.ok(times.every((t) => t > 0), 'the first unread showed every time');
  const best = Math.min(...times);
  assert.ok(best < 300, `first unread on screen in ${best} ms (< 300)`);
  assert.equal(await h.tid(page, 'message-text').first().textContent(), 'read before', 'read context above the divider');
  assert.match(await page.locator('[data-testid="new-messages-divider"] + [data-testid="message"] [data-testid="message-text"]').textContent(), /^bulk \d+$/);
});
