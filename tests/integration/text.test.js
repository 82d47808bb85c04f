'use strict';
// text.test.js -- titles and messages refuse control characters and bidi
// overrides (text that displays in another order than it reads); ordinary
// right-to-left text and line breaks in messages pass.
const test = require('node:test');
const assert = require('node:assert/strict');
const { getStack } = require('../lib/stack');
const { api, newUser } = require('../lib/client');

let S;
test.before(async () => { S = await getStack(); });

test('group titles with bidi overrides or control characters are 400; Arabic is fine', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  for (const title of ['evil\u202Etxt.exe', 'x\u2066y', 'red\u001b[31m', 'two\nlines', 'a\u0085b']) {
    const r = await api(S, 'POST', '/api/chats', { token: a.token, body: { title, member_ids: [b.id] } });
    assert.equal(r.status, 400, JSON.stringify(title));
    assert.equal(r.json.error.code, 'invalid_field');
  }
  const ok = await api(S, 'POST', '/api/chats', { token: a.token, body: { title: 'مرحبا team', member_ids: [b.id] } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.title, 'مرحبا team');
});

test('messages refuse bidi overrides and control characters but keep line breaks', async () => {
  const a = await newUser(S);
  const b = await newUser(S);
  const chat = (await api(S, 'POST', '/api/chats', { token: a.token, body: { user_id: b.id } })).json;
  for (const content of ['x\u202Ey', 'bell\u0007']) {
    const r = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content } });
    assert.equal(r.status, 400, JSON.stringify(content));
  }
  const ok = await api(S, 'POST', `/api/chats/${chat.id}/messages`, { token: a.token, body: { content: 'line one\nline two\tend' } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.content, 'line one\nline two\tend');
});
