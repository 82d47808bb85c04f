'use strict';
// chat.test.js -- two users in two browser contexts: live list updates and
// badges, read state across tabs, edit/delete, text-only rendering, and
// catching up after a ws-daemon restart.  One browser for the whole file;
// the tests run in order and build on each other.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack;
let browser;
let A; let B; let C;          // users
let ctxA; let ctxB;
let pageA; let pageB; let pageB2;
let chatAB; let chatCB;
const sent = [];              // texts A sent from the page, in order

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B, C] = await Promise.all([newUser(stack, 'ea'), newUser(stack, 'eb'), newUser(stack, 'ec')]);
  chatAB = (await h.createDirect(stack, A, B)).id;
  // B's other chat is more recent: C wrote there, and B has read it.
  chatCB = (await h.createDirect(stack, C, B)).id;
  await h.postMessage(stack, C, chatCB, 'hello B, this is C');
  const r = await api(stack, 'POST', `/api/chats/${chatCB}/read`, { token: B.token, body: {} });
  assert.equal(r.status, 200, r.text);
  ctxA = await h.newContext(browser, stack, null);
  ctxB = await h.newContext(browser, stack, B);
});

after(async () => {
  const problems = [pageA, pageB, pageB2].flatMap((p) => (p ? p.problems : []));
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

test('a message from A moves the chat to the top of B\'s list with a live badge and tab title', async () => {
  pageB = await h.openPage(ctxB, stack, '/chats', 'B');
  await h.tid(pageB, 'chat-list').waitFor();
  await h.until(async () => (await h.chatOrder(pageB)).length === 2, 10000, 'two chats in B\'s list');
  assert.deepEqual(await h.chatOrder(pageB), [chatCB, chatAB], 'the more recent chat (with C) is first');
  assert.equal(await h.chatItem(pageB, chatAB).locator('[data-testid="unread-badge"]').count(), 0, 'no badge at 0');
  assert.equal(await pageB.title(), 'Parley');
  await h.until(async () => (await h.tid(pageB, 'connection-status').textContent()) === 'online', 10000, 'B online');

  // A signs in through the form and writes from the page.
  pageA = await h.openPage(ctxA, stack, '/', 'A');
  await h.tid(pageA, 'login-username').fill(A.username);
  await h.tid(pageA, 'login-password').fill(A.password);
  await h.tid(pageA, 'login-submit').click();
  await pageA.waitForURL('**/chats');
  assert.equal(await pageA.evaluate(() => localStorage.getItem('access_token')) !== null, true, 'token kept in localStorage');
  await h.chatItem(pageA, chatAB).click();
  await pageA.waitForURL(`**/chats/${chatAB}`);
  await h.until(async () => (await h.tid(pageA, 'connection-status').textContent()) === 'online', 10000, 'A online');

  sent.push('Hi B, first message from A');
  await h.tid(pageA, 'message-input').fill(sent[0]);
  await h.tid(pageA, 'message-input').press('Enter');
  // Enter sent it: the box is empty, the message shows (own, confirmed) once.
  assert.equal(await h.tid(pageA, 'message-input').inputValue(), '');
  const mine = pageA.locator('[data-testid="message"].mine[data-message-id]');
  await mine.first().waitFor();
  assert.equal(await mine.first().locator('[data-testid="message-text"]').textContent(), sent[0]);
  await pageA.waitForTimeout(300);   // the POST answer and the new_message event have both arrived
  assert.equal(await h.tid(pageA, 'message').count(), 1, 'the optimistic entry became the server message: shown once');
  assert.equal(await mine.count(), 1);

  const itemB = h.chatItem(pageB, chatAB);
  await h.until(async () => (await h.chatOrder(pageB))[0] === chatAB, 10000, 'AB chat at the top of B\'s list');
  await h.until(async () => (await itemB.locator('[data-testid="chat-preview"]').textContent()) === sent[0], 5000, 'preview');
  assert.equal(await itemB.locator('[data-testid="unread-badge"]').textContent(), '1');
  assert.equal(await itemB.locator('[data-testid="chat-title"]').textContent(), A.username);
  assert.equal(await pageB.title(), '(1) Parley');

  // Shift+Enter is a newline, the Send button sends.
  sent.push('second line one');
  await h.tid(pageA, 'message-input').fill('second');
  await h.tid(pageA, 'message-input').press('Shift+Enter');
  await h.tid(pageA, 'message-input').type('line two');
  assert.equal(await h.tid(pageA, 'message-input').inputValue(), 'second\nline two');
  sent[1] = 'second\nline two';
  await h.tid(pageA, 'message-send').click();
  await h.until(async () => (await itemB.locator('[data-testid="unread-badge"]').textContent().catch(() => '')) === '2', 10000, 'badge 2');
  await h.until(async () => (await pageB.title()) === '(2) Parley', 5000, 'title (2) Parley');
  assert.equal(await itemB.locator('[data-testid="chat-preview"]').textContent(), 'second line two');
  assert.equal(await h.chatItem(pageB, chatCB).locator('[data-testid="unread-badge"]').count(), 0);
  // A's own list shows "You: ..." and no badge.
  await h.until(async () => (await h.chatItem(pageA, chatAB).locator('[data-testid="chat-preview"]').textContent()) === 'You: second line two', 5000, 'A preview');
  assert.equal(await h.chatItem(pageA, chatAB).locator('[data-testid="unread-badge"]').count(), 0);
  await h.shot(pageB, 'chat-list-with-badge');
  await h.shot(pageA, 'open-chat-sender');
});

test('opening the chat in a second tab clears the badge in the first tab', async () => {
  pageB2 = await h.openPage(ctxB, stack, `/chats/${chatAB}`, 'B2');
  const list = h.tid(pageB2, 'message-list');
  await list.locator('[data-testid="message"]').nth(1).waitFor();
  const texts = await list.locator('[data-testid="message-text"]').allTextContents();
  assert.deepEqual(texts, sent, 'history in order, newest at the bottom');
  assert.equal(await list.locator('[data-testid="message"].mine').count(), 0, 'A\'s messages are not B\'s own');
  // The first tab hears unread_update and clears the badge and the title.
  const itemB = h.chatItem(pageB, chatAB);
  await h.until(async () => (await itemB.locator('[data-testid="unread-badge"]').count()) === 0, 10000, 'badge cleared in tab 1');
  await h.until(async () => (await pageB.title()) === 'Parley', 5000, 'title back to Parley');
  assert.equal(await pageB2.title(), 'Parley');
});

test('edit and delete by A show live for B', async () => {
  const msgA = pageA.locator('[data-testid="message"].mine[data-message-id]');
  const firstId = await msgA.nth(0).getAttribute('data-message-id');
  const secondId = await msgA.nth(1).getAttribute('data-message-id');

  // Edit through the keyboard-reachable Edit button.
  await msgA.nth(0).hover();
  await msgA.nth(0).locator('[data-testid="message-edit"]').click();
  const edit = msgA.nth(0).locator('[data-testid="message-edit-input"]');
  await edit.fill('Hi B, first message from A (fixed)');
  await edit.press('Enter');
  const b1 = pageB2.locator(`[data-testid="message"][data-message-id="${firstId}"]`);
  await h.until(async () => (await b1.locator('[data-testid="message-text"]').textContent()) === 'Hi B, first message from A (fixed)', 10000, 'edit shown to B');
  assert.equal(await b1.locator('.edited').isVisible(), true, 'edited mark');

  // Delete the second one (with its inline confirmation).
  await msgA.nth(1).hover();
  await msgA.nth(1).locator('[data-testid="message-delete"]').click();
  await msgA.nth(1).locator('[data-testid="message-delete-confirm"]').click();
  const b2 = pageB2.locator(`[data-testid="message"][data-message-id="${secondId}"]`);
  await h.until(async () => (await b2.locator('[data-testid="message-text"]').textContent()) === 'Message deleted', 10000, 'tombstone for B');
  assert.equal(await b2.evaluate((e) => e.classList.contains('deleted')), true);
  assert.equal(await b2.locator('[data-testid="message-text"]').evaluate((e) => e.textContent.includes('second')), false);
  // A sees the tombstone too, and the list preview says so in B's first tab.
  await h.until(async () => (await pageA.locator(`[data-message-id="${secondId}"] [data-testid="message-text"]`).textContent()) === 'Message deleted', 5000, 'tombstone for A');
  await h.until(async () => (await h.chatItem(pageB, chatAB).locator('[data-testid="chat-preview"]').textContent()) === 'Message deleted', 5000, 'preview Message deleted');
  await h.shot(pageB2, 'open-chat-edited-deleted');
});

test('markup in a message is shown as text and never runs', async () => {
  const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
  await h.tid(pageA, 'message-input').fill(evil);
  // Typing shows for B while the chat is open, and goes when the message comes.
  const typing = h.tid(pageB2, 'typing-indicator');
  await h.until(async () => (await typing.textContent()) === `${A.username} is typing…`, 10000, 'typing indicator');
  await h.tid(pageA, 'message-send').click();
  const last = pageB2.locator('[data-testid="message"]').last().locator('[data-testid="message-text"]');
  await h.until(async () => (await last.textContent()) === evil, 10000, 'markup shown literally to B');
  await h.until(async () => (await h.chatItem(pageB, chatAB).locator('[data-testid="chat-preview"]').textContent()) === evil, 5000, 'preview literal');
  await h.until(async () => (await typing.textContent()) === '', 5000, 'typing cleared by the message');
  await pageB2.waitForTimeout(300);
  for (const p of [pageA, pageB, pageB2]) {
    assert.equal(await p.evaluate(() => window.__xss), undefined);
    assert.equal(await p.locator('[data-testid="message-list"] img, [data-testid="chat-list"] img, [data-testid="message-list"] script').count(), 0);
  }
});

test('after a ws-daemon restart B catches up: each missed message exactly once', async () => {
  const status = h.tid(pageB2, 'connection-status');
  assert.equal(await status.textContent(), 'online');
  const before = await h.messageCounts(pageB2);
  stack.sh('wsd-stop');
  try {
    await h.until(async () => ['connecting', 'offline'].includes(await status.textContent()), 10000, 'B sees the drop');
    const posted = [];
    for (let i = 1; i <= 3; i++) posted.push(await h.postMessage(stack, A, chatAB, `while away ${i}`, `away-${i}-${Date.now()}`));
    await pageB2.waitForTimeout(300);
    assert.equal(await pageB2.locator('[data-testid="message-text"]', { hasText: 'while away' }).count(), 0, 'nothing can arrive while the daemon is down');
    stack.sh('wsd-start');
    await h.until(async () => (await status.textContent()) === 'online', 20000, 'B back online');
    for (const m of posted) {
      await pageB2.locator(`[data-testid="message"][data-message-id="${m.id}"]`).waitFor({ timeout: 10000 });
    }
    await pageB2.waitForTimeout(500);   // give a duplicate the chance to show up
    const counts = await h.messageCounts(pageB2);
    for (const [k, n] of Object.entries(counts)) assert.equal(n, 1, `message ${k} shown ${n} times`);
    assert.deepEqual(Object.keys(counts).sort(), [...Object.keys(before), ...posted.map((m) => String(m.id))].sort());
    const texts = await pageB2.locator('[data-testid="message-text"]', { hasText: 'while away' }).allTextContents();
    assert.deepEqual(texts, ['while away 1', 'while away 2', 'while away 3']);
    // A's page (same restart) catches up its own messages from "another device".
    await h.until(async () => (await pageA.locator('[data-testid="message-text"]', { hasText: 'while away' }).count()) === 3, 15000, 'A caught up');
    const countsA = await h.messageCounts(pageA);
    for (const [k, n] of Object.entries(countsA)) assert.equal(n, 1, `A: message ${k} shown ${n} times`);
  } finally {
    stack.sh('wsd-start');
  }
});

test('unread counts are the server\'s: deleting an unread message lowers the badge', async () => {
  const c1 = await h.postMessage(stack, C, chatCB, 'C again 1');
  await h.postMessage(stack, C, chatCB, 'C again 2');
  for (const p of [pageB, pageB2]) {
    const badge = h.chatItem(p, chatCB).locator('[data-testid="unread-badge"]');
    await h.until(async () => (await badge.textContent().catch(() => '')) === '2', 10000, 'CB badge 2');
    await h.until(async () => (await h.chatOrder(p))[0] === chatCB, 5000, 'CB on top');
    await h.until(async () => (await p.title()) === '(2) Parley', 5000, 'title (2)');
  }
  const r = await api(stack, 'DELETE', `/api/messages/${c1.id}`, { token: C.token });
  assert.equal(r.status, 204, r.text);
  for (const p of [pageB, pageB2]) {
    const badge = h.chatItem(p, chatCB).locator('[data-testid="unread-badge"]');
    await h.until(async () => (await badge.textContent().catch(() => '')) === '1', 10000, 'CB badge 1 after delete');
    await h.until(async () => (await p.title()) === '(1) Parley', 5000, 'title (1)');
  }
  // Reading it in tab 2 clears both tabs.
  await h.chatItem(pageB2, chatCB).click();
  await pageB2.waitForURL(`**/chats/${chatCB}`);
  for (const p of [pageB, pageB2]) {
    await h.until(async () => (await h.chatItem(p, chatCB).locator('[data-testid="unread-badge"]').count()) === 0, 10000, 'CB read');
    await h.until(async () => (await p.title()) === 'Parley', 5000, 'title Parley');
  }
  await h.chatItem(pageB2, chatAB).click();
  await pageB2.waitForURL(`**/chats/${chatAB}`);
});

test('a failed send is kept with Retry (same client_id); a lost answer never shows twice', async () => {
  const bodies = [];
  pageA.on('request', (req) => {
    if (req.method() === 'POST' && /\/api\/chats\/\d+\/messages$/.test(req.url())) bodies.push(JSON.parse(req.postData()));
  });
  // 1. Offline: the message stays, marked failed, with Retry.
  await ctxA.setOffline(true);
  await h.tid(pageA, 'message-input').fill('sent while offline');
  await h.tid(pageA, 'message-input').press('Enter');
  const entry = pageA.locator('[data-testid="message"]', { hasText: 'sent while offline' });
  await h.until(async () => (await entry.getAttribute('data-status')) === 'failed', 10000, 'failed state');
  assert.equal(await entry.getAttribute('data-message-id'), null);
  const retry = entry.getByRole('button', { name: 'Retry' });
  assert.equal(await retry.isVisible(), true);
  await ctxA.setOffline(false);
  // A reconnect may resend it first, and the button goes away between
  // count() and click(): a short timeout, not Playwright's 30 s wait for a
  // button that will not come back (that wait alone outlasted the until()
  // below under ASan in .ci/run).
  if (await retry.count()) await retry.click({ timeout: 500 }).catch(() => {});
  await h.until(async () => (await entry.getAttribute('data-message-id')), 15000, 'confirmed after retry');
  const offline = bodies.filter((b) => b.content === 'sent while offline');
  assert.ok(offline.length >= 2, 'sent, then retried');
  assert.equal(new Set(offline.map((b) => b.client_id)).size, 1, 'the retry reuses the client_id');

  // 2. The server stores it but the answer is lost: still shown once.
  let dropped = false;
  await pageA.route('**/api/chats/*/messages', async (route) => {
    if (!dropped && route.request().method() === 'POST') {
      dropped = true;
      await route.fetch();
      await route.abort('failed');
      return;
    }
    await route.continue();
  });
  await h.tid(pageA, 'message-input').fill('answer lost');
  await h.tid(pageA, 'message-send').click();
  const lost = pageA.locator('[data-testid="message"]', { hasText: 'answer lost' });
  await h.until(async () => {
    if ((await lost.count()) !== 1) return false;
    if (await lost.getAttribute('data-message-id')) return true;
    const r = lost.getByRole('button', { name: 'Retry' });
    if (await r.count()) await r.click({ timeout: 500 }).catch(() => {});
    return false;
  }, 15000, 'lost answer settled');
  await pageA.unroute('**/api/chats/*/messages');
  await pageA.waitForTimeout(300);
  for (const p of [pageA, pageB2]) {
    for (const text of ['sent while offline', 'answer lost']) {
      await h.until(async () => (await p.locator('[data-testid="message-text"]', { hasText: text }).count()) >= 1, 10000, text);
      assert.equal(await p.locator('[data-testid="message-text"]', { hasText: text }).count(), 1, `"${text}" shown once`);
    }
  }
  const res = await api(stack, 'GET', `/api/chats/${chatAB}/messages?limit=200`, { token: A.token });
  for (const text of ['sent while offline', 'answer lost']) {
    assert.equal(res.json.messages.filter((m) => m.content === text).length, 1, `"${text}" stored once`);
  }
});

test('a chat opens at the first unread; older history loads scrolling up, newer scrolling down', async () => {
  // C starts a chat with A: it appears in A's list live (chat_created).
  // A has read up to m60 of 120 (through the API, as another device would).
  const chat = await h.createDirect(stack, C, A);
  const ids = [];
  for (let i = 1; i <= 120; i++) ids.push((await h.postMessage(stack, C, chat.id, `m${i}`)).id);
  const r = await api(stack, 'POST', `/api/chats/${chat.id}/read`, { token: A.token, body: { message_id: ids[59] } });
  assert.equal(r.status, 200, r.text);
  await h.chatItem(pageA, chat.id).waitFor({ timeout: 10000 });
  await h.until(async () => (await h.chatItem(pageA, chat.id).locator('[data-testid="unread-badge"]').textContent().catch(() => '')) === '60', 10000, 'badge 60');
  await h.chatItem(pageA, chat.id).click();
  const texts = () => pageA.locator('[data-testid="message-list"] [data-testid="message-text"]').allTextContents();
  await h.until(async () => (await texts()).includes('m61'), 10000, 'first unread loaded');
  // The divider sits right above m61, which is on screen; m120 is not loaded.
  const before = await h.tid(pageA, 'new-messages-divider').evaluate((d) => {
    const next = d.nextElementSibling;
    const list = d.parentElement.getBoundingClientRect();
    const box = next.getBoundingClientRect();
    return { text: next.querySelector('[data-testid="message-text"]').textContent, visible: box.top >= list.top && box.top < list.bottom };
  });
  assert.deepEqual(before, { text: 'm61', visible: true });
  assert.equal((await texts()).includes('m120'), false, 'the newest page is not loaded yet');
  assert.equal(await h.tid(pageA, 'jump-latest').isVisible(), true, 'jump-to-latest shown');
  // Scrolling down pages in newer messages, up to the newest.
  for (let k = 0; k < 10 && !(await texts()).includes('m120'); k++) {
    await h.tid(pageA, 'message-list').evaluate((e) => { e.scrollTop = e.scrollHeight; });
    await pageA.waitForTimeout(300);
  }
  await h.until(async () => (await texts()).includes('m120'), 10000, 'newest page');
  // Scrolling up pages in older ones.
  for (let k = 0; k < 10 && (await texts()).length < 120; k++) {
    await h.tid(pageA, 'message-list').evaluate((e) => { e.scrollTop = 0; });
    await pageA.waitForTimeout(300);
  }
  await h.until(async () => (await texts()).length === 120, 10000, 'older page loaded');
  assert.deepEqual(await texts(), Array.from({ length: 120 }, (_, i) => `m${i + 1}`));
  await h.shot(pageA, 'open-chat-history');
});

test('new chat dialog: direct chat by username, and a group that appears live for its members', async () => {
  await h.chatItem(pageA, chatAB).click();
  await pageA.getByRole('button', { name: 'New chat' }).click();
  await h.tid(pageA, 'user-search').fill(B.username.slice(0, 6));
  const result = pageA.locator(`[data-testid="user-result"][data-user-id="${B.id}"]`);
  await result.waitFor();
  await result.click();
  await pageA.waitForURL(`**/chats/${chatAB}`);   // the existing direct chat
  assert.equal(await pageA.locator('#chat-head-title').textContent(), B.username);

  await pageA.getByRole('button', { name: 'New chat' }).click();
  await pageA.getByLabel('Group', { exact: true }).check();
  await pageA.getByLabel('Group name').fill('Team <b>e2e</b>');
  for (const u of [B, C]) {
    await h.tid(pageA, 'user-search').fill(u.username);
    await pageA.locator(`[data-testid="user-result"][data-user-id="${u.id}"]`).click();
  }
  await h.shot(pageA, 'new-group-dialog');
  await pageA.getByRole('button', { name: 'Create group' }).click();
  await pageA.waitForURL((u) => /^\/chats\/\d+$/.test(u.pathname) && u.pathname !== `/chats/${chatAB}`);
  const gid = Number(pageA.url().split('/').pop());
  assert.notEqual(gid, chatAB);
  const itemB = h.chatItem(pageB, gid);
  await itemB.waitFor({ timeout: 10000 });
  assert.equal(await itemB.locator('[data-testid="chat-title"]').textContent(), 'Team <b>e2e</b>');
  assert.equal((await h.chatOrder(pageB))[0], gid, 'the new group is the most recent');
  await h.tid(pageA, 'message-input').fill('hello group');
  await h.tid(pageA, 'message-input').press('Enter');
  await h.until(async () => (await itemB.locator('[data-testid="chat-preview"]').textContent()) === `${A.username}: hello group`, 10000, 'group preview with sender');
  assert.equal(await itemB.locator('[data-testid="unread-badge"]').textContent(), '1');

  // A chat you are not in (or that does not exist) is refused, not shown.
  await pageA.goto(`${stack.url}/chats/${chatCB}`);
  await pageA.waitForURL('**/chats');
  assert.match(await pageA.locator('#chat-placeholder').textContent(), /does not exist, or you are not a member/);
  assert.equal(await h.tid(pageA, 'message').count(), 0);
});

test('phone width: one pane at a time with a back button', async () => {
  const ctx = await h.newContext(browser, stack, B, { viewport: { width: 375, height: 740 } });
  try {
    const page = h.watch(await ctx.newPage(), 'phone');
    await page.goto(`${stack.url}/chats`);
    await h.chatItem(page, chatAB).waitFor();
    assert.equal(await h.tid(page, 'message-list').isVisible(), false);
    const box = await h.tid(page, 'chat-list').boundingBox();
    assert.ok(box.width <= 375, 'the list fits the phone width');
    await h.shot(page, 'phone-chat-list');
    await h.chatItem(page, chatAB).click();
    await h.tid(page, 'message-list').locator('[data-testid="message"]').first().waitFor();
    assert.equal(await h.tid(page, 'chat-list').isVisible(), false, 'list hidden while a chat is open');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no horizontal scrolling');
    await h.shot(page, 'phone-open-chat');
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await page.waitForURL('**/chats');
    assert.equal(await h.tid(page, 'chat-list').isVisible(), true);
    assert.deepEqual(page.problems, []);
  } finally {
    await ctx.close();
  }
});
