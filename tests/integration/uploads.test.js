'use strict';
// uploads.test.js -- files: upload limits and types, names, downloads through
// lighttpd's X-Sendfile (authorisation, headers, ranges), attachments on
// messages, a worker killed mid-upload and a body cut off half way, the
// sweep of unclaimed uploads; and per-chat mute.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, sleep, runSql } = require('../lib/client');

let S;
let UP;
test.before(async () => {
  S = await getStack();
  UP = path.join(S.varDir, 'uploads');
});

const psql = (sql) => runSql(S, sql);
const MAX = 25 * 1024 * 1024;   // upload_max_bytes default

// A real PNG of w x h (valid CRCs), with `salt` bytes in a text chunk so
// each call's bytes (and so its content address) differ.
function png(w, h, salt = crypto.randomBytes(8).toString('hex')) {
  const crc = (b) => { let c = ~0; for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xEDB88320 & -(c & 1)); } return (~c) >>> 0; };
  const chunk = (t, d) => { const td = Buffer.concat([Buffer.from(t), d]); const len = Buffer.alloc(4); len.writeUInt32BE(d.length); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x80)]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from('salt\0' + salt)), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function upload(u, name, bytes, type = 'application/octet-stream') {
  return api(S, 'POST', `/api/uploads?name=${encodeURIComponent(name)}`, { token: u.token, raw: bytes, headers: { 'content-type': type } });
}

// Finished files on disk (not the .tmp folder).
function storedFiles() {
  if (!fs.existsSync(UP)) return [];
  return fs.readdirSync(UP).filter((d) => d !== '.tmp')
    .flatMap((d) => fs.readdirSync(path.join(UP, d)).map((f) => path.join(d, f)));
}
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const onDisk = (b) => fs.existsSync(path.join(UP, sha(b).slice(0, 2), sha(b)));

async function get(u, url, headers = {}) {
  const h = { ...headers };
  if (u) h.authorization = `Bearer ${u.token}`;
  const res = await fetch(S.url + url, { headers: h });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

async function chatOf(a, b) {
  const r = await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  return r.json.id;
}

async function send(u, chatId, content, ids) {
  return api(S, 'POST', `/api/chats/${chatId}/messages`, { token: u.token, body: { content, attachment_ids: ids } });
}

test('a PNG is recognised by its bytes, with width and height; the uploader can fetch it', async () => {
  const u = await newUser(S);
  const bytes = png(31, 17);
  const r = await upload(u, 'holiday.png', bytes, 'application/octet-stream');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.name, 'holiday.png');
  assert.equal(r.json.size, bytes.length);
  assert.equal(r.json.content_type, 'image/png');
  assert.equal(r.json.width, 31);
  assert.equal(r.json.height, 17);
  assert.equal(r.json.url, `/api/uploads/${r.json.id}/holiday.png`);
  assert.ok(onDisk(bytes), 'stored under its SHA-256');
  const d = await get(u, r.json.url);
  assert.equal(d.status, 200);
  assert.ok(d.body.equals(bytes));
  assert.equal(d.headers.get('content-type'), 'image/png');
  assert.match(d.headers.get('content-disposition'), /^inline; filename\*=UTF-8''holiday\.png$/);
});

test('HTML bytes named .png and sent as image/png are not an image: downloaded, sandboxed, never sniffed', async () => {
  const u = await newUser(S);
  const r = await upload(u, 'cat.png', Buffer.from('<!DOCTYPE html><script>alert(document.cookie)</script>'), 'image/png');
  assert.equal(r.status, 201, r.text);
  assert.notEqual(r.json.content_type, 'image/png');
  assert.ok(!('width' in r.json) && !('height' in r.json));
  const d = await get(u, r.json.url);
  assert.equal(d.status, 200);
  assert.equal(d.headers.get('content-type'), 'application/octet-stream');
  assert.match(d.headers.get('content-disposition'), /^attachment;/);
  assert.match(d.headers.get('x-content-type-options'), /nosniff/);
  assert.ok(d.headers.get('content-security-policy').split(',').some((p) => p.trim() === 'sandbox'));
});

test('a plain file keeps the type the client declared (if it is not an image type)', async () => {
  const u = await newUser(S);
  const r = await upload(u, 'notes.txt', Buffer.from('hello'), 'text/plain; charset=utf-8');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.content_type, 'text/plain');
});

test('names: path tricks, NUL, control and bidi characters, length, Unicode', async () => {
  const u = await newUser(S);
  const b = Buffer.from('x');
  const names = [
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['...', 'file'],
    ['résumé 履歴書.pdf', 'résumé 履歴書.pdf'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['a\u0085b\u200Bc: d.txt', 'abc_ d.txt'],
  ];
  for (const [given, want] of names) {
    const r = await upload(u, given, b);
    assert.equal(r.status, 201, `${given}: ${r.text}`);
    assert.equal(r.json.name, want, given);
    const d = await get(u, r.json.url);
    assert.equal(d.status, 200, `download of ${given}`);
    assert.ok(!/[\r\n]/.test(d.headers.get('content-disposition')));
  }
  const long = await upload(u, 'ü'.repeat(500) + '.txt', b);
  assert.equal(long.status, 201, long.text);
  assert.ok(Buffer.byteLength(long.json.name) <= 200 && long.json.name.startsWith('üü'));
  const tooLong = await upload(u, 'x'.repeat(3000), b);
  assert.equal(tooLong.status, 400);
  assert.equal(tooLong.json.error.code, 'invalid_field');
  // NUL: refused (by lighttpd's URL check before the worker's own).
  const nul = await api(S, 'POST', '/api/uploads?name=a%00.png', { token: u.token, raw: b });
  assert.equal(nul.status, 400);
  assert.ok(nul.json.error.code);
  // CR/LF in the URL: lighttpd refuses the request itself (JSON 400).
  const crlf = await api(S, 'POST', '/api/uploads?name=a%0D%0ASet-Cookie:%20x=1', { token: u.token, raw: b });
  assert.equal(crlf.status, 400);
  assert.ok(crlf.json.error);
  const none = await api(S, 'POST', '/api/uploads', { token: u.token, raw: b });
  assert.equal(none.status, 400);
  const anon = await api(S, 'POST', '/api/uploads?name=a.txt', { raw: b });
  assert.equal(anon.status, 401);
});

test('413 past upload_max_bytes (the worker\'s limit and lighttpd\'s), JSON body, nothing left on disk', async () => {
  const u = await newUser(S);
  const before = storedFiles().length;
  const tmpBefore = fs.readdirSync(path.join(UP, '.tmp')).sort();
  const over = Buffer.alloc(MAX + 1, 0x41);
  const r = await upload(u, 'big.bin', over);
  assert.equal(r.status, 413, r.text.slice(0, 200));
  assert.equal(r.json.error.code, 'payload_too_large');
  // Past lighttpd's own limit: it answers from the Content-Length alone
  // (a raw socket, so no client races the early answer with its upload).
  const head = await new Promise((resolve, reject) => {
    let got = '';
    const sock = net.connect(S.ports.http, '127.0.0.1', () => {
      sock.write(`POST /api/uploads?name=bigger.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${u.token}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${MAX + 2 * 1024 * 1024}\r\n\r\n`);
    });
    sock.on('data', (d) => { got += d; if (/\r\n\r\n[\s\S]*\}/.test(got)) { sock.destroy(); resolve(got); } });
    sock.on('error', reject);
    sock.setTimeout(10000, () => { sock.destroy(); reject(new Error(`no answer; got ${got}`)); });
  });
  assert.match(head, /^HTTP\/1\.1 413 /);
  assert.match(head, /"error":\{"code":/, 'lighttpd\'s 413 is JSON too');
  assert.equal(storedFiles().length, before);
  assert.deepEqual(fs.readdirSync(path.join(UP, '.tmp')).sort(), tmpBefore);
  assert.equal(psql(`SELECT count(*) FROM uploads WHERE owner_id = ${u.id}`), '0');
  // Exactly the limit is fine.
  const at = Buffer.alloc(MAX, 0x43);
  const ok = await upload(u, 'exact.bin', at);
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.size, MAX);
});

test('downloads: members of the chat only; unclaimed uploads only their uploader; removed member and deleted message get 404', async () => {
  const a = await newUser(S, 'fa');
  const b = await newUser(S, 'fb');
  const c = await newUser(S, 'fc');
  const chat = await chatOf(a, b);
  const up = (await upload(a, 'secret.png', png(4, 4), 'image/png')).json;
  // Unclaimed: only a.
  assert.equal((await get(b, up.url)).status, 404);
  const m = await send(a, chat, 'look', [up.id]);
  assert.equal(m.status, 201, m.text);
  assert.equal(m.json.attachments.length, 1);
  assert.deepEqual(m.json.attachments[0], up);
  assert.equal((await get(b, up.url)).status, 200);
  // The name segment is a label only; the id decides.
  assert.equal((await get(b, `/api/uploads/${up.id}/anything.png`)).status, 200);
  const nm = await get(c, up.url);
  assert.equal(nm.status, 404);
  assert.equal(JSON.parse(nm.body).error.code, 'not_found');
  assert.equal((await get(null, up.url)).status, 401);
  // Guessing: every other id is a 404 for c too.
  for (const id of [up.id - 1, up.id + 1, 999999999]) assert.equal((await get(c, `/api/uploads/${id}/x`)).status, 404);
  // Cookie auth (what <img src> sends).
  const ck = await get(null, up.url, { cookie: `other=1; parley_file_token=${b.token}` });
  assert.equal(ck.status, 200);
  assert.equal((await get(null, up.url, { cookie: 'parley_file_token=garbage' })).status, 401);
  // A removed member (removal is issue 10's route; the row is what counts).
  psql(`DELETE FROM chat_members WHERE chat_id = ${chat} AND user_id = ${b.id}`);
  assert.equal((await get(b, up.url)).status, 404);
  // A deleted message hides its files from everyone, the author included.
  assert.equal((await api(S, 'DELETE', `/api/messages/${m.json.id}`, { token: a.token })).status, 204);
  assert.equal((await get(a, up.url)).status, 404);
  const list = await api(S, 'GET', `/api/chats/${chat}/messages`, { token: a.token });
  assert.deepEqual(list.json.messages.find((x) => x.id === m.json.id).attachments, []);
});

test('a Range request through lighttpd gets 206 with exactly those bytes', async () => {
  const u = await newUser(S);
  const bytes = crypto.randomBytes(100000);
  const up = (await upload(u, 'r.bin', bytes)).json;
  const d = await get(u, up.url, { range: 'bytes=1000-1999' });
  assert.equal(d.status, 206);
  assert.equal(d.headers.get('content-range'), `bytes 1000-1999/${bytes.length}`);
  assert.ok(d.body.equals(bytes.subarray(1000, 2000)));
  const tail = await get(u, up.url, { range: 'bytes=-10' });
  assert.equal(tail.status, 206);
  assert.ok(tail.body.equals(bytes.subarray(bytes.length - 10)));
  // Revalidation: lighttpd answers the ETag with 304 after the handler's check.
  const etag = d.headers.get('etag');
  assert.ok(etag);
  assert.equal((await get(u, up.url, { 'if-none-match': etag })).status, 304);
});

test('attachments: at most 10, own and unclaimed only; they travel in events, lists and sync', async () => {
  const a = await newUser(S, 'aa');
  const b = await newUser(S, 'ab');
  const chat = await chatOf(a, b);
  const ws = await wsConnect(S, b.token).opened;
  await ws.waitFor((f) => f.type === 'connected');
  const ids = [];
  for (let i = 0; i < 11; i++) ids.push((await upload(a, `f${i}.txt`, Buffer.from(`f${i}`))).json.id);
  let r = await send(a, chat, 'too many', ids);
  assert.equal(r.status, 400);
  r = await send(a, chat, 'dup', [ids[0], ids[0]]);
  assert.equal(r.status, 400);
  const bs = (await upload(b, 'b.txt', Buffer.from('b'))).json.id;
  r = await send(a, chat, 'not mine', [bs]);
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_attachment');
  r = await send(a, chat, 'bad', ['1']);
  assert.equal(r.status, 400);
  const before = (await api(S, 'GET', `/api/sync?since=0`, { token: b.token })).json.seq;
  r = await api(S, 'POST', `/api/chats/${chat}/messages`, { token: a.token, body: { content: 'ten', attachment_ids: ids.slice(0, 10), client_id: 'att-1' } });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.attachments.map((x) => x.id), ids.slice(0, 10));
  // The same send again (lost answer): the same message, no error.
  const again = await api(S, 'POST', `/api/chats/${chat}/messages`, { token: a.token, body: { content: 'ten', attachment_ids: ids.slice(0, 10), client_id: 'att-1' } });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.attachments.length, 10);
  // Claimed uploads can't be claimed by another message.
  r = await send(a, chat, 'reuse', [ids[0]]);
  assert.equal(r.status, 400);
  const ev = await ws.waitFor((f) => f.type === 'new_message' && f.message.content === 'ten');
  assert.deepEqual(ev.message.attachments.map((x) => x.name), ids.slice(0, 10).map((_, i) => `f${i}.txt`));
  const list = await api(S, 'GET', `/api/chats/${chat}/messages`, { token: b.token });
  assert.equal(list.json.messages.at(-1).attachments.length, 10);
  const sync = await api(S, 'GET', `/api/sync?since=${before}`, { token: b.token });
  const nm = sync.json.changes.find((c) => c.type === 'new_message' && c.message.content === 'ten');
  assert.equal(nm.message.attachments.length, 10);
  await ws.close();
});

test('a worker killed mid-upload leaves no fetchable file and no row', async () => {
  const u = await newUser(S);
  const big = crypto.randomBytes(24 * 1024 * 1024);
  const tmpDir = path.join(UP, '.tmp');
  let killed = 0;
  const watcher = fs.watch(tmpDir, (evt, name) => {
    const m = /^(\d+)-[0-9a-f]{8}$/.exec(name || '');
    if (!m || killed) return;
    killed = Number(m[1]);
    try { process.kill(killed, 'SIGKILL'); } catch (e) { /* already gone */ }
  });
  let r;
  try {
    r = await upload(u, 'killed.bin', big);
  } finally {
    watcher.close();
  }
  assert.ok(killed > 0, 'the worker was caught writing its temporary file');
  assert.notEqual(r.status, 201, 'the upload did not succeed');
  assert.ok(r.status >= 500, `status ${r.status}`);
  await sleep(300);
  assert.ok(!onDisk(big), 'no finished file with those bytes');
  assert.equal(psql(`SELECT count(*) FROM uploads WHERE owner_id = ${u.id}`), '0');
  // The API still works (lighttpd respawned the worker).
  const ok = await upload(u, 'after.txt', Buffer.from('after'));
  assert.equal(ok.status, 201);
});

test('a body cut off half way leaves nothing behind', async () => {
  const u = await newUser(S);
  const before = storedFiles().length;
  const half = crypto.randomBytes(1024 * 1024);
  await new Promise((resolve) => {
    const sock = net.connect(S.ports.http, '127.0.0.1', () => {
      sock.write(`POST /api/uploads?name=cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${u.token}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${2 * half.length}\r\n\r\n`);
      sock.write(half, () => setTimeout(() => { sock.destroy(); resolve(); }, 200));
    });
    sock.on('error', resolve);
  });
  await sleep(500);
  assert.equal(storedFiles().length, before);
  assert.equal(psql(`SELECT count(*) FROM uploads WHERE owner_id = ${u.id}`), '0');
});

test('unclaimed uploads older than an hour are swept (row and file) on a later upload; claimed ones stay', async () => {
  const u = await newUser(S);
  const old = png(2, 2);
  const kept = png(3, 3);
  const o = (await upload(u, 'old.png', old)).json;
  const k = (await upload(u, 'kept.png', kept)).json;
  const v = await newUser(S);
  const chat = await chatOf(u, v);
  assert.equal((await send(u, chat, 'keep', [k.id])).status, 201);
  psql(`UPDATE uploads SET created_at = now() - interval '61 minutes' WHERE id IN (${o.id}, ${k.id})`);
  assert.ok(onDisk(old));
  assert.equal((await upload(u, 'trigger.txt', Buffer.from(crypto.randomBytes(8)))).status, 201);
  assert.equal(psql(`SELECT count(*) FROM uploads WHERE id = ${o.id}`), '0');
  assert.ok(!onDisk(old), 'the swept file is gone');
  assert.equal((await get(u, o.url)).status, 404);
  assert.ok(onDisk(kept));
  assert.equal((await get(v, k.url)).status, 200);
});

test('mute: PUT shape, Chat.muted, chat_muted to the user\'s own tabs only, and in /api/sync', async () => {
  const a = await newUser(S, 'ma');
  const b = await newUser(S, 'mb');
  const c = await newUser(S, 'mc');
  const chat = await chatOf(a, b);
  const tabA = await wsConnect(S, a.token).opened;
  const tabB = await wsConnect(S, b.token).opened;
  await tabA.waitFor((f) => f.type === 'connected');
  await tabB.waitFor((f) => f.type === 'connected');
  const seq0 = (await api(S, 'GET', '/api/sync?since=0', { token: a.token })).json.seq;
  let r = await api(S, 'GET', `/api/chats/${chat}`, { token: a.token });
  assert.equal(r.json.muted, false);
  r = await api(S, 'PUT', `/api/chats/${chat}/mute`, { token: a.token, body: { muted: true } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { chat_id: chat, muted: true });
  const ev = await tabA.waitFor((f) => f.type === 'chat_muted');
  assert.equal(ev.chat_id, chat);
  assert.equal(ev.muted, true);
  assert.ok(ev.seq > seq0);
  assert.equal((await api(S, 'GET', `/api/chats/${chat}`, { token: a.token })).json.muted, true);
  assert.equal((await api(S, 'GET', `/api/chats/${chat}`, { token: b.token })).json.muted, false);
  assert.equal((await api(S, 'GET', '/api/chats', { token: a.token })).json.chats.find((x) => x.id === chat).muted, true);
  const sa = await api(S, 'GET', `/api/sync?since=${seq0}`, { token: a.token });
  assert.deepEqual(sa.json.changes.filter((x) => x.type === 'chat_muted'), [{ type: 'chat_muted', seq: ev.seq, chat_id: chat, muted: true }]);
  const sb = await api(S, 'GET', `/api/sync?since=${seq0}`, { token: b.token });
  assert.equal(sb.json.changes.filter((x) => x.type === 'chat_muted').length, 0);
  // The same value again: 200, no new event.
  r = await api(S, 'PUT', `/api/chats/${chat}/mute`, { token: a.token, body: { muted: true } });
  assert.equal(r.status, 200);
  r = await api(S, 'PUT', `/api/chats/${chat}/mute`, { token: a.token, body: { muted: false } });
  assert.equal(r.status, 200);
  await tabA.waitFor((f) => f.type === 'chat_muted' && f.muted === false);
  assert.equal(tabA.frames.filter((f) => f.type === 'chat_muted').length, 2);
  await sleep(200);
  assert.equal(tabB.frames.filter((f) => f.type === 'chat_muted').length, 0);
  // Errors.
  assert.equal((await api(S, 'PUT', `/api/chats/${chat}/mute`, { token: c.token, body: { muted: true } })).status, 404);
  assert.equal((await api(S, 'PUT', `/api/chats/${chat}/mute`, { token: a.token, body: { muted: 'yes' } })).status, 400);
  assert.equal((await api(S, 'PUT', `/api/chats/${chat}/mute`, { token: a.token, raw: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
  assert.equal((await api(S, 'PUT', `/api/chats/${chat}/mute`, { body: { muted: true } })).status, 401);
  await tabA.close();
  await tabB.close();
});
