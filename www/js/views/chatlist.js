// views/chatlist.js -- the list of chats: title, preview, time, badge,
// most recent activity first; and the tab title "(N) Parley".
import { $, h, reconcile, setText } from '../dom.js';
import { shortTime, fullTime } from '../format.js';
import { paintAvatar } from '../avatar.js';
import { t } from '../i18n.js';
import { state, on, sortedChats } from '../store.js';
import { pageUrl } from '../base.js';
import { renderMentionMarker } from './mentions.js';

let openChatRoute = () => {};

export function initChatList(navigateToChat) {
  openChatRoute = navigateToChat;
  on('chats', render);
  on('messages', render);   // the open chat is highlighted
  on('unread', renderTitle);
  on('chats', renderTitle);
}

export function previewText(chat) {
  const m = chat.last_message;
  if (!m) return chat.kind === 'group' ? t('chat.group.created') : t('chat.none');
  if (m.deleted) return t('msg.deleted');
  const mine = state.me && m.sender_id === state.me.id;
  const prefix = mine ? t('chat.you.prefix') : (chat.kind === 'group' && m.sender_username ? `${m.sender_username}: ` : '');
  return prefix + String(m.content || '').replace(/\s+/g, ' ');
}

function createItem(chat) {
  const link = h('a', { class: 'chat-link', href: pageUrl(`/chats/${chat.id}`) },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }),
    h('span', { class: 'chat-main' },
      h('span', { class: 'chat-row' },
        h('span', { class: 'chat-title', testid: 'chat-title' }),
        h('time', { class: 'chat-time' })),
      h('span', { class: 'chat-row' },
        h('span', { class: 'chat-preview', testid: 'chat-preview' }),
        h('span', { class: 'badge-slot' }))));
  link.addEventListener('click', (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    openChatRoute(chat.id);
  });
  return h('li', { class: 'chat-item', testid: 'chat-item', dataset: { chatId: String(chat.id) } }, link);
}

function updateItem(li, chat) {
  const title = chat.title || t('chat.default');
  const preview = previewText(chat);
  const when = (chat.last_message && chat.last_message.created_at) || chat.updated_at;
  const unread = chat.unread_count || 0;
  const active = state.open && state.open.chatId === chat.id;
  li.classList.toggle('active', !!active);
  li.classList.toggle('unread', unread > 0);
  li.classList.toggle('muted', !!chat.muted);
  li.classList.toggle('deleted-preview', !!(chat.last_message && chat.last_message.deleted));
  const link = li.firstChild;
  if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  // A direct chat shows the other person's colour, a group its own.
  const other = chat.kind === 'direct' && (chat.members || []).find((u) => !state.me || u.id !== state.me.id);
  paintAvatar(li.querySelector('.avatar'), other ? other.id : -chat.id, title);
  setText(li.querySelector('.chat-title'), title);
  setText(li.querySelector('.chat-preview'), preview);
  const tm = li.querySelector('.chat-time');
  setText(tm, shortTime(when));
  tm.setAttribute('datetime', when || '');
  tm.title = fullTime(when);
  const slot = li.querySelector('.badge-slot');
  let badge = slot.querySelector('.unread-badge');
  if (unread > 0) {
    if (!badge) {
      badge = h('span', { class: 'unread-badge', testid: 'unread-badge' });
      slot.append(badge, h('span', { class: 'sr-only' }));
    }
    setText(badge, unread > 999 ? '999+' : String(unread));
    // Read as part of the link's name: "Title 12:30 Preview 3 unread".
    setText(badge.nextSibling, ` ${t('chat.unread.word')}`);
    badge.classList.toggle('muted', !!chat.muted);   // grey: counted, not announced
  } else if (badge) {
    slot.replaceChildren();
  }
  renderMentionMarker(slot, chat);
}

function render() {
  const list = $('chat-list');
  const chats = sortedChats();
  reconcile(list, chats, (c) => c.id, createItem, updateItem);
  $('chat-list-empty').hidden = !state.chatsLoaded || chats.length > 0;
}

export function renderTitle() {
  // Muted chats keep their badge but do not count in the title.
  let n = state.totalUnread || 0;
  for (const c of state.chats.values()) if (c.muted) n -= c.unread_count || 0;
  n = Math.max(0, n);
  const want = n > 0 ? t('app.title.unread', { n }) : t('app.title');
  if (document.title !== want) document.title = want;
}
