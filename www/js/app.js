// app.js -- boot, session and routing.  See docs/page.md for the design.
import { api, onUnauthorized } from './api.js';
import { getToken, getUser, saveSession, saveUser, clearSession } from './auth.js';
import { $, setText } from './dom.js';
import { initial } from './format.js';
import { log } from './debug.js';
import { navigate, onRoute, parse } from './router.js';
import * as store from './store.js';
import { resync, resetCursor, setOpenReloader } from './sync.js';
import { createConnection } from './ws.js';
import { initLogin, showLogin } from './views/login.js';
import { initChatList, renderTitle } from './views/chatlist.js';
import { initChat, showChat, hideChat, loadLatest, retryFailed } from './views/chat.js';
import { initNewChat } from './views/newchat.js';
import { initSessions, closeSessions } from './views/sessions.js';
import { initAdmin, showAdminEntry } from './views/admin.js';

const EXPIRED = 'Your session has expired. Please sign in again.';
const SIGNED_OUT = 'You have been signed out. Please sign in again.';
let session = false;

const conn = createConnection({
  onEvent: (ev) => store.applyEvent(ev, 'ws'),
  onConnected: (msg) => {
    log('connected as', msg.username);
    syncNow('connect');
  },
  onStatus: (s) => {
    const el = $('connection-status');
    el.textContent = s;
    el.dataset.state = s;
    el.title = s === 'online' ? 'Connected: updates arrive live'
      : s === 'offline' ? 'Offline: waiting for the network' : 'Reconnecting…';
  },
  // 4001 "token expired" vs. a session ended on the server.
  onAuthFailed: (reason) => endSession(/expired/.test(reason) ? EXPIRED : SIGNED_OUT),
});

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
onUnauthorized((e) => endSession(e.code === 'session_ended' ? SIGNED_OUT : EXPIRED));

function show(view) {
  $('boot').hidden = true;
  $('login-view').hidden = view !== 'login';
  $('app-view').hidden = view !== 'app';
}

function startSession(user) {
  store.state.me = user;
  setText($('me-name'), user ? user.username : '');
  setText($('me-avatar'), initial(user && user.username));
  if (session) return;
  session = true;
  resetCursor();
  conn.start();
  syncNow('start');
  // Refresh the user object (and check the token) in the background.
  api.me().then((me) => {
    if (me && me.id) { saveUser(me); store.state.me = me; setText($('me-name'), me.username); store.emit('chats'); }
    showAdminEntry(me);
  }).catch(() => {});
}

function endSession(notice = '') {
  if (!session && !getToken()) { if (parse().name !== 'login') navigate('/login', { replace: true }); return; }
  log('session ended', notice);
  session = false;
  clearTimeout(syncRetry);
  conn.stop();
  clearSession();
  resetCursor();
  store.resetAll();
  hideChat();
  closeSessions();
  showAdminEntry(null);
  document.title = 'Parley';
  navigate('/login', { replace: true });
  showLogin(notice);
}

function route(r) {
  const token = getToken();
  if (!token) {
    if (r.name !== 'login') { navigate('/login', { replace: true }); return; }
    show('login');
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
  initLogin((token, user) => {
    saveSession(token, user);
    store.state.me = user;
    navigate('/chats', { replace: true });
  });
  initChatList((id) => navigate(`/chats/${id}`));
  initChat(() => navigate('/chats'));
  initNewChat((id) => navigate(`/chats/${id}`));
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
    if (!e.newValue) endSession('You were signed out in another tab.');
    else location.reload();
  });
  renderTitle();
  onRoute(route);
  route(parse());
}

boot();
