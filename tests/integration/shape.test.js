'use strict';
// shape.test.js -- one shape per thing, whichever path it travels.  For
// every event a user can receive, the live frame on the WebSocket and the
// entry /api/sync returns for the same change must be the same JSON (keys
// sorted), and both must match the golden file in golden/ once ids, seqs,
// times and names are replaced by placeholders.  The REST answers (the
// posted message, a history page entry, a chat) are held to golden files
// too.  A change to one path, or to a shape, fails here; after a deliberate
// shape change run with PARLEY_UPDATE_GOLDEN=1, review the diff of golden/
// and update docs/api.md.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect } = require('../lib/client');

const GOLDEN = path.join(__dirname, 'golden');
let S;
test.before(async () => { S = await getStack(); });

const sockets = [];
test.after(async () => { await Promise.all(sockets.map((c) => c.close())); });

async function open(u) {
  const c = wsConnect(S, u.token);
  sockets.push(c);
  await c.opened;
  await c.waitFor((m) => m.type === 'connected');
  return c;
}
async function call(u, method, p, body, want) {
  const r = await api(S, method, p, { token: u.token, body });
  assert.equal(r.status, want, `${method} ${p}: ${r.text}`);
  return r.json;
}
async function cursor(u) {
  return (await call(u, 'GET', '/api/sync', undefined, 200)).seq;
}

// Keys sorted at every level, so that only content and not build order counts.
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  }
  return v;
}
const canon = (v) => JSON.stringify(sorted(v), null, 2) + '\n';

// Replaces what differs between runs with placeholders named from `names`
// (maps from value to name, per kind: user, chat, msg); an id of no known
// entity shows as "<kind:?>", which no golden file holds.
function normalise(v, names, kind) {
  const idOf = (k, x) => (x === 0 ? 0 : `<${k}:${names[k].get(x) || '?'}>`);
  if (Array.isArray(v)) return v.map((x) => normalise(x, names, kind));
  if (typeof v === 'string') {
    let t = v;
    for (const [name, ph] of names.text) t = t.split(name).join(`<${ph}>`);
    return t;
  }
  if (v === null || typeof v !== 'object') return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'seq') out[k] = '<seq>';
    else if (/_at$/.test(k) && typeof x === 'string') out[k] = '<time>';
    else if (k === 'id' && typeof x === 'number') out[k] = idOf(kind, x);
    else if (k === 'chat_id') out[k] = idOf('chat', x);
    else if (k === 'message_id' || k === 'last_read_message_id') out[k] = idOf('msg', x);
    else if (['sender_id', 'user_id', 'owner_id', 'actor_id'].includes(k) && typeof x === 'number') out[k] = idOf('user', x);
    else if (['user_ids', 'mentions'].includes(k) && Array.isArray(x)) out[k] = x.map((y) => idOf('user', y));
    else if (k === 'members') out[k] = normalise(x, names, 'user');
    else if (['message', 'last_message', 'reply_to'].includes(k)) out[k] = normalise(x, names, 'msg');
    else if (k === 'chat') out[k] = normalise(x, names, 'chat');
    else out[k] = normalise(x, names, kind);
  }
  return out;
}

function golden(name, value, names, kind) {
  const text = canon(normalise(value, names, kind));
  const file = path.join(GOLDEN, `${name}.json`);
  if (process.env.PARLEY_UPDATE_GOLDEN) fs.writeFileSync(file, text);
  assert.equal(text, fs.readFileSync(file, 'utf8'), `${name} differs from golden/${name}.json`);
}

// Runs `action`, then takes user u's live frame and sync entry of the same
// change (type `type`, matching `pred`), and holds both to golden/<name>.json.
async function sameLiveAndSync(name, u, sock, type, pred, action, names) {
  const since = await cursor(u);
  await action();
  const live = await sock.waitFor((e) => e.type === type && e.seq > since && pred(e));
  const s = await call(u, 'GET', `/api/sync?since=${since}`, undefined, 200);
  const entry = s.changes.find((e) => e.type === type && e.seq === live.seq);
  assert.ok(entry, `sync has no ${type} with seq ${live.seq}: ${JSON.stringify(s.changes)}`);
  assert.equal(canon(entry), canon(live), `${type}: the sync entry differs from the live frame`);
  golden(name, live, names, 'chat');
  return live;
}

test('every event is the same live and in sync, and every shape matches its golden file', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const names = { user: new Map([[a.id, 'a'], [b.id, 'b']]), chat: new Map(), msg: new Map(),
    text: new Map([[a.username, 'name:a'], [b.username, 'name:b']]) };
  const wa = await open(a);
  const wb = await open(b);
  let chat;
  await sameLiveAndSync('event_chat_created_direct', b, wb, 'chat_created', () => true, async () => {
    chat = await call(a, 'POST', '/api/chats', { user_id: b.id }, 201);
    names.chat.set(chat.id, 'direct');
  }, names);
  golden('rest_chat', chat, names, 'chat');

  const first = await call(a, 'POST', `/api/chats/${chat.id}/messages`, { content: 'first', client_id: 'c-1' }, 201);
  names.msg.set(first.id, 'first');
  let second;
  await sameLiveAndSync('event_new_message', b, wb, 'new_message', (e) => e.message.content.startsWith('hello'), async () => {
    second = await call(a, 'POST', `/api/chats/${chat.id}/messages`,
      { content: `hello @${b.username}`, client_id: 'c-2', reply_to_id: first.id }, 201);
    names.msg.set(second.id, 'second');
  }, names);
  golden('rest_message', second, names, 'msg');
  const page = await call(b, 'GET', `/api/chats/${chat.id}/messages`, undefined, 200);
  assert.equal(canon(page.messages[1]), canon(second), 'a history entry is the posted message');

  const thumbs = encodeURIComponent('👍');
  await sameLiveAndSync('event_reaction_updated', a, wa, 'reaction_updated', () => true, () =>
    call(b, 'PUT', `/api/messages/${second.id}/reactions/${thumbs}`, undefined, 200), names);
  await sameLiveAndSync('event_message_updated', b, wb, 'message_updated', () => true, () =>
    call(a, 'PATCH', `/api/messages/${second.id}`, { content: `hello again @${b.username}` }, 200), names);
  await sameLiveAndSync('event_unread_update', b, wb, 'unread_update', () => true, () =>
    call(b, 'POST', `/api/chats/${chat.id}/read`, undefined, 200), names);
  await sameLiveAndSync('event_read_receipt', a, wa, 'read_receipt', () => true, async () => {
    const third = await call(a, 'POST', `/api/chats/${chat.id}/messages`, { content: 'third', client_id: 'c-3' }, 201);
    names.msg.set(third.id, 'third');
    await call(b, 'POST', `/api/chats/${chat.id}/read`, undefined, 200);
  }, names);
  await sameLiveAndSync('event_message_deleted', b, wb, 'message_deleted', () => true, () =>
    call(a, 'DELETE', `/api/messages/${first.id}`, undefined, 204), names);
  await sameLiveAndSync('event_chat_muted', b, wb, 'chat_muted', () => true, () =>
    call(b, 'PUT', `/api/chats/${chat.id}/mute`, { muted: true }, 200), names);

  let g;
  await sameLiveAndSync('event_chat_created_group', b, wb, 'chat_created', (e) => e.chat.kind === 'group', async () => {
    g = await call(a, 'POST', '/api/chats', { title: 'Golden team', member_ids: [b.id] }, 201);
    names.chat.set(g.id, 'group');
  }, names);
  await sameLiveAndSync('event_chat_updated', b, wb, 'chat_updated', () => true, async () => {
    await call(a, 'PATCH', `/api/chats/${g.id}`, { title: 'Renamed team' }, 200);
    const lines = await call(a, 'GET', `/api/chats/${g.id}/messages`, undefined, 200);
    for (const m of lines.messages) names.msg.set(m.id, `line${names.msg.size}`);
  }, names);
});
