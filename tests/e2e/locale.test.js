'use strict';
// locale.test.js -- a Russian browser gets the Russian page (with Intl
// dates), the switch changes the language and is remembered; a dark system
// theme gets the dark page; axe-core over every screen in both themes.
// Also writes the screenshots docs/page.md shows (tests/artifacts/docs-*).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack; let browser; let A; let B; let C; let chat; let group;
const pages = [];

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B, C] = await Promise.all([newUser(stack, 'lca'), newUser(stack, 'lcb'), newUser(stack, 'lcc')]);
  chat = await h.createDirect(stack, A, B);
  const r = await api(stack, 'POST', '/api/chats', { token: B.token, body: { title: 'Weekend trip', member_ids: [A.id, C.id] } });
  group = r.json;
  const q = await h.postMessage(stack, B, group.id, 'Who is coming on Saturday?');
  for (const u of [A, C])
    await api(stack, 'PUT', `/api/messages/${q.id}/reactions/${encodeURIComponent('👍')}`, { token: u.token });
  await h.postMessage(stack, C, group.id, 'Me! Route: https://example.com/route');
  await h.postMessage(stack, B, chat.id, 'Hi! Did you see the plan?');
  await h.postMessage(stack, A, chat.id, 'Yes, looks good');
  await h.postMessage(stack, B, chat.id, 'Great, see you there');
});

after(async () => {
  const problems = pages.flatMap((p) => p.problems);
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

async function open(user, route, opts, label) {
  const ctx = await h.newContext(browser, stack, user, opts);
  const p = await h.openPage(ctx, stack, route, label);
  pages.push(p);
  return p;
}

test('a Russian browser gets the Russian page; the switch goes to English and is remembered', async () => {
  const p = await open(null, '/', { locale: 'ru-RU' }, 'ru-login');
  await h.tid(p, 'login-submit').waitFor();
  assert.equal(await h.tid(p, 'login-submit').textContent(), 'Войти');
  assert.equal(await p.evaluate(() => document.documentElement.lang), 'ru');
  await h.axe(p, 'login (Russian)');
  await h.tid(p, 'login-submit').click();
  assert.equal(await h.tid(p, 'login-error').textContent(), 'Введите имя пользователя и пароль.');
  await h.tid(p, 'lang-switch').first().selectOption('en');
  assert.equal(await h.tid(p, 'login-submit').textContent(), 'Sign in');
  assert.equal(await h.tid(p, 'login-error').textContent(), 'Enter your username and password.', 'the shown error is translated too');
  await p.reload();
  await h.tid(p, 'login-submit').waitFor();
  assert.equal(await h.tid(p, 'login-submit').textContent(), 'Sign in', 'the choice is remembered');

  const q = await open(A, `/chats/${chat.id}`, { locale: 'ru-RU' }, 'ru-chat');
  await h.tid(q, 'message').first().waitFor();
  assert.equal(await h.tid(q, 'day-separator').first().textContent(), 'Сегодня');
  assert.equal(await h.tid(q, 'message-send').textContent(), 'Отправить');
  await h.until(async () => (await h.tid(q, 'connection-status').textContent()) === 'в сети', 10000, 'в сети');
  // Times come from Intl for the language.
  const time = await q.locator('.msg-time').first().textContent();
  const want = await q.evaluate((iso) => new Intl.DateTimeFormat('ru', { hour: '2-digit', minute: '2-digit' }).format(new Date(iso)),
    await q.locator('.msg-time').first().getAttribute('datetime'));
  assert.equal(time, want);
  await h.chatItem(q, group.id).click();
  await q.locator('#chat-head-sub').filter({ hasText: 'участника' }).waitFor();
  assert.match(await q.locator('#chat-head-sub').textContent(), /^3 участника: /);
  await h.axe(q, 'group chat (Russian)');
});

for (const scheme of ['light', 'dark']) {
  test(`${scheme} theme: every screen passes axe-core; screenshots for docs/page.md`, async () => {
    const opts = { viewport: { width: 1000, height: 640 }, contextOptions: { colorScheme: scheme } };
    const login = await open(null, '/', opts, `${scheme}-login`);
    await h.tid(login, 'login-username').waitFor();
    const bg = await login.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    if (scheme === 'dark') assert.equal(bg, 'rgb(14, 19, 26)'); else assert.equal(bg, 'rgb(238, 241, 245)');
    await h.axe(login, `login (${scheme})`);
    await h.shot(login, `docs-login-${scheme}`);

    const p = await open(A, '/chats', opts, `${scheme}-app`);
    await h.chatItem(p, group.id).waitFor();
    await h.axe(p, `chat list (${scheme})`);
    await h.chatItem(p, group.id).click();
    await p.locator('[data-testid="message-text"]', { hasText: 'Route' }).waitFor();
    await h.until(async () => (await h.tid(p, 'connection-status').getAttribute('data-state')) === 'online', 10000, 'online');
    await h.axe(p, `group chat (${scheme})`);
    await h.shot(p, `docs-group-${scheme}`);
    await h.chatItem(p, chat.id).click();
    await p.locator('[data-testid="message-text"]', { hasText: 'see you there' }).waitFor();
    await h.axe(p, `direct chat (${scheme})`);
    await p.getByRole('button', { name: 'New chat' }).click();
    await h.tid(p, 'user-search').fill('lc');
    await h.tid(p, 'user-result').first().waitFor();
    await h.axe(p, `new chat dialog (${scheme})`);
    await p.keyboard.press('Escape');

    const ph = await open(A, `/chats/${chat.id}`, { viewport: { width: 390, height: 844 },
      contextOptions: { colorScheme: scheme, isMobile: true, hasTouch: true } }, `${scheme}-phone`);
    await ph.locator('[data-testid="message-text"]', { hasText: 'see you there' }).waitFor();
    await h.axe(ph, `open chat (phone, ${scheme})`);
    await h.shot(ph, `docs-phone-${scheme}`);
    await ph.context().setOffline(true);
    await h.tid(ph, 'connection-banner').waitFor();
    await h.axe(ph, `offline banner (phone, ${scheme})`);
    await ph.context().setOffline(false);
  });
}
