'use strict';
// list-race.test.js -- a message that arrives live while the page's catch-up
// is on its way.  When its WebSocket says "connected" the page asks
// GET /api/sync?since=<cursor> and sets every badge from the answer's
// chats[].  Here that answer is held back (page.route) until a new message,
// posted after the server wrote the answer, has reached the page as a live
// new_message.  The answer predates the message: taking its counts as they
// are would put the badge back to nothing until some later event.  What the
// user must see: the badge 1 and the new text in the list, without a reload.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let ctx; let page;
let U1; let U2; let chat;
let heldLists = 0;
let liveBeforeList = false;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [U1, U2] = await Promise.all([newUser(stack, 'lr1'), newUser(stack, 'lr2')]);
  const r = await api(stack, 'POST', '/api/chats', { token: U1.token, body: { title: 'Race room', member_ids: [U2.id] } });
  assert.equal(r.status, 201, r.text);
  chat = r.json.id;
  ctx = await h.newContext(browser, stack, U2);
  page = h.watch(await ctx.newPage(), 'U2');
});

after(async () => {
  const problems = page ? page.problems : [];
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

test('a live message that lands while the catch-up is on its way keeps its badge and preview', async () => {
  const text = 'sent while the list was loading';
  let sawFrame = null;
  const frameSeen = new Promise((resolve) => { sawFrame = resolve; });
  page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    const s = String(f.payload);
    if (s.includes('"new_message"') && s.includes(text)) sawFrame();
  }));
  await page.route((url) => url.pathname === '/api/sync' && url.searchParams.has('since'), async (route) => {
    if (heldLists > 0) return route.continue();
    heldLists += 1;
    const res = await route.fetch();          // the counts as the server has them now
    await h.postMessage(stack, U1, chat, text);
    await Promise.race([frameSeen, new Promise((r) => setTimeout(r, 10000))]);
    await new Promise((r) => setTimeout(r, 200)); // let the page apply the frame
    await route.fulfill({ response: res });
    liveBeforeList = true;
  });
  await page.goto(`${stack.url}/chats`);
  await h.until(async () => heldLists === 1 && liveBeforeList, 20000, 'catch-up held until the live frame came');
  // The page has the old answer now; give it a moment to act on it.
  await new Promise((r) => setTimeout(r, 500));
  const item = h.chatItem(page, chat);
  const badge = item.locator('[data-testid="unread-badge"]');
  await h.until(async () => (await badge.textContent().catch(() => '')) === '1', 10000, 'badge 1 after the catch-up answer');
  await h.until(async () => (await item.textContent()).includes(text), 5000, 'the new text as the preview');
  // The count is the server's: reading the chat clears it.
  const row = (await api(stack, 'GET', `/api/chats/${chat}`, { token: U2.token })).json;
  assert.equal(row.unread_count, 1, 'the server counts the one unread message');
});
