'use strict';
// sessions.test.js -- the page's side of sessions and administration: the
// Sessions dialog lists this device and others and ends one (that browser
// is signed out at once); a session ended elsewhere shows "signed out" and
// the login form; a password change keeps this page signed in and online;
// the Admin dialog is there for admins only, and deactivating a user signs
// their open page out.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, randomLoopback } = require('../lib/client');
const h = require('./helpers');

let stack;
let browser;
const pages = [];

before(async () => {
  stack = await getStack();
  browser = await h.launch();
});

after(async () => {
  const problems = pages.flatMap((p) => p.problems);
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

async function loginAs(username, password) {
  const r = await api(stack, 'POST', '/api/auth/login', { body: { username, password }, from: randomLoopback() });
  assert.equal(r.status, 200, r.text);
  return { id: r.json.user.id, username, password, token: r.json.access_token };
}

async function signedIn(user) {
  const ctx = await h.newContext(browser, stack, user);
  const page = await h.openPage(ctx, stack, '/chats', user.username);
  pages.push(page);
  await h.tid(page, 'chat-list').waitFor();
  await h.until(async () => (await h.tid(page, 'connection-status').textContent()) === 'online', 10000, 'online');
  return page;
}

async function expectSignedOut(page) {
  await page.waitForURL('**/login', { timeout: 5000 });
  await h.tid(page, 'login-username').waitFor({ state: 'visible' });
  assert.match(await page.locator('#login-notice').textContent(), /signed out/i);
  assert.equal(await page.evaluate(() => localStorage.getItem('access_token')), null);
}

test('Sessions dialog: lists this device and another; ending the other signs that browser out', async () => {
  const u = await newUser(stack, 'ps');
  const second = await loginAs(u.username, u.password);
  const pageA = await signedIn(u);
  const pageB = await signedIn(second);
  await h.tid(pageA, 'sessions-open').click();
  await h.tid(pageA, 'sessions-dialog').waitFor();
  await h.until(async () => (await h.tid(pageA, 'session-row').count()) === 2, 5000, 'two sessions listed');
  assert.equal(await h.tid(pageA, 'session-current').count(), 1);
  await h.shot(pageA, 'sessions-dialog');
  await h.tid(pageA, 'session-end').click();
  await expectSignedOut(pageB);
  await h.until(async () => (await h.tid(pageA, 'session-row').count()) === 1, 5000, 'one session left');
  assert.equal(await h.tid(pageA, 'connection-status').textContent(), 'online', 'this device stays signed in');
  await h.shot(pageB, 'signed-out');
});

test('"Sign out everywhere else" and a password change: this page stays online, the others are signed out', async () => {
  const u = await newUser(stack, 'pw');
  const other = await signedIn(await loginAs(u.username, u.password));
  const page = await signedIn(u);
  await h.tid(page, 'sessions-open').click();
  await h.tid(page, 'sessions-end-others').click();
  await expectSignedOut(other);

  const third = await signedIn(await loginAs(u.username, u.password));
  await h.tid(page, 'password-current').fill('wrong-password-here');
  await h.tid(page, 'password-new').fill('a-new-password-1');
  await h.tid(page, 'password-submit').click();
  await h.until(async () => /wrong/i.test(await h.tid(page, 'sessions-message').textContent()), 5000, 'wrong password shown');
  await h.tid(page, 'password-current').fill(u.password);
  await h.tid(page, 'password-submit').click();
  await h.until(async () => /Password changed/.test(await h.tid(page, 'sessions-message').textContent()), 5000, 'change confirmed');
  await expectSignedOut(third);
  await h.tid(page, 'sessions-close').click();
  await h.until(async () => (await h.tid(page, 'connection-status').textContent()) === 'online', 10000, 'back online with the new token');
  assert.equal((await api(stack, 'GET', '/api/me', { token: await page.evaluate(() => localStorage.getItem('access_token')) })).status, 200);
  await page.reload();
  await h.tid(page, 'chat-list').waitFor();
  assert.ok(page.url().endsWith('/chats'), 'still signed in after a reload');
});

test('Admin dialog: shown to admins only; deactivating a user signs their page out; reactivate', async () => {
  const plain = await newUser(stack, 'pa');
  const plainPage = await signedIn(plain);
  await plainPage.waitForTimeout(500);
  assert.equal(await h.tid(plainPage, 'admin-open').isVisible(), false, 'no Admin entry for a non-admin');

  const admin = await loginAs('admin', 'admin123');
  const adminPage = await signedIn(admin);
  await h.tid(adminPage, 'admin-open').waitFor({ state: 'visible' });
  await h.tid(adminPage, 'admin-open').click();
  await h.tid(adminPage, 'admin-dialog').waitFor();
  const row = adminPage.locator(`[data-testid="admin-user-row"][data-username="${plain.username}"]`);
  // Page through until the user shows up ("More" hides when the last page
  // is in, so a click may find it gone).
  await h.until(async () => {
    if (await row.count()) return true;
    const more = h.tid(adminPage, 'admin-more');
    if (await more.isVisible()) await more.click({ timeout: 1000 }).catch(() => {});
    return false;
  }, 20000, 'the user is listed');
  await row.locator('[data-testid="admin-deactivate"]').click();
  await expectSignedOut(plainPage);
  await h.until(async () => (await row.getAttribute('data-deactivated')) === 'true', 5000, 'row shows deactivated');
  await h.shot(adminPage, 'admin-dialog');
  // The deactivated user cannot sign in from the form.
  await h.tid(plainPage, 'login-username').fill(plain.username);
  await h.tid(plainPage, 'login-password').fill(plain.password);
  await h.tid(plainPage, 'login-submit').click();
  await h.tid(plainPage, 'login-error').waitFor({ state: 'visible' });
  assert.match(await h.tid(plainPage, 'login-error').textContent(), /deactivated/i);
  await row.locator('[data-testid="admin-reactivate"]').click();
  await h.until(async () => (await row.getAttribute('data-deactivated')) === 'false', 5000, 'row shows active');
  await h.tid(plainPage, 'login-submit').click();
  await plainPage.waitForURL('**/chats');
});
