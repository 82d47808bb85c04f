'use strict';
// mentions.test.js -- the chat list's "@" marker after the page was offline.
// user2's browser goes offline; user1 names user2 in one new message and
// edits an older one (already delivered live, without a mention) to name
// user2 too.  When user2's page reconnects, its sync answer's
// chats[].mention_count (2) is what the marker shows: the page's own tally
// from new_message events would say 1, since an edit sends no new_message.
// A reload shows the same from GET /api/chats; opening the chat reads it
// and the marker goes.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let ctx; let page;
let U1; let U2; let chat;

const marker = () => h.chatItem(page, chat).locator('[data-testid="mention-marker"]');
const badge = () => h.chatItem(page, chat).locator('[data-testid="unread-badge"]');
const status = () => h.tid(page, 'connection-status').textContent();

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [U1, U2] = await Promise.all([newUser(stack, 'mu1'), newUser(stack, 'mu2')]);
  const r = await api(stack, 'POST', '/api/chats', { token: U1.token, body: { title: 'Mentions room', member_ids: [U2.id] } });
  assert.equal(r.status, 201, r.text);
  chat = r.json.id;
  ctx = await h.newContext(browser, stack, U2);
  page = h.watch(await ctx.newPage(), 'U2');
  await page.goto(`${stack.url}/chats`);
  await h.until(async () => (await status()) === 'online', 15000, 'U2 online');
});

after(async () => {
  const problems = page ? page.problems : [];
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

test('the @ marker comes from the sync answer after an offline spell, and reading clears it', async () => {
  // Live: a plain message, a badge and no marker.
  const plain = await h.postMessage(stack, U1, chat, 'plain hello');
  await h.until(async () => (await badge().textContent().catch(() => '')) === '1', 10000, 'badge 1 live');
  assert.equal(await marker().count(), 0, 'no marker for a message that names nobody');

  await ctx.setOffline(true);
  await h.until(async () => (await status()) !== 'online', 5000, 'U2 offline');
  const edit = await api(stack, 'PATCH', `/api/messages/${plain.id}`, { token: U1.token, body: { content: `plain hello @${U2.username}` } });
  assert.equal(edit.status, 200, edit.text);
  await h.postMessage(stack, U1, chat, `@${U2.username} are you there?`);
  const row = (await api(stack, 'GET', `/api/chats/${chat}`, { token: U2.token })).json;
  assert.deepEqual({ unread: row.unread_count, mentions: row.mention_count }, { unread: 2, mentions: 2 },
    'the server counts both mentions');

  const syncs = [];
  page.on('response', (res) => { if (/\/api\/sync\?since=\d+/.test(res.url())) syncs.push(res.status()); });
  await ctx.setOffline(false);
  await h.until(async () => (await status()) === 'online', 15000, 'U2 back online');
  await h.until(async () => (await badge().textContent().catch(() => '')) === '2', 10000, 'badge 2 after the sync');
  await h.until(async () => (await marker().count()) === 1, 5000, 'marker shown after the sync');
  await h.until(async () => (await marker().getAttribute('aria-label')) === 'you were mentioned 2 times', 5000,
    'the marker counts 2 mentions (the sync row), not the 1 new_message that named U2');
  assert.ok(syncs.includes(200), `the page caught up with /api/sync?since= (saw ${JSON.stringify(syncs)})`);
  assert.equal(await marker().textContent(), '@');

  // A reload: the chat rows of GET /api/chats say the same.
  await page.reload();
  await h.until(async () => (await status()) === 'online', 15000, 'U2 online after reload');
  await h.until(async () => (await marker().count()) === 1, 10000, 'marker after reload');
  assert.equal(await marker().getAttribute('aria-label'), 'you were mentioned 2 times');
  await h.shot(page, 'mention-marker-after-sync');

  // Reading the chat clears the marker, in the page and on the server.
  await h.chatItem(page, chat).click();
  await page.locator('[data-testid="message-text"]', { hasText: 'are you there?' }).waitFor({ timeout: 10000 });
  await h.until(async () => (await marker().count()) === 0, 10000, 'marker gone once read');
  await h.until(async () => {
    const r = await api(stack, 'GET', `/api/chats/${chat}`, { token: U2.token });
    return r.json.mention_count === 0 && r.json.unread_count === 0;
  }, 8000, 'the server cleared the mention count');
});
