// views/newchat.js -- the "New chat" dialog: find people by username prefix;
// a direct chat opens on a pick, a group gets a name and picked members.
// It opens in direct mode every time; the search box is a combobox whose
// results are walked with Up/Down (aria-activedescendant) and picked with
// Enter; an error goes away as soon as the user types.
import { api } from '../api.js';
import { $, h } from '../dom.js';
import { paintAvatar } from '../avatar.js';
import { t, onLangChange } from '../i18n.js';
import { state, upsertChat } from '../store.js';

let openRoute = () => {};
let picked = new Map();   // user id -> user (group mode)
let searchSeq = 0;
let searchTimer = null;
let results = [];         // users shown
let active = -1;          // index of the highlighted result

const kind = () => (document.querySelector('#new-chat-form input[name="kind"]:checked') || {}).value || 'direct';

export function initNewChat(navigateToChat) {
  openRoute = navigateToChat;
  const dlg = $('new-chat-dialog');
  $('new-chat-btn').addEventListener('click', openDialog);
  $('new-chat-cancel').addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => $('new-chat-btn').focus());
  for (const r of document.querySelectorAll('#new-chat-form input[name="kind"]')) {
    r.addEventListener('change', () => { showError(''); setKind(); });
  }
  $('user-search').addEventListener('input', () => {
    showError('');
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 200);
  });
  $('group-title').addEventListener('input', () => showError(''));
  $('user-search').addEventListener('keydown', onSearchKey);
  $('group-create').addEventListener('click', createGroup);
  $('new-chat-form').addEventListener('submit', (e) => e.preventDefault());
  onLangChange(() => { if (dlg.open) renderResults(); });
}

function openDialog() {
  picked = new Map();
  results = [];
  active = -1;
  $('user-search').value = '';
  $('group-title').value = '';
  document.querySelector('#new-chat-form input[name="kind"][value="direct"]').checked = true;
  renderResults();
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
  if ($('new-chat-error').textContent === text) return;
  $('new-chat-error').textContent = text;
  $('new-chat-error').hidden = !text;
}

function onSearchKey(e) {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    if (!results.length) return;
    e.preventDefault();
    const step = e.key === 'ArrowDown' ? 1 : -1;
    active = active < 0 ? (step > 0 ? 0 : results.length - 1) : (active + step + results.length) % results.length;
    renderActive();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    const u = results[active >= 0 ? active : 0];
    if (u) pick(u);
  }
}

async function search() {
  const prefix = $('user-search').value.trim();
  const seq = ++searchSeq;
  if (!prefix) { results = []; active = -1; renderResults(true); return; }
  try {
    const res = await api.users(prefix);
    if (seq !== searchSeq) return;
    results = (res.users || []).filter((u) => !state.me || u.id !== state.me.id);
    active = results.length ? Math.min(Math.max(active, 0), results.length - 1) : -1;
    renderResults();
  } catch (err) {
    if (seq === searchSeq) showError(err.message);
  }
}

function renderResults(blank = false) {
  const ul = $('user-results');
  const input = $('user-search');
  input.setAttribute('aria-expanded', String(results.length > 0));
  if (!results.length) {
    ul.replaceChildren(...(blank || !input.value.trim() ? []
      : [h('li', { class: 'muted', role: 'option', 'aria-disabled': 'true', text: t('new.none') })]));
    input.removeAttribute('aria-activedescendant');
    return;
  }
  const group = kind() === 'group';
  ul.replaceChildren(...results.map((u, i) => {
    const on = picked.has(u.id);
    const av = h('span', { class: 'avatar small', 'aria-hidden': 'true' });
    paintAvatar(av, u.id, u.username);
    const li = h('li', { id: `user-opt-${u.id}`, role: 'option', class: `user-pick${on ? ' on' : ''}`,
      testid: 'user-result', 'aria-selected': String(i === active), dataset: { userId: String(u.id) } },
    av, h('span', { text: u.username }),
    group ? h('span', { class: 'pick-mark', 'aria-hidden': 'true', text: on ? '✓' : '+' }) : null);
    if (group) li.setAttribute('aria-checked', String(on));
    li.addEventListener('click', () => pick(u));
    return li;
  }));
  renderActive();
}

function renderActive() {
  const ul = $('user-results');
  let cur = null;
  for (const [i, li] of Array.from(ul.querySelectorAll('[data-testid="user-result"]')).entries()) {
    li.setAttribute('aria-selected', String(i === active));
    li.classList.toggle('active', i === active);
    if (i === active) cur = li;
  }
  if (cur) { $('user-search').setAttribute('aria-activedescendant', cur.id); cur.scrollIntoView({ block: 'nearest' }); }
  else $('user-search').removeAttribute('aria-activedescendant');
}

function pick(u) {
  if (kind() === 'group') toggle(u); else startDirect(u);
}

function toggle(u) {
  if (picked.has(u.id)) picked.delete(u.id); else picked.set(u.id, u);
  showError('');
  renderPicked();
  renderResults();
}

function renderPicked() {
  const box = $('group-selected');
  box.replaceChildren(...Array.from(picked.values()).map((u) =>
    h('button', { type: 'button', class: 'chip', 'aria-label': t('new.remove', { name: u.username }),
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
  if (!title) { showError(t('new.err.name')); $('group-title').focus(); return; }
  if (!picked.size) { showError(t('new.err.members')); $('user-search').focus(); return; }
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
