'use strict';
// open-chat.test.js -- opening a chat with unread messages makes no
// GET /api/chats/{id} when the page's read marker is current (it came with
// the chat list), and makes exactly one when another device read the chat
// meanwhile (its unread_update does not say where the marker went); either
// way the "New messages" divider sits above the first unread message.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let A; let B; let page;
const chatGets = [];

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B] = await Promise.all([newUser(stack, 'oca'), newUser(stack, 'ocb')]);
});

after(async () => {
  const problems = page ? page.problems : [];
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

const badgeNum = async (chatId) => Number(await h.chatItem(page, chatId)
  .locator('[data-testid="unread-badge"]').textContent({ timeout: 500 }).catch(() => '0'));
const firstUnread = () => h.tid(page, 'new-messages-divider')
  .evaluate((d) => d.nextElementSibling.querySelector('[data-testid="message-text"]').textContent);

test('opening a chat asks for it only when another device moved the read marker', async () => {
  const c1 = await h.createDirect(stack, B, A);
  const c2 = await h.createDirect(stack, A, (await newUser(stack, 'occ')));
  await h.postMessage(stack, B, c1.id, 'read before');
  assert.equal((await api(stack, 'POST', `/api/chats/${c1.id}/read`, { token: A.token, body: {} })).status, 200);
  page = await h.openPage(await h.newContext(browser, stack, A), stack, '/chats', 'A');
  page.on('request', (req) => {
    if (req.method() === 'GET' && new RegExp(`/api/chats/${c1.id}$`).test(new URL(req.url()).pathname)) chatGets.push(req.url());
  });
  await h.until(async () => (await h.tid(page, 'connection-status').textContent()) === 'online', 15000, 'online');
  // "online" comes with the socket's first frame, maybe before the chat
  // list: a message for a chat not listed yet makes the page fetch it.
  await h.chatItem(page, c1.id).waitFor({ timeout: 10000 });

  // 1. New messages arrive live; the marker from the chat list is current.
  for (let i = 1; i <= 3; i++) await h.postMessage(stack, B, c1.id, `live ${i}`);
  await h.until(async () => (await badgeNum(c1.id)) === 3, 10000, 'badge 3');
  await h.chatItem(page, c1.id).click();
  await h.tid(page, 'new-messages-divider').waitFor({ timeout: 10000 });
  assert.equal(await firstUnread(), 'live 1');
  await h.until(async () => (await badgeNum(c1.id)) === 0, 10000, 'read on screen');
  assert.deepEqual(chatGets, [], 'no GET /api/chats/{id}: the marker was in hand');

  // 2. Away from the chat, B writes 2 more; A's phone reads the first of
  //    them.  The page learns only the new count, so opening asks once.
  await h.chatItem(page, c2.id).click();
  await h.chatItem(page, c2.id).locator('a[aria-current="page"]').waitFor({ timeout: 5000 });
  const m4 = await h.postMessage(stack, B, c1.id, 'live 4');
  await h.postMessage(stack, B, c1.id, 'live 5');
  await h.until(async () => (await badgeNum(c1.id)) === 2, 10000, 'badge 2');
  const rd = await api(stack, 'POST', `/api/chats/${c1.id}/read`, { token: A.token, body: { message_id: m4.id } });
  assert.equal(rd.status, 200, rd.text);
  await h.until(async () => (await badgeNum(c1.id)) === 1, 10000, 'badge 1 after the read elsewhere');
  await h.chatItem(page, c1.id).click();
  await h.tid(page, 'new-messages-divider').waitFor({ timeout: 10000 });
  assert.equal(await firstUnread(), 'live 5', 'the divider follows the marker the other device set');
  assert.equal(chatGets.length, 1, `one GET /api/chats/{id} (saw ${chatGets.length})`);
});
