'use strict';
// files.test.js -- in headless Chromium: an image uploaded in one window
// appears, loaded, in the other; a too-big file gets a clear message; a
// hidden page shows a notification (permission granted through CDP, asked
// only from the button) whose click opens the chat; mute stops it, greys
// the badge and keeps the chat out of the title, in every tab.
//
// Headless Chromium reports every page as visible, so the test flips the
// page's document.visibilityState/hidden (an init script, driven by the
// test) and fires visibilitychange, as a browser does when the tab is
// hidden.  Notifications are the browser's real ones: the init script only
// records each one the page creates (and its "show" event), so the test can
// read it and click it.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');
const h = require('./helpers');

let stack;
let browser;
let A; let B;
let ctxA; let ctxB;
let pageA; let pageB; let pageB2;
let chat;

const INIT = () => {
  window.__hidden = false;
  for (const [k, get] of [['visibilityState', () => (window.__hidden ? 'hidden' : 'visible')], ['hidden', () => window.__hidden]]) {
    Object.defineProperty(Document.prototype, k, { configurable: true, get });
  }
  window.__setHidden = (v) => { window.__hidden = v; document.dispatchEvent(new Event('visibilitychange')); };
  window.__notes = [];
  window.__permissionRequests = 0;
  const Real = window.Notification;
  if (Real) {
    const Rec = function (title, opts) {
      const n = new Real(title, opts);
      const rec = { title, body: opts && opts.body, tag: opts && opts.tag, shown: false };
      n.addEventListener('show', () => { rec.shown = true; });
      window.__notes.push(rec);
      rec.click = () => n.dispatchEvent(new Event('click'));
      return n;
    };
    Object.defineProperty(Rec, 'permission', { get: () => Real.permission });
    Rec.requestPermission = (...a) => { window.__permissionRequests++; return Real.requestPermission(...a); };
    window.Notification = Rec;
  }
};

function png(w, h2) {
  const crc = (b) => { let c = ~0; for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xEDB88320 & -(c & 1)); } return (~c) >>> 0; };
  const chunk = (t, d) => { const td = Buffer.concat([Buffer.from(t), d]); const len = Buffer.alloc(4); len.writeUInt32BE(d.length); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h2, 4); ihdr[8] = 8; ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x40)]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(Array.from({ length: h2 }, () => row)))), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  stack = await getStack();
  browser = await h.launch();
  [A, B] = await Promise.all([newUser(stack, 'fa'), newUser(stack, 'fb')]);
  chat = (await h.createDirect(stack, A, B)).id;
  ctxA = await h.newContext(browser, stack, A);
  ctxB = await h.newContext(browser, stack, B);
  await ctxB.addInitScript(INIT);
  pageA = await h.openPage(ctxA, stack, `/chats/${chat}`, 'A');
  pageB = await h.openPage(ctxB, stack, `/chats/${chat}`, 'B');
  await h.until(async () => (await h.tid(pageA, 'connection-status').textContent()) === 'online', 10000, 'A online');
  await h.until(async () => (await h.tid(pageB, 'connection-status').textContent()) === 'online', 10000, 'B online');
});

after(async () => {
  const problems = [pageA, pageB, pageB2].flatMap((p) => (p ? p.problems : []));
  if (browser) await browser.close();
  assert.deepEqual(problems, [], 'no page errors or CSP refusals');
});

test('an image uploaded in A\'s window shows in B\'s, loaded, with its size known up front', async () => {
  const bytes = png(120, 80);
  await h.tid(pageA, 'upload-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: bytes });
  const img = pageB.locator('[data-testid="message"] [data-testid="attachment-image"]').last();
  await img.waitFor({ timeout: 10000 });
  assert.equal(await img.getAttribute('width'), '120');
  assert.equal(await img.getAttribute('height'), '80');
  assert.equal(await img.getAttribute('alt'), 'sunset.png');
  await h.until(() => img.evaluate((el) => el.complete && el.naturalWidth === 120), 10000, 'image loaded in B');
  // It opens full size (a link to the file itself).
  const href = await pageB.locator('[data-testid="attachment"]').last().getAttribute('href');
  assert.match(href, /^\/api\/uploads\/\d+\/sunset\.png$/);
  const mine = pageA.locator('[data-testid="attachment-image"]').last();
  await h.until(() => mine.evaluate((el) => el.complete && el.naturalWidth === 120), 10000, 'image loaded in A');
  assert.equal(await h.tid(pageA, 'upload-progress').isHidden(), true);
  await h.shot(pageB, 'files-image');
});

test('a file over the limit gets a clear message and is not sent', async () => {
  const before = await pageB.locator('[data-testid="message"]').count();
  // A file on disk (sparse): the browser reads it from there, nothing is
  // copied through the automation channel.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-')), 'huge.bin');
  fs.closeSync(fs.openSync(file, 'w'));
  fs.truncateSync(file, 26 * 1024 * 1024);
  await h.tid(pageA, 'upload-input').setInputFiles(file);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const err = h.tid(pageA, 'upload-error');
  await err.waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await err.textContent(), /huge\.bin is too big/);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await pageB.locator('[data-testid="message"]').count(), before);
});

test('a hidden page notifies; permission is asked only from the button; a click opens the chat', async () => {
  // B looks at the chat list, not the chat.
  await pageB.goto(`${stack.url}/chats`);
  await h.until(async () => (await h.tid(pageB, 'connection-status').textContent()) === 'online', 10000, 'B online');
  assert.equal(await pageB.evaluate(() => window.__permissionRequests), 0, 'nothing asked on load');
  assert.equal(await pageB.evaluate(() => Notification.permission), 'default');
  await ctxB.grantPermissions(['notifications'], { origin: stack.url });   // CDP Browser.grantPermissions
  await h.tid(pageB, 'notify-enable').click();
  assert.equal(await pageB.evaluate(() => window.__permissionRequests), 1);
  await h.until(() => h.tid(pageB, 'notify-enable').isHidden(), 5000, 'button gone once granted');
  // Visible: no notification.
  await h.postMessage(stack, A, chat, 'while you look');
  await h.chatItem(pageB, chat).locator('[data-testid="chat-preview"]').filter({ hasText: 'while you look' }).waitFor();
  assert.equal(await pageB.evaluate(() => window.__notes.length), 0);
  await pageB.evaluate(() => window.__setHidden(true));
  await h.postMessage(stack, A, chat, 'are you there?');
  const note = await h.until(() => pageB.evaluate(() => window.__notes.map(({ title, body, tag, shown }) => ({ title, body, tag, shown }))[0]), 10000, 'a notification');
  assert.equal(note.title, A.username);
  assert.equal(note.body, 'are you there?');
  assert.equal(note.tag, `chat-${chat}`);
  await h.until(() => pageB.evaluate(() => window.__notes[0].shown), 5000, 'the browser showed it');
  await pageB.evaluate(() => { window.__setHidden(false); window.__notes[0].click(); });
  await h.until(() => pageB.url().endsWith(`/chats/${chat}`), 5000, 'the chat opened');
  await h.tid(pageB, 'message-list').locator('[data-testid="message"]', { hasText: 'are you there?' }).waitFor();
});

test('mute: no notification, grey badge, not in the title; the other tab follows', async () => {
  pageB2 = await h.openPage(ctxB, stack, '/chats', 'B2');
  await h.until(async () => (await h.tid(pageB2, 'connection-status').textContent()) === 'online', 10000, 'B2 online');
  const toggle = h.tid(pageB, 'mute-toggle');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  await h.until(async () => (await toggle.getAttribute('aria-pressed')) === 'true', 5000, 'muted');
  assert.equal((await api(stack, 'GET', `/api/chats/${chat}`, { token: B.token })).json.muted, true);
  // The other tab hears of it (chat_muted) without a reload.
  await h.until(() => h.chatItem(pageB2, chat).evaluate((el) => el.classList.contains('muted')), 5000, 'B2 shows muted');
  // B goes to the list, hides the tab; A writes.
  await pageB.goto(`${stack.url}/chats`);
  await h.until(async () => (await h.tid(pageB, 'connection-status').textContent()) === 'online', 10000, 'B online');
  await pageB.evaluate(() => window.__setHidden(true));
  await h.postMessage(stack, A, chat, 'muted hello');
  const badge = h.chatItem(pageB, chat).locator('[data-testid="unread-badge"]');
  await h.until(async () => (await badge.textContent()) === '1', 10000, 'badge counts');
  assert.equal(await badge.evaluate((el) => el.classList.contains('muted')), true);
  // Grey: its three channels close together (an unmuted badge is red).
  const bg = (await badge.evaluate((el) => getComputedStyle(el).backgroundColor)).match(/\d+/g).slice(0, 3).map(Number);
  assert.ok(Math.max(...bg) - Math.min(...bg) < 40, `muted badge is grey, got rgb(${bg})`);
  assert.equal(await pageB.title(), 'Parley', 'muted unread is not in the title');
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(await pageB.evaluate(() => window.__notes.length), 0, 'no notification for a muted chat');
  // Unmuted again from the other tab (opening the chat there reads it):
  // the next message counts in the title and notifies again.
  await pageB2.goto(`${stack.url}/chats/${chat}`);
  // The read is posted once the message is on screen, after the page
  // loads: wait until B's badge has heard of it, or the next message
  // would make the title (2), not (1) (a CI flake under load).
  await h.until(async () => (await badge.count()) === 0, 10000, "B2's read reached B (badge gone)");
  await h.tid(pageB2, 'mute-toggle').click();
  await h.until(async () => (await h.tid(pageB2, 'mute-toggle').getAttribute('aria-pressed')) === 'false', 5000, 'unmuted');
  await pageB2.goto(`${stack.url}/chats`);
  await h.until(() => h.chatItem(pageB, chat).evaluate((el) => !el.classList.contains('muted')), 5000, 'B follows');
  await h.postMessage(stack, A, chat, 'unmuted hello');
  await h.until(async () => (await pageB.title()) === '(1) Parley', 5000, 'title counts again')
    .catch(async (e) => { throw new Error(`${e.message}; title is "${await pageB.title()}"`); });
  const note = await h.until(() => pageB.evaluate(() => window.__notes.map((n) => n.body)[0]), 5000, 'notifies again');
  assert.equal(note, 'unmuted hello');
});
