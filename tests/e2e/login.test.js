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
let U;
const pages = [];

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  U = await newUser(stack, 'el');
});

after(async () => {
  for (const p of pages) assert.deepEqual(p.problems, [], 'no page errors or CSP refusals');
  if (browser) await browser.close();
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

test('wrong password shows login-error; the right one signs in', async () => {
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
    assert.match(await page.locator('#login-notice').textContent(), /session has expired/i);
    assert.equal(await page.evaluate(() => localStorage.getItem('access_token')), null, 'the bad token is dropped');
    if (label === 'an expired') await h.shot(page, 'login-expired');
  });
}
