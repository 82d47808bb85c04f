// views/presence.js -- who is online: this tab reports itself, and the
// other members of direct chats get a green (online), amber (away) or grey
// (offline) dot in the chat list and header, with "last seen 5 min ago".
//
// Reporting: POST /api/presence {"tab_id","state"} every 15 s while the
// WebSocket is connected (a page whose daemon died stops reporting, and the
// server lets its report expire), "away" once the tab has been hidden or
// without input for 5 minutes, "gone" when the page closes.  Others' status
// comes from GET /api/presence (on start and after each reconnect) and
// `presence` events.
import { getToken } from '../auth.js';
import { $, h, setText } from '../dom.js';
import { log } from '../debug.js';
import * as store from '../store.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
const STATUS = ['online', 'away', 'offline'];
const T = {
  status: (s) => (STATUS.includes(s) ? t(`presence.${s}`) : s),
  lastSeen: (ago) => t('presence.last.seen', { ago }),
  get justNow() { return t('presence.just.now'); },
  minutes: (n) => t('presence.minutes', { n }),
  hours: (n) => t('presence.hours', { n }),
  days: (n) => t('presence.days', { n }),
};
const BEAT_EVERY = 15000;
const IDLE_AFTER = 5 * 60 * 1000;

const tabId = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).slice(0, 64);
const known = new Map();       // user id -> {status, last_seen_at}
let connected = false;
let beatTimer = null;
let lastInput = Date.now();
let hiddenSince = document.visibilityState === 'hidden' ? Date.now() : 0;
let lastSent = '';

export function agoText(iso) {
  if (!iso) return '';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return T.justNow;
  if (s < 3600) return T.minutes(Math.floor(s / 60));
  if (s < 86400) return T.hours(Math.floor(s / 3600));
  return T.days(Math.floor(s / 86400));
}

function myState() {
  const now = Date.now();
  if (hiddenSince && now - hiddenSince >= IDLE_AFTER) return 'away';
  if (now - lastInput >= IDLE_AFTER) return 'away';
  return 'active';
}

function send(state, keepalive = false) {
  const token = getToken();
  if (!token) return;
  lastSent = state;
  fetch('/api/presence', {
    method: 'POST', keepalive, cache: 'no-store',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ tab_id: tabId, state }),
  }).catch((e) => log('presence report failed', e.message));
}

function beat() {
  clearTimeout(beatTimer);
  if (!connected) return;
  send(myState());
  beatTimer = setTimeout(beat, BEAT_EVERY);
}

// The other member of a direct chat (presence is shown for those).
function otherOf(chat) {
  if (!chat || chat.kind !== 'direct' || !store.state.me) return null;
  const o = (chat.members || []).find((m) => m.id !== store.state.me.id);
  return o ? o.id : null;
}

// Loads the status of every direct-chat partner not asked about yet
// (all of them after a reconnect: `asked` is cleared then).
const asked = new Set();
async function load() {
  const ids = new Set();
  for (const c of store.state.chats.values()) { const o = otherOf(c); if (o && !asked.has(o)) ids.add(o); }
  if (!ids.size) return;
  for (const id of ids) asked.add(id);
  try {
    const res = await fetch(`/api/presence?user_ids=${Array.from(ids).slice(0, 200).join(',')}`, {
      headers: { Authorization: `Bearer ${getToken()}` }, cache: 'no-store' });
    if (!res.ok) return;
    for (const p of (await res.json()).presence) known.set(p.user_id, p);
    render();
  } catch (e) { log('presence load failed', e.message); }
}

function dot(status) {
  return h('span', { class: `presence-dot ${status}`, testid: 'presence-dot', dataset: { status }, title: T.status(status), 'aria-label': T.status(status) });
}

function render() {
  for (const li of document.querySelectorAll('[data-testid="chat-item"]')) {
    const chat = store.state.chats.get(Number(li.dataset.chatId));
    const other = otherOf(chat);
    const p = other && known.get(other);
    const av = li.querySelector('.avatar');
    if (!av) continue;
    const old = av.querySelector('.presence-dot');
    if (!p) { if (old) old.remove(); continue; }
    if (!old || old.dataset.status !== p.status || old.title !== T.status(p.status)) { if (old) old.remove(); av.append(dot(p.status)); }
  }
  const open = store.state.open;
  const chat = open && store.state.chats.get(open.chatId);
  const other = otherOf(chat);
  const p = other && known.get(other);
  let line = $('presence-line');
  if (!line) {
    line = h('span', { id: 'presence-line', class: 'presence-line', testid: 'presence-status' });
    $('chat-head-sub').after(line);
  }
  line.hidden = !p;
  if (p) {
    const text = p.status === 'offline' && p.last_seen_at ? T.lastSeen(agoText(p.last_seen_at)) : T.status(p.status);
    setText(line, text);
    line.dataset.status = p.status;
  }
}

// Called by app.js with the WebSocket's status.
export function presenceConnection(status) {
  const was = connected;
  connected = status === 'online';
  if (connected && !was) { asked.clear(); beat(); load(); }
  if (!connected) clearTimeout(beatTimer);
}

export function presenceStop() {
  connected = false;
  clearTimeout(beatTimer);
  if (lastSent && lastSent !== 'gone') send('gone', true);
  lastSent = '';
  known.clear();
  asked.clear();
}

export function initPresence() {
  const input = () => {
    const wasAway = myState() === 'away';
    lastInput = Date.now();
    if (wasAway && connected) beat();
  };
  for (const e of ['keydown', 'pointerdown', 'wheel', 'touchstart']) window.addEventListener(e, input, { passive: true });
  document.addEventListener('visibilitychange', () => {
    hiddenSince = document.visibilityState === 'hidden' ? Date.now() : 0;
    if (!hiddenSince && lastSent === 'away' && connected) beat();
  });
  window.addEventListener('pagehide', () => { if (connected) send('gone', true); });
  store.onApplied((ev) => {
    if (ev.type !== 'presence') return;
    known.set(ev.user_id, { user_id: ev.user_id, status: ev.status, last_seen_at: ev.last_seen_at });
    render();
  });
  store.on('chats', () => { if (connected) load(); render(); });
  store.on('messages', render);
  setInterval(render, 30000);   // "last seen N min ago" moves on
}
