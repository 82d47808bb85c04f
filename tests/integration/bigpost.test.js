'use strict';
// bigpost.test.js -- a post to a group whose members are in other chats
// too (sql/011_big_group_post.sql): the write function's answer carries
// each member's unread count and total over all their chats exactly as a
// recount gives them, and the settings that make a post to a big group
// cheap are in place (a later CREATE OR REPLACE of either function drops
// its SET clause silently, so this is where that shows).
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser, runSql } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

async function call(u, method, p, body, want) {
  const r = await api(S, method, p, { token: u.token, body });
  assert.equal(r.status, want, `${method} ${p}: ${r.text}`);
  return r.json;
}

test('a group post answers each member with their unread count and their total over all chats', async () => {
  const owner = await newUser(S);
  const members = [];
  for (let i = 0; i < 6; i++) members.push(await newUser(S));
  const g = await call(owner, 'POST', '/api/chats', { title: 'big', member_ids: members.map((m) => m.id) }, 201);
  // Member i has i unread messages in a direct chat with the owner, and
  // member 0 reads the group up to date after one post.
  for (let i = 0; i < members.length; i++) {
    const d = await call(owner, 'POST', '/api/chats', { user_id: members[i].id }, 201);
    for (let k = 0; k < i; k++) {
      await call(owner, 'POST', `/api/chats/${d.id}/messages`, { content: `direct ${k}` }, 201);
    }
  }
  await call(owner, 'POST', `/api/chats/${g.id}/messages`, { content: 'first' }, 201);
  await call(members[0], 'POST', `/api/chats/${g.id}/read`, {}, 200);

  // The API's own call (fcgi-api/messages.c), as the API's session plans it.
  const out = runSql(S, `SET plan_cache_mode = force_generic_plan;
    SELECT p.status, array_to_string(p.member_ids, ','), array_to_string(p.unread_counts, ','),
           array_to_string(p.total_unreads, ',')
      FROM parley_post(${g.id}, ${members[1].id}, 'to all', NULL, 1e6, 1e6, NULL, '{}', '{}') p`);
  const [status, ids, unread, totals] = out.split('|');
  assert.equal(status, 'created');
  const recount = runSql(S, `
    SELECT string_agg(g.user_id || ':' || g.unread_count || ':' ||
                      (SELECT sum(o.unread_count) FROM chat_members o WHERE o.user_id = g.user_id),
                      ',' ORDER BY g.user_id)
      FROM chat_members g WHERE g.chat_id = ${g.id}`);
  const answered = ids.split(',').map((id, i) => `${id}:${unread.split(',')[i]}:${totals.split(',')[i]}`).join(',');
  assert.equal(answered, recount);
  // What that means for the people: the sender has read everything of the
  // group, the owner and member 0 have the one new post, the others two,
  // and member i also i direct ones.
  const byId = new Map(answered.split(',').map((r) => { const [id, u, t] = r.split(':').map(Number); return [id, [u, t]]; }));
  assert.deepEqual(byId.get(owner.id), [1, 1]);
  assert.deepEqual(byId.get(members[1].id), [0, 1]);
  assert.deepEqual(byId.get(members[0].id), [1, 1]);
  assert.deepEqual(byId.get(members[4].id), [2, 6]);
});

test('the big-group settings are in place: no bitmap scans in the post and its recipients, room for HOT updates', () => {
  const conf = runSql(S, `SELECT string_agg(proname || '=' || array_to_string(proconfig, ';'), ',' ORDER BY proname)
                            FROM pg_proc WHERE proname IN ('parley_post', 'parley_recipients')`);
  assert.equal(conf, 'parley_post=enable_bitmapscan=off,parley_recipients=enable_bitmapscan=off');
  assert.equal(runSql(S, `SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'chat_members'`),
    'fillfactor=70');
});
