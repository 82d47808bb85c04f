'use strict';
// messages.test.js -- how messages look and are handled, by mouse and by
// keyboard only: grouping by sender, date separators, clickable links,
// a colour per user, edit in place (Save/Cancel, Enter/Esc, Up-arrow),
// "Seen" / "Seen by N" never on a deleted message, the message list as one
// Tab stop with arrow keys, actions naming their message, the New chat
// dialog (direct mode each time, errors cleared by typing, arrow keys),
// and the login form focusing the username.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let A; let B; let C; let chat; let group;
let ctxA; let ctxB; let pageA; let pageB;

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B, C] = await Promise.all([newUser(stack, 'msa'), newUser(stack, 'msb'), newUser(stack, 'msc')]);
  chat = await h.createDirect(stack, A, B);
  const r = await api(stack, 'POST', '/api/chats', { token: A.token, body: { title: 'Trio', member_ids: [B.id, C.id] } });
  assert.equal(r.status, 201, r.text);
  group = r.json;
  ctxA = await h.newContext(browser, stack, A, { viewport: { width: 1280, height: 800 } });
  ctxB = await h.newContext(browser, stack, B, { viewport: { width: 1280, height: 800 } });
});

after(async () => {
  const problems = [pageA, pageB].flatMap((p) => (p ? p.problems : []));
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

const msgByText = (p, text) => p.locator('[data-testid="message"]', { has: p.locator('[data-testid="message-text"]', { hasText: text }) });

test('grouping, a date separator, clickable links built as DOM, a colour per user', async () => {
  await h.postMessage(stack, B, chat.id, 'first of a run');
  await h.postMessage(stack, B, chat.id, 'second of a run');
  await h.postMessage(stack, B, chat.id, 'see https://example.com/a?b=1&c=2. and http://x.test/y');
  await h.postMessage(stack, B, chat.id, 'javascript:alert(1) and <a href="http://evil">x</a>');
  pageA = await h.openPage(ctxA, stack, `/chats/${chat.id}`, 'A');
  await msgByText(pageA, 'javascript:').waitFor();
  // One sender, minutes apart at most: one group (the first starts it).
  const classes = await pageA.locator('[data-testid="message"]').evaluateAll((els) => els.map((e) => e.classList.contains('first')));
  assert.deepEqual(classes, [true, false, false, false]);
  // A date separator "Today" above the first message.
  assert.equal(await h.tid(pageA, 'day-separator').count(), 1);
  assert.equal(await h.tid(pageA, 'day-separator').textContent(), 'Today');
  // Links: real <a> elements, safe attributes, trailing period left out.
  const links = await msgByText(pageA, 'see https').locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent, a.rel, a.target]));
  assert.deepEqual(links, [
    ['https://example.com/a?b=1&c=2', 'https://example.com/a?b=1&c=2', 'noopener noreferrer', '_blank'],
    ['http://x.test/y', 'http://x.test/y', 'noopener noreferrer', '_blank'],
  ]);
  const evil = msgByText(pageA, 'javascript:');
  assert.equal(await evil.locator('a').count(), 1, 'only the http link inside the markup is a link');
  assert.equal(await evil.locator('a').getAttribute('href'), 'http://evil/');
  assert.equal(await evil.locator('[data-testid="message-text"]').textContent(), 'javascript:alert(1) and <a href="http://evil">x</a>');

  // In the group, B and C get different avatar colours and names.
  await h.postMessage(stack, B, group.id, 'B in the group');
  await h.postMessage(stack, C, group.id, 'C in the group');
  await h.chatItem(pageA, group.id).click();
  await msgByText(pageA, 'C in the group').waitFor();
  const colours = await pageA.locator('[data-testid="message"].theirs .avatar').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
  assert.equal(colours.length, 2);
  assert.notEqual(colours[0], colours[1], 'one colour per user');
  assert.equal(await msgByText(pageA, 'C in the group').locator('.sender').textContent(), C.username);
  await h.axe(pageA, 'group chat (desktop, light)');
});

test('edit in place: Up-arrow edits your last message, Esc cancels, Enter saves; the Save button is on screen', async () => {
  await h.chatItem(pageA, chat.id).click();
  const input = h.tid(pageA, 'message-input');
  await input.fill('my words');
  await input.press('Enter');
  const mine = msgByText(pageA, 'my words');
  await h.until(async () => (await mine.getAttribute('data-status')) === 'sent' && (await mine.getAttribute('data-message-id')), 5000, 'sent');
  await input.focus();
  await input.press('ArrowUp');
  const edit = h.tid(pageA, 'message-edit-input');
  await edit.waitFor();
  assert.equal(await edit.evaluate((e) => e === document.activeElement), true, 'focus in the edit box');
  assert.equal(await edit.inputValue(), 'my words');
  const saveOnScreen = await h.tid(pageA, 'message-edit-save').evaluate((b) => {
    const r = b.getBoundingClientRect();
    const l = document.querySelector('[data-testid="message-list"]').getBoundingClientRect();
    return r.top >= l.top && r.bottom <= l.bottom;
  });
  assert.equal(saveOnScreen, true, 'Save is visible');
  await edit.fill('changed then cancelled');
  await edit.press('Escape');
  assert.equal(await h.tid(pageA, 'message-edit-input').count(), 0);
  assert.equal(await mine.locator('[data-testid="message-text"]').textContent(), 'my words');
  await input.press('ArrowUp');
  await edit.fill('my better words');
  await h.axe(pageA, 'editing a message');
  await edit.press('Enter');
  await h.until(async () => (await pageA.locator('[data-testid="message-text"]', { hasText: 'my better words' }).count()) === 1, 5000, 'edited');
  assert.equal(await input.evaluate((e) => e === document.activeElement), true, 'focus back in the message box');
  const r = await api(stack, 'GET', `/api/chats/${chat.id}/messages?limit=1`, { token: B.token });
  assert.equal(r.json.messages[0].content, 'my better words');
});

test('"Seen" when B reads; "Seen by N" in a group; never on a deleted message', async () => {
  pageB = await h.openPage(ctxB, stack, `/chats/${chat.id}`, 'B');
  const mine = msgByText(pageA, 'my better words');
  await h.until(async () => (await mine.locator('[data-testid="message-status"]').textContent()) === 'Seen', 10000, 'Seen');
  await h.shot(pageA, 'seen');
  // From the stored read markers: still there after a reload.
  await pageA.reload();
  await h.until(async () => (await msgByText(pageA, 'my better words').locator('[data-testid="message-status"]').textContent()) === 'Seen', 10000, 'Seen after a reload');
  // Deleting it: the mark does not stay on the tombstone.
  await mine.locator('[data-testid="message-edit"]').waitFor({ state: 'attached' });
  await mine.hover();
  await mine.locator('[data-testid="message-delete"]').click();
  await mine.locator('[data-testid="message-delete-confirm"]').click();
  const gone = pageA.locator('[data-testid="message"].deleted');
  await gone.waitFor();
  assert.equal(await gone.locator('[data-testid="message-status"]').textContent(), '');
  // Group: two readers.
  await h.chatItem(pageA, group.id).click();
  await h.tid(pageA, 'message-input').fill('to the group');
  await h.tid(pageA, 'message-input').press('Enter');
  const gm = msgByText(pageA, 'to the group');
  await h.until(async () => gm.getAttribute('data-message-id'), 5000, 'sent');
  const id = Number(await gm.getAttribute('data-message-id'));
  for (const u of [B, C]) {
    const rr = await api(stack, 'POST', `/api/chats/${group.id}/read`, { token: u.token, body: { message_id: id } });
    assert.equal(rr.status, 200);
  }
  await h.until(async () => (await gm.locator('[data-testid="message-status"]').textContent()) === 'Seen by 2', 10000, 'Seen by 2');
});

test('keyboard: the message list is one Tab stop, arrows move between messages and into their actions', async () => {
  await h.chatItem(pageA, chat.id).click();
  await h.tid(pageA, 'message-input').fill('one');
  await h.tid(pageA, 'message-input').press('Enter');
  await h.tid(pageA, 'message-input').fill('two');
  await h.tid(pageA, 'message-input').press('Enter');
  await h.until(async () => (await msgByText(pageA, 'two').getAttribute('data-status')) === 'sent', 5000, 'sent');
  // From the chat's link in the list to the message box: a few Tabs only.
  await h.chatItem(pageA, chat.id).locator('a').focus();
  let tabs = 0;
  const path = [];
  while (tabs < 30 && !(await h.tid(pageA, 'message-input').evaluate((e) => e === document.activeElement))) {
    await pageA.keyboard.press('Tab');
    tabs += 1;
    path.push(await pageA.evaluate(() => document.activeElement.dataset.testid || document.activeElement.id || document.activeElement.tagName));
  }
  // The other chat's link, the header's mute switch, the message list, the
  // message box.
  assert.ok(tabs <= 4, `${tabs} Tab presses from the chat list to the message box: ${path.join(' > ')}`);
  // Shift+Tab from the box lands on a message, not on a button.
  await pageA.keyboard.press('Shift+Tab');
  const focused = () => pageA.evaluate(() => {
    const e = document.activeElement;
    return { testid: e.dataset.testid, text: (e.closest('[data-testid="message"]') || e).querySelector('[data-testid="message-text"]')?.textContent, label: e.getAttribute('aria-label') };
  });
  let f = await focused();
  assert.equal(f.testid, 'message');
  assert.equal(f.text, 'two');
  await pageA.keyboard.press('ArrowUp');
  f = await focused();
  assert.equal(f.text, 'one');
  await pageA.keyboard.press('ArrowDown');
  await pageA.keyboard.press('ArrowRight');
  f = await focused();
  assert.equal(f.testid, 'message-edit');
  assert.equal(f.label, 'Edit message “two”', 'the action names its message');
  await pageA.keyboard.press('ArrowRight');
  f = await focused();
  assert.equal(f.testid, 'message-delete');
  assert.equal(f.label, 'Delete message “two”');
  await pageA.keyboard.press('Escape');
  f = await focused();
  assert.equal(f.testid, 'message');
  await pageA.keyboard.press('Enter');
  await pageA.keyboard.press('Enter');   // Edit
  await h.tid(pageA, 'message-edit-input').waitFor();
  await pageA.keyboard.press('Escape');
  // The list as a whole is not announced; only others' new messages are.
  assert.equal(await h.tid(pageA, 'message-list').getAttribute('role'), 'log');
  assert.equal(await h.tid(pageA, 'message-list').getAttribute('aria-live'), 'off');
  await h.postMessage(stack, B, chat.id, 'news from B');
  await h.until(async () => (await h.tid(pageA, 'announcer').textContent()) === `${B.username}: news from B`, 5000, 'announced');
  await h.tid(pageA, 'message-input').fill('my own news');
  await h.tid(pageA, 'message-input').press('Enter');
  await pageA.waitForTimeout(500);
  assert.equal(await h.tid(pageA, 'announcer').textContent(), `${B.username}: news from B`, 'own messages are not announced');
});

test('New chat dialog: direct mode every time, errors clear as you type, arrow keys through results', async () => {
  const other = await newUser(stack, 'msdd');
  const other2 = await newUser(stack, 'msdd');
  const open = async () => {
    await h.tid(pageA, 'message-input').focus();
    await pageA.getByRole('button', { name: 'New chat' }).click();
    await h.tid(pageA, 'user-search').waitFor();
  };
  await open();
  await h.axe(pageA, 'new chat dialog');
  await h.tid(pageA, 'kind-group').check();
  await pageA.getByRole('button', { name: 'Create group' }).click();
  const err = h.tid(pageA, 'new-chat-error');
  assert.equal(await err.textContent(), 'Give the group a name.');
  await h.tid(pageA, 'group-title').pressSequentially('x');
  assert.equal(await err.isVisible(), false, 'the error went away on typing');
  await pageA.keyboard.press('Escape');
  await open();
  assert.equal(await h.tid(pageA, 'kind-direct').isChecked(), true, 'direct mode again');
  assert.equal(await h.tid(pageA, 'group-title').isVisible(), false);
  assert.equal(await h.tid(pageA, 'user-search').evaluate((e) => e === document.activeElement), true);
  await pageA.keyboard.type('msdd');
  await h.until(async () => (await h.tid(pageA, 'user-result').count()) >= 2, 5000, 'two results');
  const ids = await h.tid(pageA, 'user-result').evaluateAll((els) => els.map((e) => Number(e.dataset.userId)));
  const act = () => h.tid(pageA, 'user-search').getAttribute('aria-activedescendant');
  assert.equal(await act(), `user-opt-${ids[0]}`, 'the first result is highlighted');
  await pageA.keyboard.press('ArrowDown');
  assert.equal(await act(), `user-opt-${ids[1]}`);
  await pageA.keyboard.press('ArrowUp');
  assert.equal(await act(), `user-opt-${ids[0]}`);
  await pageA.keyboard.press('ArrowDown');
  assert.equal(await act(), `user-opt-${ids[1]}`);
  assert.equal(await h.tid(pageA, 'user-result').nth(1).getAttribute('aria-selected'), 'true');
  await pageA.keyboard.press('Enter');
  await h.until(async () => (await pageA.locator('#chat-head-title').textContent()) === [other, other2].find((u) => u.id === ids[1]).username, 5000, 'direct chat with the second result');
});

test('the login form focuses the username', async () => {
  const ctx = await h.newContext(browser, stack, null);
  const p = await h.openPage(ctx, stack, '/', 'login');
  await h.tid(p, 'login-username').waitFor();
  await h.until(() => p.evaluate(() => document.activeElement && document.activeElement.dataset.testid === 'login-username'), 3000, 'username focused');
  await h.axe(p, 'login (light)');
  assert.deepEqual(p.problems, []);
});
