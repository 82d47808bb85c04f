// store.js -- the page's state and the one place where server events are
// applied.  WebSocket events and /api/sync changes go through applyEvent(),
// which is idempotent: an event seen twice (live and again in a sync), or a
// message that arrives both as the POST answer and as new_message, changes
// nothing the second time.  Unread counts are always the server's absolute
// values, never counted locally.
import { ts } from './format.js';
import { log } from './debug.js';
import { t } from './i18n.js';

export const state = {
  me: null,                 // {id, username}
  chats: new Map(),         // id -> Chat (docs/api.md shape)
  chatsLoaded: false,
  totalUnread: 0,
  applied: new Set(),       // "type:seq" of events already applied
  open: null,               // the open chat, see openChat()
  outbox: new Map(),        // client_id -> {client_id, chat_id, content, status, error, created}
  confirmedKey: new Map(),  // message id -> render key of the pending entry it replaced
  typing: new Map(),        // chat id -> Map user id -> {username, until}
  readMarks: new Map(),     // chat id -> Map user id -> last_read_message_id (others)
};

// --- change notification -------------------------------------------------
const listeners = new Map();
const dirty = new Set();
let flushQueued = false;

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, []);
  listeners.get(topic).push(fn);
}

// Topics: 'chats', 'messages', 'unread', 'typing'.  Batched per microtask.
export function emit(topic) {
  dirty.add(topic);
  if (flushQueued) return;
  flushQueued = true;
  queueMicrotask(() => {
    flushQueued = false;
    const topics = Array.from(dirty);
    dirty.clear();
    for (const t of topics) for (const fn of listeners.get(t) || []) fn();
  });
}

// Hooks called after each new event was applied: fn(ev, source), source
// 'ws' (live), 'sync' or 'local' (views/notify.js notifies on live ones).
const appliedHooks = [];
export function onApplied(fn) { appliedHooks.push(fn); }

// Mute is the user's own flag on the chat (views/notify.js).
export function setMuted(chatId, muted) {
  const chat = state.chats.get(chatId);
  if (!chat || chat.muted === muted) return;
  chat.muted = muted;
  emit('chats'); emit('unread');
}

// Hook set by the app: fetch a chat we hear about but do not know yet.
let fetchChat = () => {};
export function setChatFetcher(fn) { fetchChat = fn; }

// --- chats -----------------------------------------------------------------
export function resetAll() {
  state.me = null;
  state.chats.clear();
  state.chatsLoaded = false;
  state.totalUnread = 0;
  state.applied.clear();
  state.open = null;
  state.outbox.clear();
  state.confirmedKey.clear();
  state.typing.clear();
  state.readMarks.clear();
  emit('chats'); emit('messages'); emit('unread'); emit('typing');
}

export function setChats(list) {
  state.chats.clear();
  for (const c of list) { state.chats.set(c.id, c); seedReadMarks(c); }
  state.chatsLoaded = true;
  state.totalUnread = list.reduce((n, c) => n + (c.unread_count || 0), 0);
  emit('chats'); emit('unread');
}

// Other members' read markers as the server lists them with each chat
// (members[].last_read_message_id): "Seen" is right after a reload too.
// Markers only move forward, so a live read_receipt is never undone.
function seedReadMarks(chat) {
  if (!chat || !Array.isArray(chat.members)) return;
  const meId = state.me ? state.me.id : 0;
  let marks = state.readMarks.get(chat.id);
  for (const u of chat.members) {
    if (u.id === meId || typeof u.last_read_message_id !== 'number') continue;
    if (!marks) { marks = new Map(); state.readMarks.set(chat.id, marks); }
    if ((marks.get(u.id) || 0) < u.last_read_message_id) marks.set(u.id, u.last_read_message_id);
  }
}

export function upsertChat(chat) {
  const old = state.chats.get(chat.id);
  if (old && old.last_message && chat.last_message && old.last_message.id > chat.last_message.id) {
    chat = { ...chat, last_message: old.last_message, updated_at: maxTime(old.updated_at, chat.updated_at) };
  }
  // A whole Chat (not chat_updated's shared fields) carries our read marker
  // as the server has it now.
  const fresh = typeof chat.last_read_message_id === 'number' ? { markerStale: false } : {};
  state.chats.set(chat.id, { ...(old || {}), ...chat, ...fresh });
  seedReadMarks(chat);
  emit('chats');
}

// The chat is gone for us (we left or were removed): drop it everywhere.
let chatRemoved = () => {};
export function setChatRemovedHook(fn) { chatRemoved = fn; }
export function removeChat(chatId) {
  if (!state.chats.delete(chatId)) return;
  state.typing.delete(chatId);
  state.readMarks.delete(chatId);
  for (const [cid, o] of state.outbox) if (o.chat_id === chatId) state.outbox.delete(cid);
  if (state.open && state.open.chatId === chatId) chatRemoved(chatId);
  emit('chats'); emit('messages');
}

export function sortedChats() {
  return Array.from(state.chats.values()).sort((a, b) =>
    (ts(b.updated_at) - ts(a.updated_at)) || (b.id - a.id));
}

// mentions (optional): the server's mention_count for the chat, which
// replaces the page's own tally (raised by live new_message events) since
// only the server sees edits and deletions that add or take back a mention.
export function setUnread(chatId, unread, total, mentions) {
  const chat = state.chats.get(chatId);
  if (chat && typeof unread === 'number' && chat.unread_count !== unread) {
    chat.unread_count = unread;
    if (unread === 0) chat.mention_count = 0;
    emit('chats');
  }
  if (chat && typeof mentions === 'number' && (chat.mention_count || 0) !== mentions) {
    chat.mention_count = mentions;
    emit('chats');
  }
  if (typeof total === 'number' && total !== state.totalUnread) {
    state.totalUnread = total;
    emit('unread');
  }
}

// Badges and "@" markers from a sync answer read at `seq`: every chat's
// unread and mention counts, and the total.  `live` (endLiveWindow()) holds
// the live events applied while that answer was on its way: a chat that got
// one newer than the answer keeps the event's counts, which are fresher.
export function setAllUnread(rows, total, seq = 0, live = null) {
  const newer = (chatId) => live && (live.chats.get(chatId) || 0) > seq;
  for (const r of rows || []) {
    if (!state.chats.has(r.id) && state.chatsLoaded) fetchChat(r.id);
    if (newer(r.id)) { log('sync: chat', r.id, 'has a newer live event; its counts stay'); continue; }
    setUnread(r.id, r.unread_count, undefined, r.mention_count);
  }
  if (typeof total === 'number' && !(live && live.maxSeq > seq)) setUnread(null, undefined, total);
}

// The live window: sync.js opens it before its requests and closes it when
// the answers are in.  Live events applied meanwhile are recorded (their
// dedup keys, and per chat the newest seq), because an answer read on the
// server before them would otherwise put old rows or old counts back over
// them (setChats, setAllUnread).
let liveWindow = null;
export function beginLiveWindow() { liveWindow = { keys: [], chats: new Map(), maxSeq: 0 }; }
export function endLiveWindow() {
  const w = liveWindow || { keys: [], chats: new Map(), maxSeq: 0 };
  liveWindow = null;
  return w;
}

// Forget that these events were applied, so the next sync applies them
// again (onto rows setChats() just replaced).
export function forgetApplied(keys) {
  for (const k of keys) state.applied.delete(k);
}

function maxTime(a, b) { return ts(a) >= ts(b) ? a : b; }

// --- messages ----------------------------------------------------------------
// Merge two versions of one message: a tombstone wins, then the later edit.
export function mergeMessage(old, m) {
  if (!old) return m;
  if (old.deleted && !m.deleted) return old;
  if (m.deleted && !old.deleted) return m;
  return ts(m.edited_at) >= ts(old.edited_at) ? { ...old, ...m } : old;
}

function touchChatWithMessage(chatId, m) {
  const chat = state.chats.get(chatId);
  if (!chat) return false;
  const last = chat.last_message;
  if (!last || m.id >= last.id) {
    chat.last_message = last && last.id === m.id ? mergeMessage(last, m) : m;
    chat.updated_at = maxTime(chat.updated_at, m.created_at);
  }
  emit('chats');
  return true;
}

// The open chat: server messages by id, plus pending sends from the outbox.
export function openChat(chatId) {
  // hasNewer: the loaded page ends before the newest message (opened at the
  // first unread); live messages are then fetched by scrolling, not added.
  state.open = { chatId, byId: new Map(), hasMore: false, hasNewer: false, loaded: false, loadingOlder: false,
    loadingNewer: false, error: null, dividerAfter: 0, showDivider: false, announced: 0, scrollToDivider: false };
  emit('messages'); emit('typing');
}

export function closeChat() {
  state.open = null;
  emit('messages'); emit('typing');
}

export function addMessages(chatId, list) {
  const open = state.open;
  if (!open || open.chatId !== chatId) return;
  for (const m of list) {
    open.byId.set(m.id, mergeMessage(open.byId.get(m.id), m));
    confirmOutbox(m);
  }
  emit('messages');
}

// A server message with our client_id settles the pending entry (whichever
// comes first: the POST answer or the new_message event).
export function confirmOutbox(m) {
  if (!m.client_id || !state.me || m.sender_id !== state.me.id) return;
  const item = state.outbox.get(m.client_id);
  if (!item || item.chat_id !== m.chat_id) return;
  state.outbox.delete(m.client_id);
  state.confirmedKey.set(m.id, `c${m.client_id}`);
  emit('messages');
}

export function messageKey(m) {
  return state.confirmedKey.get(m.id) || `m${m.id}`;
}

export function openMessages() {
  const open = state.open;
  if (!open) return [];
  return Array.from(open.byId.values()).sort((a, b) => a.id - b.id);
}

export function pendingFor(chatId) {
  return Array.from(state.outbox.values()).filter((o) => o.chat_id === chatId)
    .sort((a, b) => a.created - b.created);
}

function updateMessage(chatId, m) {
  const chat = state.chats.get(chatId);
  if (chat && chat.last_message && chat.last_message.id === m.id) {
    chat.last_message = mergeMessage(chat.last_message, m);
    emit('chats');
  }
  const open = state.open;
  if (open && open.chatId === chatId && open.byId.has(m.id)) {
    open.byId.set(m.id, mergeMessage(open.byId.get(m.id), m));
    emit('messages');
  }
}

// --- events --------------------------------------------------------------
// Returns true when the event was new.
export function applyEvent(ev, source = 'ws') {
  if (!ev || typeof ev.type !== 'string') return false;
  if (ev.seq) {
    const key = `${ev.type}:${ev.seq}:${ev.chat_id ?? ''}`;
    if (state.applied.has(key)) { log('skip seen', key, source); return false; }
    state.applied.add(key);
    if (liveWindow && source === 'ws') {
      const cid = ev.chat_id ?? (ev.message && ev.message.chat_id);
      liveWindow.keys.push(key);
      liveWindow.maxSeq = Math.max(liveWindow.maxSeq, ev.seq);
      if (cid) liveWindow.chats.set(cid, Math.max(liveWindow.chats.get(cid) || 0, ev.seq));
    }
    if (state.applied.size > 5000) state.applied.delete(state.applied.values().next().value);
  }
  log('event', source, ev.type, ev.seq ?? '', ev);
  const chatId = ev.chat_id ?? (ev.message && ev.message.chat_id);
  switch (ev.type) {
    case 'new_message': {
      const m = ev.message;
      if (!m) break;
      if (!touchChatWithMessage(chatId, m)) fetchChat(chatId);
      if (!(state.open && state.open.chatId === chatId && state.open.hasNewer)) addMessages(chatId, [m]);
      confirmOutbox(m);
      clearTyping(chatId, m.sender_id);
      if (ev.mentioned && state.chats.has(chatId)) {
        const c = state.chats.get(chatId);
        c.mention_count = (c.mention_count || 0) + 1;
      }
      setUnread(chatId, ev.unread_count, ev.total_unread);
      break;
    }
    case 'message_updated':
      if (ev.message) updateMessage(chatId, ev.message);
      break;
    case 'message_deleted': {
      const id = ev.message_id ?? (ev.message && ev.message.id);
      const open = state.open;
      const base = (open && open.chatId === chatId && open.byId.get(id))
        || (state.chats.get(chatId)?.last_message?.id === id && state.chats.get(chatId).last_message);
      if (base) updateMessage(chatId, { ...base, deleted: true, content: null });
      setUnread(chatId, ev.unread_count, ev.total_unread);
      break;
    }
    case 'chat_created':
      if (ev.chat) upsertChat(ev.chat);
      break;
    case 'unread_update': {
      // Our read marker moved somewhere else (another tab or device), and
      // the event does not say where: opening the chat asks for it
      // (views/chat.js).  Our own read's event brings the count the POST
      // answer already set, so it does not count.
      const c = state.chats.get(chatId);
      if (c && typeof ev.unread_count === 'number' && c.unread_count !== ev.unread_count) c.markerStale = true;
      setUnread(chatId, ev.unread_count, ev.total_unread);
      break;
    }
    case 'read_receipt': {
      if (state.me && ev.user_id === state.me.id) {
        const chat = state.chats.get(chatId);
        if (chat && (chat.last_read_message_id || 0) < ev.last_read_message_id) {
          chat.last_read_message_id = ev.last_read_message_id;
          emit('chats');
        }
        break;
      }
      if (!state.readMarks.has(chatId)) state.readMarks.set(chatId, new Map());
      const marks = state.readMarks.get(chatId);
      if ((marks.get(ev.user_id) || 0) < ev.last_read_message_id) marks.set(ev.user_id, ev.last_read_message_id);
      emit('messages');
      break;
    }
    case 'reaction_updated': {
      const open = state.open;
      const base = (open && open.chatId === chatId && open.byId.get(ev.message_id))
        || (state.chats.get(chatId)?.last_message?.id === ev.message_id && state.chats.get(chatId).last_message);
      if (base) updateMessage(chatId, { ...base, reactions: ev.reactions || [] });
      break;
    }
    case 'chat_updated':
      // Only the shared fields come; a chat we do not hold is fetched whole.
      if (ev.chat && state.chats.has(ev.chat.id)) upsertChat(ev.chat);
      else if (ev.chat) fetchChat(ev.chat.id);
      break;
    case 'chat_removed':
      removeChat(chatId);
      break;
    case 'typing':
      if (state.me && ev.user_id === state.me.id) break;
      setTyping(chatId, ev.user_id, ev.username);
      break;
    case 'chat_muted':
      setMuted(chatId, !!ev.muted);
      break;
    case 'presence':     // views/presence.js keeps these
      break;
    default:
      log('unknown event', ev.type);
      return false;
  }
  for (const fn of appliedHooks) fn(ev, source);
  return true;
}

// --- typing ----------------------------------------------------------------
const TYPING_SHOWN = 5000;
function setTyping(chatId, userId, username) {
  if (!state.typing.has(chatId)) state.typing.set(chatId, new Map());
  state.typing.get(chatId).set(userId, { username: username || t('someone'), until: Date.now() + TYPING_SHOWN });
  emit('typing');
  setTimeout(() => emit('typing'), TYPING_SHOWN + 50);
}

function clearTyping(chatId, userId) {
  const m = state.typing.get(chatId);
  if (m && m.delete(userId)) emit('typing');
}

export function typingNames(chatId) {
  const m = state.typing.get(chatId);
  if (!m) return [];
  const now = Date.now();
  const names = [];
  for (const [uid, t] of m) {
    if (t.until > now) names.push(t.username); else m.delete(uid);
  }
  return names;
}
