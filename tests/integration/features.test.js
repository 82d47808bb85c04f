'use strict';
// features.test.js -- mentions, replies, reactions, group membership and
// their events and sync entries (search has its own file, search.test.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, wsConnect, sleep, runSql } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

const psql = (sql) => runSql(S, sql);

async function sync(u, since) {
  const r = await api(S, 'GET', `/api/sync?since=${since}`, { token: u.token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}
async function group(owner, members, title = 'team') {
  const r = await api(S, 'POST', '/api/chats', { token: owner.token, body: { title, member_ids: members.map((m) => m.id) } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function post(u, chatId, body) {
  const r = await api(S, 'POST', `/api/chats/${chatId}/messages`, { token: u.token, body });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  return r.json;
}
const open = new Set();
test.afterEach(async () => { for (const c of open) await c.close(); open.clear(); });
async function ws(u) {
  const c = wsConnect(S, u.token);
  open.add(c);
  await c.opened;
  await c.waitFor((m) => m.type === 'connected');
  return c;
}
const chatOf = async (u, id) => (await api(S, 'GET', `/api/chats/${id}`, { token: u.token }));

test('mentions: stored, counted per member, flagged in new_message, cleared by reading', async () => {
  const a = await newUser(S); const b = await newUser(S); const c = await newUser(S);
  const outsider = await newUser(S);
  const g = await group(a, [b, c]);
  const start = (await sync(b, 0)).seq;
  const wb = await ws(b); const wc = await ws(c);
  const m = await post(a, g.id, { content: `hi @${b.username.toUpperCase()}, and @${outsider.username} and mail x@${c.username}` });
  assert.deepEqual(m.mentions, [b.id], 'only members, case-insensitive, not e-mail addresses');
  assert.equal(m.reply_to, null);
  assert.deepEqual(m.reactions, []);
  assert.equal(m.system, null);
  const eb = await wb.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
  assert.equal(eb.mentioned, true);
  assert.equal(eb.unread_count, 1);
  const ec = await wc.waitFor((e) => e.type === 'new_message' && e.message.id === m.id);
  assert.equal(ec.mentioned, false);
  let cb = (await chatOf(b, g.id)).json;
  assert.equal(cb.mention_count, 1);
  assert.equal(cb.unread_count, 1);
  assert.equal((await chatOf(c, g.id)).json.mention_count, 0);
  const s = await sync(b, start);
  const nm = s.changes.find((e) => e.type === 'new_message' && e.message.id === m.id);
  assert.equal(nm.mentioned, true);
  assert.deepEqual(nm.message.mentions, [b.id]);
  // A deleted mention no longer counts; a new one does; reading clears it.
  const m2 = await post(a, g.id, { content: `@${b.username} again` });
  assert.equal((await chatOf(b, g.id)).json.mention_count, 2);
  await api(S, 'DELETE', `/api/messages/${m2.id}`, { token: a.token });
  assert.equal((await chatOf(b, g.id)).json.mention_count, 1);
  const rd = await api(S, 'POST', `/api/chats/${g.id}/read`, { token: b.token });
  assert.equal(rd.status, 200);
  cb = (await chatOf(b, g.id)).json;
  assert.equal(cb.mention_count, 0);
  assert.equal(cb.unread_count, 0);
  await wb.close(); await wc.close();
});

test('replies carry a quote of the original, "deleted" once it is deleted; same chat only', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const other = await group(a, [b], 'other');
  const orig = await post(a, g.id, { content: 'the original message with quite a few words in it' });
  const foreign = await post(a, other.id, { content: 'elsewhere' });
  const rep = await post(b, g.id, { content: 'an answer', reply_to_id: orig.id });
  assert.deepEqual(rep.reply_to, { id: orig.id, sender_id: a.id, sender_username: a.username,
    snippet: 'the original message with quite a few words in it', deleted: false });
  const bad = await api(S, 'POST', `/api/chats/${g.id}/messages`, { token: b.token, body: { content: 'x', reply_to_id: foreign.id } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'invalid_reply');
  const bad2 = await api(S, 'POST', `/api/chats/${g.id}/messages`, { token: b.token, body: { content: 'x', reply_to_id: 'one' } });
  assert.equal(bad2.status, 400);
  assert.equal(bad2.json.error.code, 'invalid_field');
  await api(S, 'DELETE', `/api/messages/${orig.id}`, { token: a.token });
  const hist = (await api(S, 'GET', `/api/chats/${g.id}/messages`, { token: b.token })).json.messages;
  const r = hist.find((x) => x.id === rep.id);
  assert.deepEqual(r.reply_to, { id: orig.id, sender_id: a.id, sender_username: a.username, snippet: null, deleted: true });
});

test('reactions: idempotent PUT/DELETE, live to every member, validated, capped, in sync', async () => {
  const a = await newUser(S); const b = await newUser(S); const c = await newUser(S);
  const g = await group(a, [b]);
  const m = await post(a, g.id, { content: 'react to me' });
  const start = (await sync(b, 0)).seq;
  const wb = await ws(b);
  const thumbs = encodeURIComponent('👍');
  const put = await api(S, 'PUT', `/api/messages/${m.id}/reactions/${thumbs}`, { token: a.token });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json, { message_id: m.id, reactions: [{ emoji: '👍', user_ids: [a.id] }] });
  const ev = await wb.waitFor((e) => e.type === 'reaction_updated' && e.message_id === m.id);
  assert.equal(ev.chat_id, g.id);
  assert.ok(ev.seq > start);
  assert.deepEqual(ev.reactions, [{ emoji: '👍', user_ids: [a.id] }]);
  const again = await api(S, 'PUT', `/api/messages/${m.id}/reactions/${thumbs}`, { token: a.token });
  assert.deepEqual(again.json, put.json, 'a second PUT changes nothing');
  await api(S, 'PUT', `/api/messages/${m.id}/reactions/${thumbs}`, { token: b.token });
  const fam = encodeURIComponent('👨‍👩‍👧');
  assert.equal((await api(S, 'PUT', `/api/messages/${m.id}/reactions/${fam}`, { token: b.token })).status, 200);
  const hist = (await api(S, 'GET', `/api/chats/${g.id}/messages`, { token: a.token })).json.messages;
  assert.deepEqual(hist[0].reactions, [{ emoji: '👍', user_ids: [a.id, b.id] }, { emoji: '👨‍👩‍👧', user_ids: [b.id] }]);
  const del = await api(S, 'DELETE', `/api/messages/${m.id}/reactions/${thumbs}`, { token: a.token });
  assert.equal(del.status, 200);
  assert.deepEqual(del.json.reactions, [{ emoji: '👍', user_ids: [b.id] }, { emoji: '👨‍👩‍👧', user_ids: [b.id] }]);
  const del2 = await api(S, 'DELETE', `/api/messages/${m.id}/reactions/${thumbs}`, { token: a.token });
  assert.equal(del2.status, 200);
  assert.deepEqual(del2.json, del.json);
  // Sync: one reaction_updated per real change (3), each with the current reactions.
  const s = await sync(b, start);
  const rs = s.changes.filter((e) => e.type === 'reaction_updated');
  assert.equal(rs.length, 4);
  assert.ok(rs.every((e) => e.message_id === m.id && e.chat_id === g.id));
  for (const bad of ['a', '%20', '%E2%80%AE%F0%9F%91%8D', '%F0%9F', '%ZZ', encodeURIComponent('👍'.repeat(11)), '%0A']) {
    const r = await api(S, 'PUT', `/api/messages/${m.id}/reactions/${bad}`, { token: a.token });
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
    assert.ok(r.json && r.json.error, r.text);
  }
  const word = await api(S, 'PUT', `/api/messages/${m.id}/reactions/ok`, { token: a.token });
  assert.equal(word.json.error.code, 'invalid_emoji');
  const nm = await api(S, 'PUT', `/api/messages/${m.id}/reactions/${thumbs}`, { token: c.token });
  assert.equal(nm.status, 404, 'a non-member cannot react');
  assert.equal((await api(S, 'PUT', `/api/messages/999999999/reactions/${thumbs}`, { token: a.token })).status, 404);
  // At most 20 distinct emoji per message; more of an existing one is fine.
  const m2 = await post(a, g.id, { content: 'many' });
  for (let i = 0; i < 20; i++) {
    const e = encodeURIComponent(String.fromCodePoint(0x1F600 + i));
    assert.equal((await api(S, 'PUT', `/api/messages/${m2.id}/reactions/${e}`, { token: a.token })).status, 200);
  }
  const over = await api(S, 'PUT', `/api/messages/${m2.id}/reactions/${encodeURIComponent('🙈')}`, { token: a.token });
  assert.equal(over.status, 409);
  assert.equal(over.json.error.code, 'too_many_reactions');
  const same = await api(S, 'PUT', `/api/messages/${m2.id}/reactions/${encodeURIComponent('😀')}`, { token: b.token });
  assert.equal(same.status, 200);
  assert.equal(same.json.reactions.length, 20);
  // Deleted messages take no reactions.
  await api(S, 'DELETE', `/api/messages/${m2.id}`, { token: a.token });
  assert.equal((await api(S, 'PUT', `/api/messages/${m2.id}/reactions/${thumbs}`, { token: b.token })).status, 409);
  await wb.close();
});

test('membership: add, owner-only remove, leave with hand-over, rename; events and system lines', async () => {
  const a = await newUser(S); const b = await newUser(S); const c = await newUser(S); const d = await newUser(S);
  const g = await group(a, [b]);
  assert.equal(g.owner_id, a.id);
  const wa = await ws(a); const wb = await ws(b); const wc = await ws(c);
  const startC = (await sync(c, 0)).seq;
  const add = await api(S, 'POST', `/api/chats/${g.id}/members`, { token: b.token, body: { user_ids: [c.id, b.id] } });
  assert.equal(add.status, 200, add.text);
  assert.deepEqual(add.json.members.map((u) => u.id).sort(), [a.id, b.id, c.id].sort());
  const created = await wc.waitFor((e) => e.type === 'chat_created' && e.chat.id === g.id);
  assert.equal(created.chat.members.length, 3);
  const upd = await wa.waitFor((e) => e.type === 'chat_updated' && e.chat.id === g.id);
  assert.equal(upd.chat.members.length, 3);
  assert.equal(upd.chat.owner_id, a.id);
  const line = await wc.waitFor((e) => e.type === 'new_message' && e.message.system);
  assert.deepEqual(line.message.system, { action: 'added', actor_id: b.id, user_ids: [c.id] });
  assert.equal(line.message.content, `${b.username} added ${c.username}`);
  // Adding members again changes nothing; unknown users and direct chats are refused.
  assert.equal((await api(S, 'POST', `/api/chats/${g.id}/members`, { token: a.token, body: { user_ids: [c.id] } })).status, 200);
  const unk = await api(S, 'POST', `/api/chats/${g.id}/members`, { token: a.token, body: { user_ids: [999999999] } });
  assert.equal(unk.status, 400);
  const bad = await api(S, 'POST', `/api/chats/${g.id}/members`, { token: a.token, body: { user_ids: 'x' } });
  assert.equal(bad.status, 400);
  assert.equal((await api(S, 'POST', `/api/chats/${g.id}/members`, { token: d.token, body: { user_ids: [d.id] } })).status, 404);
  const direct = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
  const dr = await api(S, 'POST', `/api/chats/${direct.id}/members`, { token: a.token, body: { user_ids: [c.id] } });
  assert.equal(dr.status, 400);
  assert.equal(dr.json.error.code, 'not_a_group');
  assert.equal((await api(S, 'DELETE', `/api/chats/${direct.id}/members/${b.id}`, { token: a.token })).status, 400);
  // A non-owner cannot remove someone else, nor rename.
  const nr = await api(S, 'DELETE', `/api/chats/${g.id}/members/${c.id}`, { token: b.token });
  assert.equal(nr.status, 403);
  assert.equal(nr.json.error.code, 'forbidden');
  assert.equal((await api(S, 'PATCH', `/api/chats/${g.id}`, { token: b.token, body: { title: 'x' } })).status, 403);
  assert.equal((await api(S, 'DELETE', `/api/chats/${g.id}/members/${d.id}`, { token: a.token })).status, 404);
  // The owner renames.
  const rn = await api(S, 'PATCH', `/api/chats/${g.id}`, { token: a.token, body: { title: '  Renamed  ' } });
  assert.equal(rn.status, 200);
  assert.equal(rn.json.title, 'Renamed');
  assert.equal((await wb.waitFor((e) => e.type === 'chat_updated' && e.chat.title === 'Renamed')).chat.id, g.id);
  assert.equal((await api(S, 'PATCH', `/api/chats/${g.id}`, { token: a.token, body: { title: '   ' } })).status, 400);
  // The owner removes c: c gets chat_removed, the others chat_updated and the line.
  const rm = await api(S, 'DELETE', `/api/chats/${g.id}/members/${c.id}`, { token: a.token });
  assert.equal(rm.status, 204);
  const removed = await wc.waitFor((e) => e.type === 'chat_removed' && e.chat_id === g.id);
  assert.ok(removed.seq > 0);
  const rline = await wb.waitFor((e) => e.type === 'new_message' && e.message.system && e.message.system.action === 'removed');
  assert.deepEqual(rline.message.system.user_ids, [c.id]);
  await wb.waitFor((e) => e.type === 'chat_updated' && e.chat.members.length === 2);
  // From now on c sees nothing of the chat.
  const frames = wc.frames.length;
  await post(a, g.id, { content: 'secret after removal' });
  await api(S, 'POST', `/api/chats/${g.id}/typing`, { token: a.token });
  await wb.waitFor((e) => e.type === 'new_message' && e.message.content === 'secret after removal');
  await sleep(300);
  assert.ok(wc.frames.slice(frames).every((e) => e.chat_id !== g.id && !(e.chat && e.chat.id === g.id)),
    JSON.stringify(wc.frames.slice(frames)));
  assert.equal((await chatOf(c, g.id)).status, 404);
  assert.equal((await api(S, 'GET', `/api/chats/${g.id}/messages`, { token: c.token })).status, 404);
  assert.equal((await api(S, 'POST', `/api/chats/${g.id}/messages`, { token: c.token, body: { content: 'x' } })).status, 404);
  assert.equal((await api(S, 'POST', `/api/chats/${g.id}/typing`, { token: c.token })).status, 404);
  assert.equal((await api(S, 'POST', `/api/chats/${g.id}/read`, { token: c.token })).status, 404);
  assert.equal((await api(S, 'GET', `/api/search?q=secret&chat_id=${g.id}`, { token: c.token })).status, 404);
  assert.deepEqual((await api(S, 'GET', '/api/search?q=secret', { token: c.token })).json.results, []);
  assert.ok(!(await api(S, 'GET', '/api/chats', { token: c.token })).json.chats.some((x) => x.id === g.id));
  const sc = await sync(c, startC);
  const mine = sc.changes.filter((e) => e.chat_id === g.id);
  assert.equal(mine.at(-1).type, 'chat_removed', JSON.stringify(mine));
  assert.equal(mine.filter((e) => e.type === 'chat_removed').length, 1);
  assert.ok(!JSON.stringify(sc).includes('secret after removal'));
  assert.ok(!sc.chats.some((x) => x.id === g.id));
  // The owner leaves: b (the longest-standing member left) owns the group.
  const lv = await api(S, 'DELETE', `/api/chats/${g.id}/members/${a.id}`, { token: a.token });
  assert.equal(lv.status, 204);
  await wa.waitFor((e) => e.type === 'chat_removed' && e.chat_id === g.id);
  const gb = (await chatOf(b, g.id)).json;
  assert.equal(gb.owner_id, b.id);
  assert.equal(gb.last_message.system.action, 'left');
  assert.equal((await chatOf(a, g.id)).status, 404);
  // The last one out: nobody sees the group any more.
  assert.equal((await api(S, 'DELETE', `/api/chats/${g.id}/members/${b.id}`, { token: b.token })).status, 204);
  assert.equal((await chatOf(b, g.id)).status, 404);
  assert.equal(psql(`SELECT count(*) FROM chat_members WHERE chat_id = ${g.id}`), '0');
  await wa.close(); await wb.close(); await wc.close();
});

test('group size limit (group_max_members, default 1000) on create and on add: 422 group_too_large', async () => {
  const a = await newUser(S);
  const tag = `lim${Date.now()}`;
  psql(`INSERT INTO users (username, password_hash) SELECT '${tag}_' || i, 'x' FROM generate_series(1, 1000) i`);
  const ids = psql(`SELECT string_agg(id::text, ',' ORDER BY id) FROM users WHERE username LIKE '${tag}\\_%'`).split(',').map(Number);
  assert.equal(ids.length, 1000);
  const tooMany = await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'big', member_ids: ids } });
  assert.equal(tooMany.status, 422, tooMany.text);
  assert.equal(tooMany.json.error.code, 'group_too_large');
  const full = await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'big', member_ids: ids.slice(0, 999) } });
  assert.equal(full.status, 201);
  assert.equal(full.json.members.length, 1000);
  const more = await api(S, 'POST', `/api/chats/${full.json.id}/members`, { token: a.token, body: { user_ids: [ids[999]] } });
  assert.equal(more.status, 422);
  assert.equal(more.json.error.code, 'group_too_large');
});

test('unread and mention counts stay exact under concurrent posts, deletes, reads and membership changes', async () => {
  const users = [];
  for (let i = 0; i < 5; i++) users.push(await newUser(S));
  const [a, ...rest] = users;
  const g = await group(a, rest);
  const work = [];
  for (const [k, u] of users.entries()) {
    work.push((async () => {
      for (let i = 0; i < 12; i++) {
        const to = users[(k + i) % users.length];
        const m = await post(u, g.id, { content: `n${i} @${to.username} @${users[(k + 2) % 5].username}` });
        if (i % 4 === 0) await api(S, 'DELETE', `/api/messages/${m.id}`, { token: u.token });
        if (i % 5 === 0) await api(S, 'POST', `/api/chats/${g.id}/read`, { token: u.token });
      }
    })());
  }
  const extra = await newUser(S);
  work.push((async () => {
    for (let i = 0; i < 3; i++) {
      await api(S, 'POST', `/api/chats/${g.id}/members`, { token: a.token, body: { user_ids: [extra.id] } });
      await api(S, 'DELETE', `/api/chats/${g.id}/members/${extra.id}`, { token: a.token });
    }
  })());
  await Promise.all(work);
  const wrong = psql(`SELECT count(*) FROM chat_members cm WHERE cm.chat_id = ${g.id} AND (
      cm.unread_count <> parley_count_unread(cm.chat_id, cm.user_id, cm.last_read_message_id) OR
      cm.mention_count <> parley_count_mentions(cm.chat_id, cm.user_id, cm.last_read_message_id))`);
  assert.equal(wrong, '0');
  const total = Number(psql(`SELECT sum(mention_count) FROM chat_members WHERE chat_id = ${g.id}`));
  assert.ok(total > 0, 'some mentions are still unread');
});

test('history pages from the first message with after=0', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await post(a, g.id, { content: `m${i}` })).id);
  const p1 = await api(S, 'GET', `/api/chats/${g.id}/messages?after=0&limit=2`, { token: b.token });
  assert.equal(p1.status, 200, p1.text);
  assert.deepEqual(p1.json.messages.map((m) => m.id), ids.slice(0, 2));
  assert.equal(p1.json.has_more, true);
  const p3 = await api(S, 'GET', `/api/chats/${g.id}/messages?after=${ids[3]}&limit=2`, { token: b.token });
  assert.deepEqual(p3.json.messages.map((m) => m.id), [ids[4]]);
  assert.equal(p3.json.has_more, false);
});

test('a repeated client_id and an edit each take a token from the send bucket', async () => {
  const a = await newUser(S); const b = await newUser(S);
  const g = await group(a, [b]);
  const m = await post(a, g.id, { content: 'once', client_id: 'c-1' });
  // An empty bucket (ten seconds of debt): a repeat is refused like a new post.
  psql(`UPDATE users SET send_tokens = -100, send_at = now() WHERE id = ${a.id}`);
  const again = await api(S, 'POST', `/api/chats/${g.id}/messages`, { token: a.token, body: { content: 'once', client_id: 'c-1' } });
  assert.equal(again.status, 429, again.text);
  const edit = await api(S, 'PATCH', `/api/messages/${m.id}`, { token: a.token, body: { content: 'edited' } });
  assert.equal(edit.status, 429);
  assert.equal(edit.json.error.code, 'rate_limited');
  assert.ok(Number(edit.headers.get('retry-after')) >= 1);
  psql(`UPDATE users SET send_tokens = 5, send_at = now() WHERE id = ${a.id}`);
  assert.equal((await api(S, 'PATCH', `/api/messages/${m.id}`, { token: a.token, body: { content: 'edited' } })).status, 200);
  const rep = await api(S, 'POST', `/api/chats/${g.id}/messages`, { token: a.token, body: { content: 'once', client_id: 'c-1' } });
  assert.equal(rep.status, 200);
  assert.equal(rep.json.id, m.id);
});

test('each new event appears in /api/sync with the same shape and seq as on the WebSocket', async () => {
  const a = await newUser(S); const b = await newUser(S); const c = await newUser(S);
  const g = await group(a, [b]);
  const start = (await sync(b, 0)).seq;
  const wb = await ws(b);
  const m = await post(a, g.id, { content: `look @${b.username}` });
  await api(S, 'PUT', `/api/messages/${m.id}/reactions/${encodeURIComponent('👀')}`, { token: a.token });
  await api(S, 'PATCH', `/api/chats/${g.id}`, { token: a.token, body: { title: 'Same shape' } });
  await api(S, 'POST', `/api/chats/${g.id}/members`, { token: a.token, body: { user_ids: [c.id] } });
  const want = ['new_message', 'reaction_updated', 'chat_updated', 'new_message', 'chat_updated', 'new_message'];
  await wb.waitFor(() => wb.frames.filter((e) => e.seq > start && e.chat_id === g.id).length >= want.length);
  const live = wb.frames.filter((e) => e.seq > start && e.chat_id === g.id).sort((x, y) => x.seq - y.seq);
  assert.deepEqual(live.map((e) => e.type), want);
  const s = await sync(b, start);
  const synced = s.changes.filter((e) => e.chat_id === g.id);
  assert.deepEqual(synced.map((e) => [e.type, e.seq]), live.map((e) => [e.type, e.seq]));
  // Same fields; chats are rendered as they are now, so compare the last
  // chat_updated (nothing changed since) whole, the others by keys.
  for (let i = 0; i < live.length; i++) {
    assert.deepEqual(Object.keys(synced[i]).sort(), Object.keys(live[i]).sort(), live[i].type);
  }
  assert.deepEqual(synced[4], live[4]);
  assert.deepEqual(synced[1], live[1]);
  assert.equal(synced[0].mentioned, true);
  assert.equal(live[0].mentioned, true);
});
