// views/chat.js -- the open chat: history (older pages on scroll-up), live
// messages, optimistic send with client_id and retry, edit/delete, read
// marking and the typing indicator.
import { api } from '../api.js';
import { $, reconcile, setText } from '../dom.js';
import { log } from '../debug.js';
import * as store from '../store.js';
import { createMessage, updateMessage } from './messages.js';

const { state } = store;
const PAGE = 50;
// The server takes one typing notice per chat every 3 s (429 sooner); a
// little margin absorbs network jitter.
const TYPING_EVERY = 3300;

let goBack = () => {};
let stickBottom = true;
let lastTypingSent = 0;
let typingTimer = null;
let readTimer = null;
let readInFlight = false;

const actions = {
  retry: (cid) => deliver(cid),
  discard: (cid) => { state.outbox.delete(cid); store.emit('messages'); },
  edit: async (id, content) => {
    try {
      const m = await api.edit(id, content);
      if (m) store.applyEvent({ type: 'message_updated', chat_id: m.chat_id, message: m }, 'local');
      return '';
    } catch (err) { return err.network ? 'Could not reach the server. Try again.' : err.message; }
  },
  remove: async (id) => {
    try {
      await api.remove(id);
      const open = state.open;
      if (open) store.applyEvent({ type: 'message_deleted', chat_id: open.chatId, message_id: id }, 'local');
      return true;
    } catch (err) { alertInChat(err.network ? 'Could not reach the server; the message was not deleted.' : err.message); return false; }
  },
};

export function initChat(back) {
  goBack = back;
  $('back-btn').addEventListener('click', () => goBack());
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
  const input = $('message-input');
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  input.addEventListener('input', () => { autosize(); sendTyping(); });
  const list = $('message-list');
  list.addEventListener('scroll', onScroll, { passive: true });
  $('jump-bottom').addEventListener('click', () => { scrollToBottom(); $('jump-bottom').hidden = true; });
  store.on('messages', render);
  store.on('chats', () => { renderHead(); maybeRead(); });
  store.on('typing', renderTyping);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') maybeRead(true); });
  window.addEventListener('focus', () => maybeRead());
}

export async function showChat(chatId) {
  const open = state.open;
  if (open && open.chatId === chatId) return;
  store.openChat(chatId);
  stickBottom = true;
  $('chat-placeholder').hidden = true;
  setText($('chat-placeholder').firstElementChild, 'Select a chat to start messaging');
  $('chat-view').hidden = false;
  $('message-input').value = '';
  autosize();
  renderHead();
  await loadLatest(chatId, false);
  if (window.matchMedia('(min-width: 701px)').matches || document.activeElement === document.body) {
    $('message-input').focus({ preventScroll: true });
  }
}

export function hideChat() {
  store.closeChat();
  $('chat-view').hidden = true;
  $('chat-placeholder').hidden = false;
}

// Newest page; `replace` drops what was loaded (after a sync reset).
export async function loadLatest(chatId = state.open && state.open.chatId, replace = true) {
  if (!chatId) return;
  const open = state.open;
  try {
    const res = await api.messages(chatId, { limit: PAGE });
    if (state.open !== open) return;
    if (replace) open.byId.clear();
    open.hasMore = !!res.has_more;
    open.loaded = true;
    open.error = null;
    store.addMessages(chatId, res.messages || []);
    stickBottom = true;
    maybeRead(true);
  } catch (err) {
    if (state.open !== open) return;
    if (err.status === 404) {
      goBack();
      setText($('chat-placeholder').firstElementChild, 'That chat does not exist, or you are not a member of it.');
      return;
    }
    open.error = err.network ? 'Could not load messages (offline). They will load when the connection is back.' : err.message;
    store.emit('messages');
  }
}

async function loadOlder() {
  const open = state.open;
  if (!open || !open.hasMore || open.loadingOlder || !open.loaded) return;
  const msgs = store.openMessages();
  if (!msgs.length) return;
  open.loadingOlder = true;
  setOlder('Loading earlier messages…');
  const list = $('message-list');
  try {
    const res = await api.messages(open.chatId, { before: msgs[0].id, limit: PAGE });
    if (state.open !== open) return;
    open.hasMore = !!res.has_more;
    const before = list.scrollHeight - list.scrollTop;
    for (const m of res.messages || []) open.byId.set(m.id, store.mergeMessage(open.byId.get(m.id), m));
    renderNow();
    list.scrollTop = list.scrollHeight - before;
    setOlder('');
  } catch (err) {
    setOlder('Could not load earlier messages.');
  } finally {
    open.loadingOlder = false;
  }
}

function setOlder(text) {
  const el = $('older-status');
  el.textContent = text;
  el.hidden = !text;
}

function onScroll() {
  const list = $('message-list');
  stickBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  if (stickBottom) $('jump-bottom').hidden = true;
  if (list.scrollTop < 120) loadOlder();
}

function scrollToBottom() {
  const list = $('message-list');
  list.scrollTop = list.scrollHeight;
  stickBottom = true;
}

// --- sending ----------------------------------------------------------------
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function send() {
  const open = state.open;
  const input = $('message-input');
  const content = input.value.trim();
  if (!open || !content) return;
  if (content.length > 4000) { alertInChat('A message can be at most 4000 characters.'); return; }
  const cid = uuid();
  state.outbox.set(cid, { client_id: cid, chat_id: open.chatId, content, status: 'sending', error: '', created: Date.now() });
  input.value = '';
  autosize();
  stickBottom = true;
  store.emit('messages');
  deliver(cid);
}

async function deliver(cid) {
  const item = state.outbox.get(cid);
  if (!item) return;
  item.status = 'sending';
  item.error = '';
  store.emit('messages');
  try {
    const m = await api.send(item.chat_id, item.content, cid);
    log('sent', cid, '->', m && m.id);
    if (m) {
      store.confirmOutbox(m);
      store.applyEvent({ type: 'new_message', chat_id: m.chat_id, message: m }, 'local');
    }
  } catch (err) {
    const still = state.outbox.get(cid);
    if (!still) return;
    still.status = 'failed';
    still.error = err.network ? 'Not sent (no connection).' : `Not sent: ${err.message}`;
    still.retryable = err.network || err.status >= 500 || err.status === 429;
    store.emit('messages');
  }
}

// After a reconnect: resend what failed for lack of a network.
export function retryFailed() {
  for (const item of state.outbox.values()) if (item.status === 'failed' && item.retryable) deliver(item.client_id);
}

function sendTyping() {
  const open = state.open;
  if (!open || !$('message-input').value.trim()) return;
  const now = Date.now();
  // Too soon after the last notice: send one when allowed, if still typing.
  if (now - lastTypingSent < TYPING_EVERY) {
    if (!typingTimer) typingTimer = setTimeout(() => { typingTimer = null; sendTyping(); }, lastTypingSent + TYPING_EVERY - now);
    return;
  }
  lastTypingSent = now;
  api.typing(open.chatId).catch(() => {});
}

function autosize() {
  const el = $('message-input');
  el.style.height = 'auto';
  el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
}

function alertInChat(text) {
  setOlder(text);
  setTimeout(() => { if ($('older-status').textContent === text) setOlder(''); }, 5000);
}

// --- read marking -------------------------------------------------------------
// The open chat is read while the tab is visible: on opening, when new
// messages arrive, when the tab becomes visible again.
function maybeRead(force = false) {
  const open = state.open;
  if (!open || !open.loaded || document.visibilityState !== 'visible') return;
  const chat = state.chats.get(open.chatId);
  const unread = chat ? chat.unread_count || 0 : 0;
  if (!force && unread === 0) return;
  const chatId = open.chatId;
  clearTimeout(readTimer);
  readTimer = setTimeout(() => markRead(chatId), 100);
}

async function markRead(chatId) {
  if (readInFlight) { readTimer = setTimeout(() => markRead(chatId), 200); return; }
  if (!state.open || state.open.chatId !== chatId) return;
  readInFlight = true;
  try {
    const r = await api.read(chatId);
    if (r) store.setUnread(r.chat_id ?? chatId, r.unread_count, r.total_unread);
  } catch (err) {
    log('read failed', err.message);
  } finally {
    readInFlight = false;
  }
}

// --- rendering ------------------------------------------------------------
function viewModels() {
  const open = state.open;
  const meId = state.me ? state.me.id : 0;
  const marks = state.readMarks.get(open.chatId);
  const otherRead = marks ? Math.max(0, ...marks.values()) : 0;
  const msgs = store.openMessages();
  let seenId = 0;
  for (const m of msgs) if (m.sender_id === meId && m.id <= otherRead) seenId = m.id;
  const vms = msgs.map((m) => ({
    key: store.messageKey(m), id: m.id, mine: m.sender_id === meId, sender: m.sender_username,
    created_at: m.created_at, content: m.content, edited: m.edited_at, deleted: !!m.deleted,
    status: 'sent', error: '', client_id: m.client_id || '', seen: m.id === seenId,
  }));
  for (const o of store.pendingFor(open.chatId)) {
    vms.push({ key: `c${o.client_id}`, id: 0, mine: true, sender: state.me ? state.me.username : '',
      created_at: '', content: o.content, edited: null, deleted: false, status: o.status, error: o.error,
      client_id: o.client_id, seen: false });
  }
  return vms;
}

let lastNewest = '';
function render() {
  const open = state.open;
  if (!open) { $('message-list').replaceChildren(); lastNewest = ''; $('jump-bottom').hidden = true; return; }
  renderNow();
  maybeRead();
}

function renderNow() {
  const open = state.open;
  const list = $('message-list');
  const wasBottom = stickBottom || list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const vms = viewModels();
  reconcile(list, vms, (vm) => vm.key, (vm) => createMessage(vm, actions), updateMessage);
  list.classList.toggle('empty', open.loaded && vms.length === 0);
  if (open.error) setOlder(open.error);
  else if (!open.loadingOlder && $('older-status').textContent.startsWith('Could not load messages')) setOlder('');
  const newest = vms.length ? vms[vms.length - 1].key : '';
  if (wasBottom) scrollToBottom();
  else if (newest !== lastNewest && lastNewest) $('jump-bottom').hidden = false;
  lastNewest = newest;
  // A short history that does not fill the pane: fetch older right away.
  if (open.hasMore && list.scrollHeight <= list.clientHeight + 10) loadOlder();
}

function renderHead() {
  const open = state.open;
  if (!open) return;
  const chat = state.chats.get(open.chatId);
  setText($('chat-head-title'), chat ? chat.title : '…');
  let sub = '';
  if (chat && chat.kind === 'group') {
    const names = (chat.members || []).map((u) => u.username);
    sub = `${names.length} members: ${names.join(', ')}`;
  } else if (chat) sub = 'Direct message';
  setText($('chat-head-sub'), sub);
}

function renderTyping() {
  const open = state.open;
  const names = open ? store.typingNames(open.chatId) : [];
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = 'Several people are typing…';
  setText($('typing'), text);
}
