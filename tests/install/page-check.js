'use strict';
// page-check.js -- the installed page, mounted under a prefix, in headless
// Chromium: sign up, reach the chat list under the prefix, open a chat and
// send a message.  Prints "ok ..." / "FAIL ..." lines for run.sh.
//   node tests/install/page-check.js http://127.0.0.1:PORT /chat
const path = require('node:path');
const { chromium } = require(path.join(__dirname, '..', 'node_modules', 'playwright-core'));

async function main() {
  const [base, prefix] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const report = (ok, what) => console.log(`${ok ? 'ok' : 'FAIL'} ${what}`);
  const errors = [];
  try {
    // Two users made over the API, with a direct chat.
    const mk = async (name) => {
      const r = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, password: 'page-check-pw' }) });
      return r.json();
    };
    const tag = Math.random().toString(36).slice(2, 8);
    const a = await mk(`pa_${tag}`);
    const b = await mk(`pb_${tag}`);
    await fetch(`${base}/api/chats`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${a.access_token}` }, body: JSON.stringify({ user_id: b.user.id }) });
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${base}${prefix}/`);
    await page.fill('[data-testid=login-username]', a.user.username);
    await page.fill('[data-testid=login-password]', 'page-check-pw');
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=chat-item]', { timeout: 10000 });
    report(new URL(page.url()).pathname === `${prefix}/chats`, `page under ${prefix}: signed in, list at ${new URL(page.url()).pathname}`);
    const href = await page.getAttribute('[data-testid=chat-item] a', 'href').catch(() => null);
    await page.click('[data-testid=chat-item]');
    await page.waitForSelector('[data-testid=message-input]', { timeout: 10000 });
    report(new URL(page.url()).pathname.startsWith(`${prefix}/chats/`), `chat opens under the prefix (${new URL(page.url()).pathname}, link ${href})`);
    await page.waitForFunction(() => document.querySelector('[data-testid=connection-status]')?.textContent.includes('online'), null, { timeout: 10000 });
    report(true, 'WebSocket online through /ws');
    await page.fill('[data-testid=message-input]', 'hello from under a prefix');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=message]:has-text("hello from under a prefix")', { timeout: 10000 });
    report(true, 'message sent from the page');
    await page.reload();
    await page.waitForSelector('[data-testid=message-input]', { timeout: 10000 });
    report(true, 'reload of a chat URL under the prefix shows the chat');
    report(errors.length === 0, `no page errors (${errors.slice(0, 3).join(' | ')})`);
  } catch (e) {
    report(false, `page check: ${e.message.split('\n')[0]}`);
  } finally {
    await browser.close();
  }
}

main();
