// views/notify.js -- browser notifications and per-chat mute.
//
// Notifications: asked for only from a button (never on load).  A new
// message from someone else, arriving live while the page is hidden, in a
// chat that is not muted, shows one notification per chat (a newer one
// replaces it); clicking it focuses the page and opens the chat.
// Mute: a switch in the chat header (PUT /api/chats/{id}/mute).  The server
// stores it and tells the user's other tabs (chat_muted); a muted chat
// still shows its badge, in grey, but neither notifies nor counts in the
// tab title (views/chatlist.js).
import { api } from '../api.js';
import { $, h, setText } from '../dom.js';
import { log } from '../debug.js';
import * as store from '../store.js';
import { t, onLangChange } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
const T = {
  get enable() { return t('notify.enable'); },
  get enabled() { return t('notify.enabled'); },
  get denied() { return t('notify.denied'); },
  get mute() { return t('notify.mute'); },
  get unmute() { return t('notify.unmute'); },
  get muteTitle() { return t('notify.mute.title'); },
  get unmuteTitle() { return t('notify.unmute.title'); },
  muteFailed: (why) => t('notify.mute.failed', { reason: why }),
  get attachmentOnly() { return t('notify.file'); },
  inGroup: (name, chat) => t('notify.group', { name, chat }),
};

let openChatRoute = () => {};

const supported = () => typeof window.Notification === 'function';

function renderPermission() {
  const btn = $('notify-enable');
  if (!btn) return;
  const p = supported() ? Notification.permission : 'unsupported';
  btn.hidden = p === 'unsupported' || p === 'granted';
  btn.disabled = p === 'denied';
  setText(btn, p === 'denied' ? T.denied : T.enable);
  btn.dataset.permission = p;
}

function notifyFor(ev) {
  const m = ev.message;
  const me = store.state.me;
  if (!m || m.deleted || (me && m.sender_id === me.id)) return;
  if (!supported() || Notification.permission !== 'granted') return;
  if (document.visibilityState !== 'hidden') return;
  const chat = store.state.chats.get(ev.chat_id);
  if (chat && chat.muted) return;
  const title = chat && chat.kind === 'group' ? T.inGroup(m.sender_username, chat.title) : m.sender_username;
  const body = m.content || T.attachmentOnly;
  try {
    const n = new Notification(title || t('app.title'), { body: body.slice(0, 200), tag: `chat-${ev.chat_id}` });
    n.onclick = () => {
      window.focus();
      openChatRoute(ev.chat_id);
      n.close();
    };
  } catch (e) {
    log('notification failed', e.message);
  }
}

function renderMute() {
  const btn = $('mute-toggle');
  const open = store.state.open;
  const chat = open && store.state.chats.get(open.chatId);
  if (!btn) return;
  btn.hidden = !chat;
  const muted = !!(chat && chat.muted);
  btn.setAttribute('aria-pressed', muted ? 'true' : 'false');
  setText(btn, muted ? T.unmute : T.mute);
  btn.title = muted ? T.unmuteTitle : T.muteTitle;
}

async function toggleMute() {
  const open = store.state.open;
  const chat = open && store.state.chats.get(open.chatId);
  if (!chat) return;
  const want = !chat.muted;
  const btn = $('mute-toggle');
  btn.disabled = true;
  try {
    const r = await api.mute(chat.id, want);
    store.setMuted(chat.id, r ? r.muted : want);
  } catch (err) {
    btn.title = T.muteFailed(err.message);
  } finally {
    btn.disabled = false;
  }
}

export function initNotify(navigateToChat) {
  openChatRoute = navigateToChat;
  const enable = h('button', { type: 'button', id: 'notify-enable', class: 'btn small ghost', testid: 'notify-enable', text: T.enable });
  enable.addEventListener('click', async () => {
    if (!supported()) return;
    try { await Notification.requestPermission(); } catch (e) { log('permission', e.message); }
    renderPermission();
  });
  $('logout-btn').before(enable);
  const mute = h('button', { type: 'button', id: 'mute-toggle', class: 'btn small ghost mute-toggle', testid: 'mute-toggle',
    'aria-pressed': 'false', hidden: true, text: T.mute });
  mute.addEventListener('click', toggleMute);
  $('chat-head-title').parentElement.after(mute);
  renderPermission();
  onLangChange(renderPermission);
  store.on('chats', renderMute);
  store.on('messages', renderMute);
  store.onApplied((ev, source) => {
    if (ev.type === 'new_message' && source === 'ws') notifyFor(ev);
  });
}
