// views/members.js -- a group's people: the member list (the owner marked),
// add by username, remove (the owner), leave (anyone) and rename (the
// owner).  Lives in the open chat's header; built with DOM calls only.
import { h, setText } from '../dom.js';
import { request } from '../api.js';
import * as store from '../store.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
export const STRINGS = {
  get open() { return t('members.open'); },
  get owner() { return t('members.owner'); },
  get remove() { return t('members.remove'); },
  get leave() { return t('members.leave'); },
  get add() { return t('members.add'); },
  get addPlaceholder() { return t('members.add.placeholder'); },
  get rename() { return t('members.rename'); },
  get noUser() { return t('members.nouser'); },
  failed: (reason) => t('members.failed', { reason }),
};

let panel = null;
let button = null;
let current = 0;

function fail(err) {
  setText(panel.querySelector('.members-error'), STRINGS.failed(err && err.message ? err.message : ''));
}

async function addByName(chatId, name) {
  const res = await request('GET', `/api/users?q=${encodeURIComponent(name)}`);
  const u = (res.users || []).find((x) => x.username.toLowerCase() === name.toLowerCase());
  if (!u) { setText(panel.querySelector('.members-error'), STRINGS.noUser); return; }
  const chat = await request('POST', `/api/chats/${chatId}/members`, { user_ids: [u.id] });
  if (chat) store.upsertChat(chat);
}

function build(chat) {
  const me = store.state.me ? store.state.me.id : 0;
  const owner = chat.owner_id === me;
  const items = (chat.members || []).map((u) => h('li', { class: 'member', testid: 'member-item', 'data-user-id': u.id },
    h('span', { class: 'member-name', text: u.username }),
    u.id === chat.owner_id ? h('span', { class: 'member-owner', text: ` (${STRINGS.owner})` }) : null,
    owner && u.id !== me ? h('button', {
      type: 'button', class: 'mini', testid: 'member-remove', text: STRINGS.remove,
      onclick: () => request('DELETE', `/api/chats/${chat.id}/members/${u.id}`).catch(fail),
    }) : null));
  const addInput = h('input', { type: 'text', testid: 'member-add-input', placeholder: STRINGS.addPlaceholder,
    'aria-label': STRINGS.addPlaceholder, autocomplete: 'off' });
  const addForm = h('form', { class: 'member-add', onsubmit: (e) => {
    e.preventDefault();
    const name = addInput.value.trim();
    if (name) addByName(chat.id, name).then(() => { addInput.value = ''; }).catch(fail);
  } }, addInput, h('button', { type: 'submit', class: 'mini', testid: 'member-add-submit', text: STRINGS.add }));
  const titleInput = h('input', { type: 'text', testid: 'chat-rename-input', value: chat.title || '',
    'aria-label': STRINGS.rename, maxlength: 100 });
  const rename = owner ? h('form', { class: 'chat-rename', onsubmit: (e) => {
    e.preventDefault();
    request('PATCH', `/api/chats/${chat.id}`, { title: titleInput.value }).then((c) => c && store.upsertChat(c)).catch(fail);
  } }, titleInput, h('button', { type: 'submit', class: 'mini', testid: 'chat-rename-submit', text: STRINGS.rename })) : null;
  const leave = h('button', { type: 'button', class: 'mini', testid: 'member-leave', text: STRINGS.leave,
    onclick: () => request('DELETE', `/api/chats/${chat.id}/members/${me}`).then(() => store.removeChat(chat.id)).catch(fail) });
  panel.replaceChildren(h('ul', { class: 'member-list', testid: 'member-list' }, items), addForm, rename, leave,
    h('p', { class: 'members-error', role: 'alert' }));
}

// Called where the chat header is built: shows the Members button for a
// group and keeps an open panel current.
export function renderMembers(head, chat) {
  if (!button) {
    button = h('button', { type: 'button', class: 'btn small members-btn', testid: 'members-open', text: STRINGS.open,
      'aria-expanded': 'false', onclick: () => {
        panel.hidden = !panel.hidden;
        button.setAttribute('aria-expanded', String(!panel.hidden));
        const c = store.state.chats.get(current);
        if (!panel.hidden && c) build(c);
      } });
    panel = h('div', { class: 'members-panel', testid: 'members-panel', hidden: true });
    head.append(button);
    head.after(panel);
  }
  const isGroup = chat && chat.kind === 'group';
  setText(button, STRINGS.open);
  button.hidden = !isGroup;
  if (!isGroup || (chat.id !== current)) { panel.hidden = true; button.setAttribute('aria-expanded', 'false'); }
  current = chat ? chat.id : 0;
  if (isGroup && !panel.hidden) build(chat);
}
