'use strict';
// groups.test.js -- reactions, reply quotes, mentions and group membership
// in two (three) browser windows: user1 reacts and user2 sees it live;
// user1 removes user3 from the members panel and user3's page drops the
// chat live.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack;
let browser;
let U1; let U2; let U3;
let p1; let p2; let p3;
let chat;
let msg;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [U1, U2, U3] = await Promise.all([newUser(stack, 'g1'), newUser(stack, 'g2'), newUser(stack, 'g3')]);
  const r = await api(stack, 'POST', '/api/chats', { token: U1.token, body: { title: 'Team room', member_ids: [U2.id, U3.id] } });
  assert.equal(r.status, 201, r.text);
  chat = r.json.id;
  msg = await h.postMessage(stack, U2, chat, `hello @${U1.username}, react to this`);
  p1 = await h.openPage(await h.newContext(browser, stack, U1), stack, `/chats/${chat}`, 'U1');
  p2 = await h.openPage(await h.newContext(browser, stack, U2), stack, `/chats/${chat}`, 'U2');
  p3 = await h.openPage(await h.newContext(browser, stack, U3), stack, '/chats', 'U3');
  for (const p of [p1, p2, p3]) {
    await h.until(async () => (await h.tid(p, 'connection-status').textContent()) === 'online', 15000, 'online');
  }
});

after(async () => {
  const problems = [p1, p2, p3].flatMap((p) => (p ? p.problems : []));
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

const msgEl = (p, id) => p.locator(`[data-testid="message"][data-message-id="${id}"]`);

test('user1 reacts from the page; user2 sees the reaction live', async () => {
  const m1 = msgEl(p1, msg.id);
  await m1.waitFor();
  assert.ok(await m1.evaluate((el) => el.classList.contains('mentions-me')), 'the mention is highlighted for user1');
  await m1.locator('[data-testid="reaction-add"]').click();
  await m1.locator('[data-testid="reaction-pick"][data-emoji="🎉"]').click();
  const r2 = msgEl(p2, msg.id).locator('[data-testid="reaction"][data-emoji="🎉"]');
  await r2.waitFor({ timeout: 10000 });
  assert.equal(await r2.locator('[data-testid="reaction-count"]').textContent(), '1');
  assert.equal(await r2.getAttribute('aria-pressed'), 'false', 'not user2\'s own reaction');
  // A screen reader reaches it by arrow keys, out of the bubble: its name
  // says the emoji, the count and which message it is on.
  const name = await r2.getAttribute('aria-label');
  assert.ok(name.startsWith('🎉, 1 person reacted, on “') && name.includes(msg.content.slice(0, 20)), name);
  // user2 joins in by pressing it; user1 sees the count go to 2.
  await r2.click();
  const r1 = msgEl(p1, msg.id).locator('[data-testid="reaction"][data-emoji="🎉"] [data-testid="reaction-count"]');
  await h.until(async () => (await r1.textContent()) === '2', 10000, 'count 2 for user1');
  // user1 takes theirs back.
  await msgEl(p1, msg.id).locator('[data-testid="reaction"][data-emoji="🎉"]').click();
  await h.until(async () => (await msgEl(p2, msg.id).locator('[data-testid="reaction"][data-emoji="🎉"] [data-testid="reaction-count"]').textContent()) === '1', 10000, 'count 1 for user2');
});

test('a reply shows its quote; clicking it scrolls to the original', async () => {
  const rep = await api(stack, 'POST', `/api/chats/${chat}/messages`, { token: U1.token, body: { content: 'answering that', reply_to_id: msg.id } });
  assert.equal(rep.status, 201, rep.text);
  const quote = msgEl(p2, rep.json.id).locator('[data-testid="reply-quote"]');
  await quote.waitFor({ timeout: 10000 });
  assert.ok((await quote.textContent()).includes(U2.username));
  assert.ok((await quote.textContent()).includes('react to this'));
  await quote.click();
  await h.until(async () => msgEl(p2, msg.id).evaluate((el) => el.classList.contains('flash')), 5000, 'original flashed');
});

test('replying from the page: the reply carries the quote to the other window', async () => {
  await msgEl(p1, msg.id).locator('[data-testid="message-reply"]').click();
  await h.tid(p1, 'reply-target').waitFor();
  await h.tid(p1, 'message-input').fill('answered from the page');
  await h.tid(p1, 'message-input').press('Enter');
  const row = p2.locator('[data-testid="message"]', { hasText: 'answered from the page' });
  await row.waitFor({ timeout: 10000 });
  assert.ok((await row.locator('[data-testid="reply-quote"]').textContent()).includes(U2.username));
  assert.ok(await h.tid(p1, 'reply-target').isHidden(), 'the reply target is cleared after sending');
});

test('search from the page: results with the match marked; opening one shows the message', async () => {
  await h.tid(p2, 'search-input').fill('reacting');       // stem of "react"
  await h.tid(p2, 'search-input').press('Enter');
  const res = p2.locator(`[data-testid="search-result"][data-message-id="${msg.id}"]`);
  await res.waitFor({ timeout: 10000 });
  assert.equal(await res.locator('mark').first().textContent(), 'react');
  await res.click();
  await p2.waitForURL(`**/chats/${chat}`);
  await h.until(async () => msgEl(p2, msg.id).evaluate((el) => el.classList.contains('flash')), 5000, 'message flashed');
  await h.tid(p2, 'search-input').fill('');
});

test('user1 removes user3 from the members panel; user3\'s page drops the chat live', async () => {
  await h.chatItem(p3, chat).waitFor({ timeout: 10000 });
  await h.chatItem(p3, chat).click();
  await p3.waitForURL(`**/chats/${chat}`);
  await h.tid(p1, 'members-open').click();
  const row = p1.locator(`[data-testid="member-item"][data-user-id="${U3.id}"]`);
  await row.waitFor();
  await row.locator('[data-testid="member-remove"]').click();
  await h.until(async () => (await h.chatItem(p3, chat).count()) === 0, 10000, 'the chat left user3\'s list');
  await p3.waitForURL('**/chats', { timeout: 10000 });
  // user2 sees the member list shrink and the system line.
  await h.until(async () => (await p2.locator('#chat-head-sub').textContent()).startsWith('2 members'), 10000, '2 members for user2');
  const last = p2.locator('[data-testid="message"]').last();
  await h.until(async () => (await last.textContent()).includes(`removed ${U3.username}`), 10000, 'system line');
  // Nothing more of the chat reaches user3.
  await api(stack, 'POST', `/api/chats/${chat}/messages`, { token: U1.token, body: { content: 'after user3 left' } });
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(await h.chatItem(p3, chat).count(), 0);
  assert.equal(await p3.locator('text=after user3 left').count(), 0);
});
