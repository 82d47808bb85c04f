// views/newchat.js -- the "New chat" dialog: find people by username prefix;
// a direct chat opens on click, a group gets a name and picked members.
import { api } from '../api.js';
import { $, h } from '../dom.js';
import { initial } from '../format.js';
import { state, upsertChat } from '../store.js';

let openRoute = () => {};
let picked = new Map();   // user id -> user (group mode)
let searchSeq = 0;
let searchTimer = null;

const kind = () => (document.querySelector('#new-chat-form input[name="kind"]:checked') || {}).value || 'direct';

export function initNewChat(navigateToChat) {
  openRoute = navigateToChat;
  const dlg = $('new-chat-dialog');
  $('new-chat-btn').addEventListener('click', openDialog);
  $('new-chat-cancel').addEventListener('click', () => dlg.close());
  for (const r of document.querySelectorAll('#new-chat-form input[name="kind"]')) {
    r.addEventListener('change', setKind);
  }
  $('user-search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 200);
  });
  $('user-search').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); const b = $('user-results').querySelector('button'); if (b) b.click(); }
  });
  $('group-create').addEventListener('click', createGroup);
  $('new-chat-form').addEventListener('submit', (e) => e.preventDefault());
}

function openDialog() {
  picked = new Map();
  $('user-search').value = '';
  $('group-title').value = '';
  $('user-results').replaceChildren();
  showError('');
  setKind();
  $('new-chat-dialog').showModal();
  $('user-search').focus();
}

function setKind() {
  const group = kind() === 'group';
  $('group-fields').hidden = !group;
  $('group-create').hidden = !group;
  renderPicked();
  search();
}

function showError(text) {
  $('new-chat-error').textContent = text;
  $('new-chat-error').hidden = !text;
}

async function search() {
  const prefix = $('user-search').value.trim();
  const seq = ++searchSeq;
  if (!prefix) { $('user-results').replaceChildren(); return; }
  try {
    const res = await api.users(prefix);
    if (seq !== searchSeq) return;
    const users = (res.users || []).filter((u) => !state.me || u.id !== state.me.id);
    renderResults(users);
  } catch (err) {
    if (seq === searchSeq) showError(err.message);
  }
}

function renderResults(users) {
  const ul = $('user-results');
  if (!users.length) {
    ul.replaceChildren(h('li', { class: 'muted', text: 'Nobody found with that name.' }));
    return;
  }
  const group = kind() === 'group';
  ul.replaceChildren(...users.map((u) => {
    const on = picked.has(u.id);
    const btn = h('button', { type: 'button', class: `user-pick${on ? ' on' : ''}`, testid: 'user-result',
      'aria-pressed': group ? String(on) : null, dataset: { userId: String(u.id) } },
    h('span', { class: 'avatar small', 'aria-hidden': 'true', text: initial(u.username) }),
    h('span', { text: u.username }),
    group ? h('span', { class: 'pick-mark', 'aria-hidden': 'true', text: on ? '✓' : '+' }) : null);
    btn.addEventListener('click', () => (group ? toggle(u) : startDirect(u)));
    return h('li', null, btn);
  }));
}

function toggle(u) {
  if (picked.has(u.id)) picked.delete(u.id); else picked.set(u.id, u);
  renderPicked();
  search();
}

function renderPicked() {
  const box = $('group-selected');
  box.replaceChildren(...Array.from(picked.values()).map((u) =>
    h('button', { type: 'button', class: 'chip', 'aria-label': `Remove ${u.username}`,
      onclick: () => toggle(u) }, u.username, ' ×')));
}

async function startDirect(u) {
  showError('');
  try {
    const chat = await api.createDirect(u.id);
    upsertChat(chat);
    $('new-chat-dialog').close();
    openRoute(chat.id);
  } catch (err) {
    showError(err.message);
  }
}

async function createGroup() {
  const title = $('group-title').value.trim();
  if (!title) { showError('Give the group a name.'); $('group-title').focus(); return; }
  if (!picked.size) { showError('Pick at least one member.'); $('user-search').focus(); return; }
  showError('');
  $('group-create').disabled = true;
  try {
    const chat = await api.createGroup(title, Array.from(picked.keys()));
    upsertChat(chat);
    $('new-chat-dialog').close();
    openRoute(chat.id);
  } catch (err) {
    showError(err.message);
  } finally {
    $('group-create').disabled = false;
  }
}
