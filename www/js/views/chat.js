// views/chat.js -- the open chat: opens at the first unread message under a
// "New messages" divider, pages older (scroll up) and newer (scroll down)
// history, live messages, date separators, grouping, optimistic send with
// client_id and retry, "seen" marks, the jump-to-latest button and the
// chat header.  Read marking is in reading.js, keyboard moves in listkeys.js.
import { api } from '../api.js';
import { $, h, reconcile, setText } from '../dom.js';
import { log } from '../debug.js';
import { dayKey, dayLabel, ts } from '../format.js';
import { t, onLangChange } from '../i18n.js';
import * as store from '../store.js';
import { createMessage, updateMessage, startEditing } from './messages.js';
import { initListKeys, keepRoving } from './listkeys.js';
import { startReading, stopReading, watch, noteVisible, retryRead } from './reading.js';
import { renderMembers } from './members.js';
import { setOlderLoader, takeReplyTarget, resetReplyTarget } from './reply.js';

const { state } = store;
const PAGE = 50;
const CONTEXT = 20;              // read messages shown above the first unread
const GROUP_GAP = 5 * 60 * 1000; // one sender's messages closer than this form a group
// The server takes one typing notice per chat every 3 s (429 sooner); a
// little margin absorbs network jitter.
const TYPING_EVERY = 3300;
const NEAR = 80;                 // px from an edge that counts as "at" it

let goBack = () => {};
let stickBottom = true;
let lastTypingSent = 0;
const touch = () => window.matchMedia('(pointer: coarse)').matches;
let typingTimer = null;

const actions = {
  retry: (cid) => deliver(cid),
  discard: (cid) => { state.outbox.delete(cid); store.emit('messages'); },
  edit: async (id, content) => {
    try {
      const m = await api.edit(id, content);
      if (m) store.applyEvent({ type: 'message_updated', chat_id: m.chat_id, message: m }, 'local');
      return '';
    } catch (err) { return err.network ? t('msg.network') : err.message; }
  },
  remove: async (id) => {
    try {
      await api.remove(id);
      const open = state.open;
      if (open) store.applyEvent({ type: 'message_deleted', chat_id: open.chatId, message_id: id }, 'local');
      return true;
    } catch (err) { alertInChat(err.network ? t('msg.delete.network') : err.message); return false; }
  },
};

export function initChat(back) {
  goBack = back;
  setOlderLoader(async () => {
    const open = state.open;
    if (!open || !open.hasMore) return false;
    await loadOlder();
    return true;
  });
  $('back-btn').addEventListener('click', () => goBack());
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
  const input = $('message-input');
  input.addEventListener('keydown', onComposerKey);
  input.addEventListener('input', () => { autosize(); sendTyping(); });
  const list = $('message-list');
  list.addEventListener('scroll', onScroll, { passive: true });
  initListKeys(list);
  $('jump-bottom').addEventListener('click', jumpToLatest);
  store.on('messages', render);
  store.on('chats', () => { renderHead(); renderJump(); });
  store.on('unread', renderHead);
  store.on('typing', renderTyping);
  onLangChange(() => { renderHead(); if (state.open) renderNow(); renderTyping(); setHint(); });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') noteVisible(); });
  setHint();
}

// Enter sends on a keyboard; on touch screens it makes a new line (the
// Send button sends), as people expect from phone messengers.
function onComposerKey(e) {
  const input = e.currentTarget;
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !touch()) { e.preventDefault(); send(); return; }
  if (e.key === 'ArrowUp' && !input.value && !e.shiftKey) {
    const mine = Array.from($('message-list').querySelectorAll('.msg.mine[data-message-id]:not(.deleted)'));
    const last = mine[mine.length - 1];
    if (last) { e.preventDefault(); last.__fromComposer = true; startEditing(last); }
  }
}

function setHint() {
  setText($('composer-hint'), touch() ? t('composer.hint.touch') : t('composer.hint'));
  $('message-input').setAttribute('enterkeyhint', touch() ? 'enter' : 'send');
}

// Resolves once the chat list is there (a chat opened straight from its URL).
function chatsReady() {
  if (state.chatsLoaded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (state.chatsLoaded) { clearTimeout(timer); resolve(); } };
    const timer = setTimeout(resolve, 3000);
    store.on('chats', done);
  });
}

export async function showChat(chatId) {
  const open = state.open;
  if (open && open.chatId === chatId) return;
  store.openChat(chatId);
  startReading($('message-list'), chatId);
  resetReplyTarget(chatId);
  stickBottom = true;
  $('chat-placeholder').hidden = true;
  $('chat-placeholder').firstElementChild.dataset.i18n = 'chat.placeholder';
  setText($('chat-placeholder').firstElementChild, t('chat.placeholder'));
  $('chat-view').hidden = false;
  $('message-input').value = '';
  autosize();
  renderHead();
  await chatsReady();
  if (state.open && state.open.chatId === chatId) await loadInitial(chatId);
  if (window.matchMedia('(min-width: 701px)').matches || document.activeElement === document.body) {
    $('message-input').focus({ preventScroll: true });
  }
}

export function hideChat() {
  stopReading();
  store.closeChat();
  $('chat-view').hidden = true;
  $('chat-placeholder').hidden = false;
}

// Opening: with unread messages, the page from the first unread on plus a
// little read context above it, scrolled to the divider; else the newest.
async function loadInitial(chatId) {
  const open = state.open;
  let chat = state.chats.get(chatId);
  if (!chat || !chat.unread_count) { await loadLatest(chatId, false); return; }
  // Our read marker moves without an event that carries it (another tab or
  // device read up to somewhere; store.js marks the chat markerStale): only
  // then ask for the chat as it is now.  Otherwise the marker in hand (from
  // the chat list, a sync reload or our own reads' answers) is current.
  if (chat.markerStale) {
    try {
      chat = await api.chat(chatId);
      if (state.open !== open) return;
      store.upsertChat(chat);
    } catch (err) { loadFailed(open, err); return; }
  }
  if (!chat.unread_count) { await loadLatest(chatId, false); return; }
  const marker = chat.last_read_message_id || 0;
  // Ids are positive and shared by all chats: with no marker yet, "after 1"
  // plus "before 2" is the whole chat from its start.
  const from = Math.max(marker, 1);
  try {
    const [after, before] = await Promise.all([
      api.messages(chatId, { after: from, limit: PAGE }),
      api.messages(chatId, { before: from + 1, limit: CONTEXT }),
    ]);
    if (state.open !== open) return;
    open.hasMore = !!before.has_more;
    open.hasNewer = !!after.has_more;
    open.dividerAfter = marker;
    open.showDivider = true;
    open.loaded = true;
    open.error = null;
    stickBottom = false;
    open.scrollToDivider = true;
    store.addMessages(chatId, [...(before.messages || []), ...(after.messages || [])]);
    noteNewest();
  } catch (err) { loadFailed(open, err); }
}

// Newest page; `replace` drops what was loaded (after a sync reset).
export async function loadLatest(chatId = state.open && state.open.chatId, replace = true) {
  if (!chatId) return;
  const open = state.open;
  try {
    const res = await api.messages(chatId, { limit: PAGE });
    if (state.open !== open) return;
    if (replace || open.hasNewer) open.byId.clear();
    open.hasMore = !!res.has_more;
    open.hasNewer = false;
    open.loaded = true;
    open.error = null;
    store.addMessages(chatId, res.messages || []);
    noteNewest();
    stickBottom = true;
  } catch (err) { loadFailed(open, err); }
}

function loadFailed(open, err) {
  if (state.open !== open) return;
  if (err.status === 404) {
    goBack();
    $('chat-placeholder').firstElementChild.dataset.i18n = 'chat.missing';
    setText($('chat-placeholder').firstElementChild, t('chat.missing'));
    return;
  }
  open.error = err.network ? t('list.load.failed') : err.message;
  store.emit('messages');
}

// Messages up to here came from history, not live: not announced.
function noteNewest() {
  const msgs = store.openMessages();
  if (state.open) state.open.announced = Math.max(state.open.announced || 0, msgs.length ? msgs[msgs.length - 1].id : 0);
}

async function loadOlder() {
  const open = state.open;
  if (!open || !open.hasMore || open.loadingOlder || !open.loaded) return;
  const msgs = store.openMessages();
  if (!msgs.length) return;
  open.loadingOlder = true;
  setOlder(t('list.loading.older'));
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
    setOlder(t('list.older.failed'));
  } finally {
    open.loadingOlder = false;
  }
}

async function loadNewer() {
  const open = state.open;
  if (!open || !open.hasNewer || open.loadingNewer || !open.loaded) return;
  const msgs = store.openMessages();
  if (!msgs.length) return;
  open.loadingNewer = true;
  try {
    const res = await api.messages(open.chatId, { after: msgs[msgs.length - 1].id, limit: PAGE });
    if (state.open !== open) return;
    open.hasNewer = !!res.has_more;
    store.addMessages(open.chatId, res.messages || []);
    noteNewest();
  } catch (err) {
    log('newer page failed', err.message);
  } finally {
    open.loadingNewer = false;
  }
}

function setOlder(text) {
  const el = $('older-status');
  el.textContent = text;
  el.hidden = !text;
}

function onScroll() {
  const list = $('message-list');
  const open = state.open;
  const fromBottom = list.scrollHeight - list.scrollTop - list.clientHeight;
  stickBottom = fromBottom < NEAR && !(open && open.hasNewer);
  if (list.scrollTop < 120) loadOlder();
  if (fromBottom < 400) loadNewer();
  renderJump();
}

function scrollToBottom() {
  const list = $('message-list');
  list.scrollTop = list.scrollHeight;
  stickBottom = true;
}

async function jumpToLatest() {
  const open = state.open;
  if (open && open.hasNewer) await loadLatest(open.chatId, true);
  scrollToBottom();
  renderJump();
  const last = Array.from($('message-list').querySelectorAll('.msg')).pop();
  if (last) last.focus({ preventScroll: true });
}

// "↓" with the number of unread messages below, when not at the bottom.
function renderJump() {
  const btn = $('jump-bottom');
  const open = state.open;
  if (!open || !open.loaded) { btn.hidden = true; return; }
  const list = $('message-list');
  const away = open.hasNewer || list.scrollHeight - list.scrollTop - list.clientHeight > NEAR;
  btn.hidden = !away;
  const chat = state.chats.get(open.chatId);
  const n = chat ? chat.unread_count || 0 : 0;
  setText($('jump-count'), n > 0 ? (n > 999 ? '999+' : String(n)) : '');
  $('jump-count').hidden = n === 0;
  btn.setAttribute('aria-label', n > 0 ? t('list.jump.count', { n }) : t('list.jump'));
}

// --- sending ----------------------------------------------------------------
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

async function send() {
  const open = state.open;
  const input = $('message-input');
  const content = input.value.trim();
  if (!open || !content) return;
  if (content.length > 4000) { alertInChat(t('msg.too.long')); return; }
  const cid = uuid();
  state.outbox.set(cid, { client_id: cid, chat_id: open.chatId, content, status: 'sending', error: '', created: Date.now(),
    reply_to_id: takeReplyTarget(open.chatId) });
  input.value = '';
  autosize();
  if (open.hasNewer) await loadLatest(open.chatId, true);
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
    const m = await api.send(item.chat_id, item.content, cid, { reply_to_id: item.reply_to_id });
    log('sent', cid, '->', m && m.id);
    if (m) {
      store.confirmOutbox(m);
      store.applyEvent({ type: 'new_message', chat_id: m.chat_id, message: m }, 'local');
    }
  } catch (err) {
    const still = state.outbox.get(cid);
    if (!still) return;
    still.status = 'failed';
    still.error = err.network ? t('msg.failed.network') : t('msg.failed.reason', { reason: err.message });
    still.retryable = err.network || err.status >= 500 || err.status === 429;
    store.emit('messages');
  }
}

// After a reconnect: resend what failed for lack of a network, and the
// read marker if the server did not get it.
export function retryFailed() {
  for (const item of state.outbox.values()) if (item.status === 'failed' && item.retryable) deliver(item.client_id);
  retryRead();
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

// --- rendering ------------------------------------------------------------
// "Seen" (direct) or "Seen by N" (group) on your newest message that others
// have read up to, never on a deleted one.
function seenMarks(msgs, meId, chat) {
  const marks = Array.from((state.readMarks.get(state.open.chatId) || new Map()).values());
  if (!marks.length) return new Map();
  for (let i = msgs.length - 1; i >= 0; i -= 1) {
    const m = msgs[i];
    if (m.sender_id !== meId || m.deleted) continue;
    const n = marks.filter((r) => r >= m.id).length;
    if (!n) continue;
    return new Map([[m.id, chat && chat.kind === 'group' ? t('msg.seen.by', { n }) : t('msg.seen')]]);
  }
  return new Map();
}

// The list's items in order: day separators, the "New messages" divider,
// messages (with group starts marked) and the pending sends at the end.
function viewModels() {
  const open = state.open;
  const meId = state.me ? state.me.id : 0;
  const chat = state.chats.get(open.chatId);
  const group = !!(chat && chat.kind === 'group');
  const msgs = store.openMessages();
  const seen = seenMarks(msgs, meId, chat);
  const rows = msgs.map((m) => ({
    kind: 'msg', key: store.messageKey(m), id: m.id, mine: m.sender_id === meId, sender: m.sender_username,
    sender_id: m.sender_id, created_at: m.created_at, content: m.content, edited: m.edited_at, deleted: !!m.deleted,
    status: 'sent', error: '', client_id: m.client_id || '', seen: seen.get(m.id) || '', group,
    attachments: m.attachments || [],
    chat_id: m.chat_id, me: meId, reactions: m.reactions || [], reply_to: m.reply_to || null,
    system: m.system || null, mentioned: (m.mentions || []).includes(meId),
  }));
  for (const o of store.pendingFor(open.chatId)) {
    rows.push({ kind: 'msg', key: `c${o.client_id}`, id: 0, mine: true, sender: state.me ? state.me.username : '',
      sender_id: meId, created_at: '', content: o.content, edited: null, deleted: false, status: o.status,
      error: o.error, client_id: o.client_id, seen: '', group });
  }
  const out = [];
  let prev = null;
  let divided = !open.showDivider;
  for (const r of rows) {
    const when = r.created_at || new Date().toISOString();
    const day = dayKey(when);
    let first = !prev || prev.sender_id !== r.sender_id || ts(when) - ts(prev.when) > GROUP_GAP;
    if (!prev || prev.day !== day) { out.push({ kind: 'day', key: `d${day}`, label: dayLabel(when) }); first = true; }
    if (!divided && r.id > open.dividerAfter && !r.mine) {
      out.push({ kind: 'new', key: 'new-divider' });
      divided = true;
      first = true;
    }
    r.first = first;
    out.push(r);
    prev = { sender_id: r.sender_id, when, day };
  }
  return out;
}

function createRow(vm) {
  if (vm.kind === 'msg') return createMessage(vm, actions);
  if (vm.kind === 'new') {
    return h('div', { class: 'sep new-divider', testid: 'new-messages-divider', role: 'separator' },
      h('span', { text: t('list.new.divider') }));
  }
  return h('div', { class: 'sep day-sep', testid: 'day-separator', role: 'separator' }, h('span'));
}

function updateRow(el, vm) {
  if (vm.kind === 'msg') { updateMessage(el, vm); if (vm.id) watch(el, vm.id); return; }
  setText(el.firstChild, vm.kind === 'new' ? t('list.new.divider') : vm.label);
  el.setAttribute('aria-label', el.firstChild.textContent);
}

function render() {
  const open = state.open;
  if (!open) { $('message-list').replaceChildren(); $('jump-bottom').hidden = true; return; }
  renderNow();
}

function renderNow() {
  const open = state.open;
  const list = $('message-list');
  const wasBottom = stickBottom || list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const vms = viewModels();
  reconcile(list, vms, (vm) => vm.key, createRow, updateRow);
  keepRoving(list);
  list.classList.toggle('empty', open.loaded && vms.length === 0);
  if (open.error) setOlder(open.error);
  else if (!open.loadingOlder && $('older-status').textContent === t('list.load.failed')) setOlder('');
  if (open.scrollToDivider) {
    open.scrollToDivider = false;
    const div = list.querySelector('.new-divider');
    if (div) list.scrollTop = Math.max(0, div.offsetTop - list.offsetTop - 8);
  } else if (wasBottom && !open.hasNewer) scrollToBottom();
  announce(vms);
  renderJump();
  noteVisible();
  // A short history that does not fill the pane: fetch more right away.
  if (open.hasMore && list.scrollHeight <= list.clientHeight + 10) loadOlder();
  if (open.hasNewer && list.scrollHeight <= list.clientHeight + 10) loadNewer();
}

// Screen readers hear other people's new messages, and nothing else: the
// list itself is not live (opening a chat must not read 50 messages).
function announce(vms) {
  const open = state.open;
  let newest = open.announced || 0;
  const say = [];
  for (const vm of vms) {
    if (vm.kind !== 'msg' || !vm.id || vm.id <= newest) continue;
    if (!vm.mine && !vm.deleted) say.push(t('list.announce', { name: vm.sender, text: vm.content }));
    newest = vm.id;
  }
  open.announced = newest;
  if (say.length) setText($('announcer'), say.slice(-3).join('\n'));
}

// The chat header: title, who is in it, and on phones the back button with
// the unread count of the other chats.
export function renderHead() {
  const open = state.open;
  if (!open) return;
  const chat = state.chats.get(open.chatId);
  setText($('chat-head-title'), chat ? chat.title : '…');
  let sub = '';
  if (chat && chat.kind === 'group') {
    const names = (chat.members || []).map((u) => u.username);
    sub = t('chat.members', { n: names.length, names: names.join(', ') });
  } else if (chat) sub = t('chat.direct');
  setText($('chat-head-sub'), sub);
  const others = Math.max(0, (state.totalUnread || 0) - (chat ? chat.unread_count || 0 : 0));
  const badge = $('back-badge');
  setText(badge, others > 999 ? '999+' : String(others));
  badge.hidden = others === 0;
  $('back-btn').setAttribute('aria-label', others ? t('chat.back.unread', { n: others }) : t('chat.back'));
  renderMembers(document.querySelector('.chat-head'), chat);
}

function renderTyping() {
  const open = state.open;
  const names = open ? store.typingNames(open.chatId) : [];
  let text = '';
  if (names.length === 1) text = t('typing.one', { a: names[0] });
  else if (names.length === 2) text = t('typing.two', { a: names[0], b: names[1] });
  else if (names.length > 2) text = t('typing.many');
  setText($('typing'), text);
}
