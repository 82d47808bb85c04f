'use strict';
// connection.test.js -- a paused ws-daemon (kill -STOP: the socket stays
// open but nothing answers) is noticed within 10 s by the page's own ping,
// with a banner above the messages at desktop and phone sizes; the
// browser going offline is shown at once, and when it is back the page
// re-sends the failed message and the read marker.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let A; let B; let chat;
let desk; let phone;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B] = await Promise.all([newUser(stack, 'cna'), newUser(stack, 'cnb')]);
  chat = await h.createDirect(stack, A, B);
  await h.postMessage(stack, B, chat.id, 'hello A');
  const ctxD = await h.newContext(browser, stack, A, { viewport: { width: 1280, height: 800 } });
  const ctxP = await h.newContext(browser, stack, A, {
    viewport: { width: 390, height: 844 }, contextOptions: { isMobile: true, hasTouch: true },
  });
  desk = await h.openPage(ctxD, stack, `/chats/${chat.id}`, 'desk');
  phone = await h.openPage(ctxP, stack, `/chats/${chat.id}`, 'phone');
});

after(async () => {
  const problems = [desk, phone].flatMap((p) => (p ? p.problems : []));
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

const status = (p) => h.tid(p, 'connection-status').getAttribute('data-state');
const banner = (p) => h.tid(p, 'connection-banner');

// The banner is on screen, above the message list.
async function bannerAboveMessages(p) {
  return p.evaluate(() => {
    const b = document.querySelector('[data-testid="connection-banner"]').getBoundingClientRect();
    const l = document.querySelector('[data-testid="message-list"]').getBoundingClientRect();
    return b.height > 0 && b.top >= 0 && b.bottom <= l.top + 1 && b.width > 0;
  });
}

test('a paused ws-daemon is noticed within 10 s; a banner shows on desktop and phone; back online after SIGCONT', async () => {
  for (const p of [desk, phone]) {
    await h.until(async () => (await status(p)) === 'online', 15000, 'online');
    assert.equal(await banner(p).isVisible(), false, 'no banner while online');
  }
  // Every daemon: the pages may sit on either, and a reconnect must not
  // find a live one until SIGCONT.
  const pids = h.wsdPids(stack);
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  const t0 = Date.now();
  try {
    await h.until(async () => (await status(desk)) !== 'online' && (await status(phone)) !== 'online', 12000, 'drop noticed');
    const took = Date.now() - t0;
    console.log(`# paused daemon noticed after ${took} ms`);
    assert.ok(took <= 10500, `noticed in ${took} ms`);
    for (const p of [desk, phone]) {
      await banner(p).waitFor({ state: 'visible' });
      assert.match(await banner(p).textContent(), /Reconnecting/);
      assert.equal(await bannerAboveMessages(p), true, 'banner above the messages');
    }
    await h.shot(phone, 'phone-banner-reconnecting');
    await h.axe(desk, 'reconnecting banner (desktop)');
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  for (const p of [desk, phone]) {
    await h.until(async () => (await status(p)) === 'online', 25000, 'online again');
    await h.until(async () => !(await banner(p).isVisible()), 3000, 'banner gone');
  }
});

test('offline browser: shown at once; the failed send and the read marker go out when back online', async () => {
  const ctx = desk.context();
  await ctx.setOffline(true);
  const t0 = Date.now();
  await h.until(async () => (await status(desk)) === 'offline', 2000, 'offline at once');
  console.log(`# offline shown after ${Date.now() - t0} ms`);
  await banner(desk).waitFor({ state: 'visible' });
  assert.match(await banner(desk).textContent(), /offline/i);
  await h.tid(desk, 'message-input').fill('typed while offline');
  await h.tid(desk, 'message-input').press('Enter');
  const entry = desk.locator('[data-testid="message"]', { hasText: 'typed while offline' });
  await h.until(async () => (await entry.getAttribute('data-status')) === 'failed', 5000, 'failed while offline');
  // Meanwhile B writes; the open chat will read it when it arrives.
  const m = await h.postMessage(stack, B, chat.id, 'written while A was offline');
  await ctx.setOffline(false);
  await h.until(async () => (await status(desk)) === 'online', 10000, 'online again');
  await h.until(async () => (await entry.getAttribute('data-status')) === 'sent', 10000, 'the failed message was re-sent');
  await desk.locator(`[data-testid="message"][data-message-id="${m.id}"]`).waitFor();
  await h.until(async () => {
    const r = await api(stack, 'GET', `/api/chats/${chat.id}`, { token: A.token });
    return r.json.unread_count === 0 && r.json.last_read_message_id >= m.id;
  }, 8000, 'the read marker reached the server');
  await h.until(async () => (await h.chatItem(desk, chat.id).locator('[data-testid="unread-badge"]').count()) === 0, 5000, 'no badge on the open chat');
  const r = await api(stack, 'GET', `/api/chats/${chat.id}/messages?limit=10`, { token: B.token });
  assert.equal(r.json.messages.filter((x) => x.content === 'typed while offline').length, 1, 'stored once');
});
