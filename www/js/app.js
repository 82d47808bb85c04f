// app.js -- boot, session and routing.  See docs/page.md for the design.
import { api, onUnauthorized } from './api.js';
import { getToken, getUser, saveSession, saveUser, clearSession } from './auth.js';
import { $, setText } from './dom.js';
import { log } from './debug.js';
import { navigate, onRoute, parse } from './router.js';
import * as store from './store.js';
import { resync, resetCursor, setOpenReloader } from './sync.js';
import { createConnection } from './ws.js';
import { initLogin, showLogin } from './views/login.js';
import { initSearch } from './views/search.js';
import { initChatList, renderTitle } from './views/chatlist.js';
import { initChat, showChat, hideChat, loadLatest, retryFailed } from './views/chat.js';
import { initNewChat } from './views/newchat.js';
import { t, applyStatic, setLang, onLangChange } from './i18n.js';
import { paintAvatar } from './avatar.js';
import { initUpload, setFileCookie } from './views/upload.js';
import { initNotify } from './views/notify.js';
import { initPresence, presenceConnection, presenceStop } from './views/presence.js';
import { initSessions, closeSessions } from './views/sessions.js';
import { initAdmin, showAdminEntry } from './views/admin.js';

let session = false;

const conn = createConnection({
  onEvent: (ev) => store.applyEvent(ev, 'ws'),
  onConnected: (msg) => {
    log('connected as', msg.username);
    syncNow('connect');
  },
  onStatus: (s) => { presenceConnection(s); renderStatus(s); },
  // 4001 "session ended" (logout elsewhere, password change, an admin)
  // says so; every other refusal (expired, bad or missing token) is an
  // expired session, as the API's 401s are.
  onAuthFailed: (reason) => endSession(/session ended/.test(reason || '') ? t('session.signedout') : t('session.expired')),
});

// The status in the sidebar, and while not online a banner above
// everything (so it shows on a phone with a chat open, too).
function renderStatus(s = conn.status || 'connecting') {
  const el = $('connection-status');
  el.textContent = t(`conn.${s}`);
  el.dataset.state = s;
  el.title = t(`conn.title.${s}`);
  const banner = $('conn-banner');
  const text = s === 'online' ? '' : t(s === 'offline' ? 'banner.offline' : 'banner.connecting');
  if (banner.textContent !== text) banner.textContent = text;
  banner.dataset.state = s;
  banner.hidden = !text;
}

// Catch up; if the API is away (503, network), try again with backoff.
let syncRetry = null;
let syncDelay = 1000;
function syncNow(reason) {
  clearTimeout(syncRetry);
  resync(reason).then(() => { syncDelay = 1000; retryFailed(); }).catch((e) => {
    log('sync failed', e.status, e.message);
    if (!session || e.status === 401) return;
    syncRetry = setTimeout(() => syncNow('retry'), syncDelay);
    syncDelay = Math.min(syncDelay * 2, 15000);
  });
}

const fetching = new Set();
store.setChatFetcher(async (chatId) => {
  if (!chatId || fetching.has(chatId)) return;
  fetching.add(chatId);
  try { store.upsertChat(await api.chat(chatId)); } catch (e) { log('chat fetch failed', chatId, e.message); }
  finally { fetching.delete(chatId); }
});
setOpenReloader(() => loadLatest());
store.setChatRemovedHook(() => { hideChat(); navigate('/chats', { replace: true }); });
onUnauthorized((e) => endSession(e.code === 'session_ended' ? t('session.signedout') : t('session.expired')));

function show(view) {
  $('boot').hidden = true;
  $('login-view').hidden = view !== 'login';
  $('app-view').hidden = view !== 'app';
}

function startSession(user) {
  store.state.me = user;
  setText($('me-name'), user ? user.username : '');
  paintAvatar($('me-avatar'), user && user.id, user && user.username);
  setFileCookie(getToken());
  if (session) return;
  session = true;
  resetCursor();
  conn.start();
  syncNow('start');
  // Refresh the user object (and check the token) in the background.
  api.me().then((me) => {
    if (me && me.id) { saveUser(me); store.state.me = me; setText($('me-name'), me.username); paintAvatar($('me-avatar'), me.id, me.username); store.emit('chats'); }
    showAdminEntry(me);
  }).catch(() => {});
}

function endSession(notice = '') {
  if (!session && !getToken()) { if (parse().name !== 'login') navigate('/login', { replace: true }); return; }
  log('session ended', notice);
  session = false;
  clearTimeout(syncRetry);
  presenceStop();
  conn.stop();
  clearSession();
  setFileCookie(null);
  resetCursor();
  store.resetAll();
  hideChat();
  closeSessions();
  showAdminEntry(null);
  document.title = t('app.title');
  navigate('/login', { replace: true });
  showLogin(notice);
}

function route(r) {
  const token = getToken();
  if (!token) {
    if (r.name !== 'login') { navigate('/login', { replace: true }); return; }
    show('login');
    $('login-username').focus();
    return;
  }
  if (r.name === 'login' || r.name === 'root') { navigate('/chats', { replace: true }); return; }
  show('app');
  startSession(store.state.me || getUser());
  const layout = $('app-view');
  if (r.name === 'chat') {
    layout.classList.add('chat-open');
    showChat(r.chatId);
  } else {
    layout.classList.remove('chat-open');
    hideChat();
  }
}

function boot() {
  applyStatic();
  for (const sel of document.querySelectorAll('select.lang-switch')) {
    sel.addEventListener('change', () => setLang(sel.value));
  }
  onLangChange(() => {
    renderStatus();
    renderTitle();
    for (const topic of ['chats', 'messages', 'unread', 'typing']) store.emit(topic);
  });
  initLogin((token, user) => {
    saveSession(token, user);
    store.state.me = user;
    navigate('/chats', { replace: true });
  });
  initChatList((id) => navigate(`/chats/${id}`));
  initSearch($('chat-list'), (id) => navigate(`/chats/${id}`));
  initChat(() => navigate('/chats'));
  initNewChat((id) => navigate(`/chats/${id}`));
  initUpload();
  initNotify((id) => navigate(`/chats/${id}`));
  initPresence();
  initSessions({ pause: () => conn.stop(), resume: () => { if (session) conn.start(); } });
  initAdmin();
  // End the session on the server too; sign out here whatever it answers.
  // (The socket is stopped first: its 4001 would otherwise race the answer.)
  $('logout-btn').addEventListener('click', () => {
    conn.stop();
    api.logout().catch(() => {}).finally(() => endSession(''));
  });
  // Another tab logged out (or in as someone else).
  window.addEventListener('storage', (e) => {
    if (e.key !== 'access_token') return;
    if (!e.newValue) endSession(t('session.elsewhere'));
    else location.reload();
  });
  renderTitle();
  onRoute(route);
  route(parse());
}

boot();
