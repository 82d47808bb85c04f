// views/chatlist.js -- the list of chats: title, preview, time, badge,
// most recent activity first; and the tab title "(N) Parley".
import { $, h, reconcile, setText } from '../dom.js';
import { shortTime, fullTime, initial } from '../format.js';
import { state, on, sortedChats } from '../store.js';
import { pageUrl } from '../base.js';
import { renderMentionMarker } from './mentions.js';

let openChatRoute = () => {};

export function initChatList(navigateToChat) {
  openChatRoute = navigateToChat;
  on('chats', render);
  on('messages', render);   // the open chat is highlighted
  on('unread', renderTitle);
}

export function previewText(chat) {
  const m = chat.last_message;
  if (!m) return chat.kind === 'group' ? 'Group created' : 'No messages yet';
  if (m.deleted) return 'Message deleted';
  const mine = state.me && m.sender_id === state.me.id;
  const prefix = mine ? 'You: ' : (chat.kind === 'group' && m.sender_username ? `${m.sender_username}: ` : '');
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
  const title = chat.title || 'Chat';
  const preview = previewText(chat);
  const when = (chat.last_message && chat.last_message.created_at) || chat.updated_at;
  const unread = chat.unread_count || 0;
  const active = state.open && state.open.chatId === chat.id;
  li.classList.toggle('active', !!active);
  li.classList.toggle('unread', unread > 0);
  li.classList.toggle('deleted-preview', !!(chat.last_message && chat.last_message.deleted));
  const link = li.firstChild;
  if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  link.setAttribute('aria-label', `${title}${unread ? `, ${unread} unread` : ''}: ${preview}`);
  setText(li.querySelector('.avatar'), initial(title));
  li.querySelector('.avatar').classList.toggle('group', chat.kind === 'group');
  setText(li.querySelector('.chat-title'), title);
  setText(li.querySelector('.chat-preview'), preview);
  const t = li.querySelector('.chat-time');
  setText(t, shortTime(when));
  t.setAttribute('datetime', when || '');
  t.title = fullTime(when);
  const slot = li.querySelector('.badge-slot');
  let badge = slot.querySelector('.unread-badge');
  if (unread > 0) {
    if (!badge) {
      badge = h('span', { class: 'unread-badge', testid: 'unread-badge' });
      slot.append(badge);
    }
    setText(badge, unread > 999 ? '999+' : String(unread));
    badge.setAttribute('aria-label', `${unread} unread`);
  } else if (badge) {
    badge.remove();
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
  const n = state.totalUnread || 0;
  const want = n > 0 ? `(${n}) Parley` : 'Parley';
  if (document.title !== want) document.title = want;
}
