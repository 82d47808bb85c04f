// views/reading.js -- messages count as read when they come into view, not
// when the chat opens.  An IntersectionObserver on the message list sees
// which messages are on screen while the tab is visible; the newest of them
// becomes the read marker (POST /api/chats/{id}/read {message_id}), so the
// badge counts down as the user scrolls.  A marker the server did not get
// (offline) is sent again by retryRead() after a reconnect.
import { api } from '../api.js';
import { log } from '../debug.js';
import * as store from '../store.js';

const { state } = store;
const FLUSH_AFTER = 250;

let observer = null;
let chatId = 0;
const onScreen = new Set();   // ids of messages now visible
let wanted = 0;               // newest id seen, not yet confirmed by the server
let timer = null;
let inFlight = false;

export function startReading(list, id) {
  stopReading();
  chatId = id;
  observer = new IntersectionObserver(onChange, { root: list, threshold: 0.5 });
}

export function stopReading() {
  if (observer) observer.disconnect();
  observer = null;
  onScreen.clear();
  wanted = 0;
  chatId = 0;
  clearTimeout(timer);
  timer = null;
}

// Called for each rendered message with a server id.
export function watch(el, id) {
  if (!observer || !id || el.__watched === id) return;
  el.__watched = id;
  observer.observe(el);
}

function marker() {
  const chat = state.chats.get(chatId);
  return chat ? chat.last_read_message_id || 0 : 0;
}

function onChange(entries) {
  for (const e of entries) {
    const id = Number(e.target.dataset.messageId || 0);
    if (!id) continue;
    if (e.isIntersecting) onScreen.add(id); else onScreen.delete(id);
  }
  noteVisible();
}

// The tab became visible, or the list changed: count what is on screen.
export function noteVisible() {
  if (!chatId || document.visibilityState !== 'visible' || !onScreen.size) return;
  const newest = Math.max(...onScreen);
  if (newest <= marker() || newest <= wanted) return;
  wanted = newest;
  // At most one POST per FLUSH_AFTER while scrolling (a throttle: a
  // debounce would hold the badge still until the scrolling stops).
  if (!timer) timer = setTimeout(flush, FLUSH_AFTER);
}

async function flush() {
  timer = null;
  const id = chatId;
  const upTo = wanted;
  if (!id || !upTo || upTo <= marker()) return;
  if (inFlight) { timer = setTimeout(flush, FLUSH_AFTER); return; }
  inFlight = true;
  try {
    const r = await api.read(id, upTo);
    const chat = state.chats.get(id);
    if (r && chat && (chat.last_read_message_id || 0) < r.last_read_message_id) {
      chat.last_read_message_id = r.last_read_message_id;
    }
    if (r) store.setUnread(r.chat_id ?? id, r.unread_count, r.total_unread);
    store.emit('chats');
  } catch (err) {
    log('read failed, kept for later', upTo, err.message);
    if (err.status === 404 || err.status === 400) wanted = 0;
  } finally {
    inFlight = false;
  }
}

// After a reconnect: send the marker again if the server did not get it.
export function retryRead() {
  if (chatId && wanted > marker()) { clearTimeout(timer); timer = setTimeout(flush, 50); }
  noteVisible();
}
