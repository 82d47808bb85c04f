'use strict';
// login.test.js -- sign in, wrong password, sign up, log out, and what
// happens with an expired or garbage token in localStorage.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { newUser, randomName } = require('../lib/client');
const h = require('./helpers');

let stack;
let browser;
let U; let V; let W;
let chatVW;
const pages = [];

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [U, V, W] = await Promise.all([newUser(stack, 'el'), newUser(stack, 'ev'), newUser(stack, 'ew')]);
  chatVW = (await h.createDirect(stack, W, V)).id;
  await h.postMessage(stack, W, chatVW, 'hi V');
});

after(async () => {
  const problems = pages.flatMap((p) => p.problems);
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

async function freshPage(user, route) {
  const ctx = await h.newContext(browser, stack, user);
  const page = await h.openPage(ctx, stack, route, 'login');
  pages.push(page);
  return page;
}

test('the page is served with its CSP, a favicon, and /chats/<id> routes to it', async () => {
  const res = await fetch(`${stack.url}/chats/12345`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') || '', /script-src 'self'/);
  assert.match(await res.text(), /data-testid="login-username"/);
  const fav = await fetch(`${stack.url}/favicon.svg`);
  assert.equal(fav.status, 200);
});

test('wrong password shows login-error; sign in, log out, sign in as someone else', async () => {
  const page = await freshPage(null, '/chats');
  await page.waitForURL('**/login');
  await h.tid(page, 'login-username').waitFor();
  assert.equal(await h.tid(page, 'login-error').isVisible(), false, 'no error before trying');
  await h.shot(page, 'login');
  await h.tid(page, 'login-username').fill(U.username);
  await h.tid(page, 'login-password').fill('not-the-password');
  await h.tid(page, 'login-submit').click();
  await h.tid(page, 'login-error').waitFor({ state: 'visible' });
  assert.match(await h.tid(page, 'login-error').textContent(), /wrong username or password/i);
  assert.equal(await page.evaluate(() => localStorage.getItem('access_token')), null);
  await h.shot(page, 'login-error');

  await h.tid(page, 'login-password').fill(U.password);
  await h.tid(page, 'login-password').press('Enter');
  await page.waitForURL('**/chats');
  await h.tid(page, 'chat-list').waitFor();
  await h.until(async () => (await h.tid(page, 'connection-status').textContent()) === 'online', 10000, 'online');
  const token = await page.evaluate(() => localStorage.getItem('access_token'));
  assert.match(token || '', /^[\w-]+\.[\w-]+\.[\w-]+$/, 'JWT kept under access_token');
  assert.equal(JSON.parse(await page.evaluate(() => localStorage.getItem('user'))).username, U.username);

  // Log out: back to the form, token gone, /chats needs signing in again.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL('**/login');
  assert.equal(await page.evaluate(() => localStorage.getItem('access_token')), null);
  await page.goto(`${stack.url}/chats`);
  await page.waitForURL('**/login');

  // Someone else signs in on the same page: only their chats show.
  await h.tid(page, 'login-username').fill(V.username);
  await h.tid(page, 'login-password').fill(V.password);
  await h.tid(page, 'login-submit').click();
  await page.waitForURL('**/chats');
  await h.chatItem(page, chatVW).waitFor();
  await page.waitForTimeout(300);
  assert.deepEqual(await h.chatOrder(page), [chatVW]);
  assert.equal(await h.chatItem(page, chatVW).locator('[data-testid="chat-title"]').textContent(), W.username);
  assert.equal(await h.chatItem(page, chatVW).locator('[data-testid="unread-badge"]').textContent(), '1');
  assert.equal(await page.title(), '(1) Parley');
  // ...and the session ends with a logout in one tab for its other tabs too.
  const other = await page.context().newPage();
  await other.goto(`${stack.url}/chats`);
  await h.chatItem(other, chatVW).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await other.waitForURL('**/login');
  assert.equal(await other.title(), 'Parley');
  await other.close();
});

test('sign up from the login form', async () => {
  const page = await freshPage(null, '/login');
  await page.getByRole('button', { name: 'Create one' }).click();
  const name = randomName('es');
  await h.tid(page, 'login-username').fill(name);
  await h.tid(page, 'login-password').fill('a-good-password');
  await h.tid(page, 'login-submit').click();
  await page.waitForURL('**/chats');
  await h.until(async () => (await page.locator('#me-name').textContent()) === name, 5000, 'signed in as the new user');
  await h.until(() => page.locator('#chat-list-empty').isVisible(), 5000, 'an empty list says so');
  assert.equal(await h.tid(page, 'chat-item').count(), 0);
});

for (const [label, makeToken] of [
  ['an expired', () => h.expiredToken(stack.jwtSecret, U.id, U.username)],
  ['a garbage', () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.bm90LWEtc2lnbmF0dXJl'],
]) {
  test(`${label} token in localStorage sends you to the login form with a message`, async () => {
    const user = { ...U, token: makeToken() };
    const page = await freshPage(user, `/chats`);
    await page.waitForURL('**/login', { timeout: 10000 });
    await h.tid(page, 'login-username').waitFor({ state: 'visible' });
    assert.equal(await h.tid(page, 'chat-list').isVisible(), false);
    // The API's 401 and the socket's 4001 race; whichever ends the session,
    // the message says it expired.
    await h.until(async () => /session has expired/i.test(await page.locator('#login-notice').textContent()), 5000, 'the expired-session message');
    assert.equal(await page.evaluate(() => localStorage.getItem('access_token')), null, 'the bad token is dropped');
    if (label === 'an expired') await h.shot(page, 'login-expired');
  });
}

test('the WebSocket\'s close code 4001 alone (API unreachable) also ends the session', async () => {
  const ctx = await h.newContext(browser, stack, { ...U, token: h.expiredToken(stack.jwtSecret, U.id, U.username) });
  await ctx.route('**/api/**', (route) => route.abort('connectionrefused'));
  const page = h.watch(await ctx.newPage(), 'ws4001');
  await page.goto(`${stack.url}/chats`);
  await page.waitForURL('**/login', { timeout: 10000 });
  assert.match(await page.locator('#login-notice').textContent(), /session has expired/i);
  assert.equal(await h.tid(page, 'connection-status').textContent(), 'offline', 'no reconnect loop after 4001');
  pages.push(page);
});
