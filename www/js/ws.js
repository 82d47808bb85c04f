// ws.js -- the WebSocket connection (docs/api.md): status, reconnect with
// exponential backoff and jitter, and the page's own ping: every 4 s, with
// a pong watchdog of 5 s, so a dead link (paused daemon, sleeping laptop,
// dropped network) is noticed within 10 s.  The browser's offline event
// drops the socket at once; its online event reconnects at once.
//
//   close 4001  -> token refused: onAuthFailed(), no retry
//   anything else (1006 daemon gone, 1008 slow consumer, ...) -> reconnect
//   {"type":"resync"} frame -> sync.resyncLater(): catch up after a jitter
import { getToken } from './auth.js';
import { log } from './debug.js';
import { resyncLater } from './sync.js';

const BACKOFF_MIN = 500;
const BACKOFF_MAX = 10000;
const PING_EVERY = 4000;
const PONG_WAIT = 5000;
const OPEN_WAIT = 10000;

export function createConnection({ onEvent, onConnected, onStatus, onAuthFailed }) {
  let ws = null;
  let attempt = 0;
  let stopped = true;
  let retryTimer = null;
  let pingTimer = null;
  let watchdog = null;
  let status = '';

  const setStatus = (s) => {
    if (s === status) return;
    status = s;
    log('connection', s);
    onStatus(s);
  };
  const clearTimers = () => {
    clearTimeout(retryTimer); retryTimer = null;
    clearInterval(pingTimer); pingTimer = null;
    clearTimeout(watchdog); watchdog = null;
  };
  const waitingStatus = () => (navigator.onLine === false ? 'offline' : 'connecting');

  function url(token) {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`;
  }

  function connect() {
    clearTimers();
    if (stopped) return;
    const token = getToken();
    if (!token) { stop(); onAuthFailed(); return; }
    setStatus(waitingStatus());
    let sock;
    try {
      sock = new WebSocket(url(token));
    } catch (e) {
      log('ws constructor failed', e.message);
      scheduleRetry();
      return;
    }
    ws = sock;
    log('ws connecting, attempt', attempt + 1);
    // A socket stuck in CONNECTING is given up on.
    watchdog = setTimeout(() => { if (ws === sock) { log('ws open timeout'); sock.close(); drop(sock, 0); } }, OPEN_WAIT);

    sock.onopen = () => {
      if (ws !== sock) return;
      log('ws open');
    };
    sock.onmessage = (e) => {
      if (ws !== sock) return;
      let msg;
      try { msg = JSON.parse(e.data); } catch (err) { log('ws bad frame', e.data); return; }
      clearTimeout(watchdog); watchdog = null;
      if (msg.type === 'connected') {
        attempt = 0;
        setStatus('online');
        startPing(sock);
        onConnected(msg);
        return;
      }
      if (msg.type === 'pong') return;
      if (msg.type === 'error') { log('ws error event', msg); return; }
      if (msg.type === 'resync') { resyncLater(String(msg.reason || '')); return; }
      onEvent(msg);
    };
    sock.onclose = (e) => {
      log('ws closed', e.code, e.reason || '');
      drop(sock, e.code, e.reason);
    };
    sock.onerror = () => { log('ws error'); };
  }

  function drop(sock, code, reason) {
    if (ws !== sock) return;
    ws = null;
    clearTimers();
    if (stopped) return;
    if (code === 4001) {
      stop();
      setStatus('offline');
      onAuthFailed(reason || '');
      return;
    }
    scheduleRetry();
  }

  function scheduleRetry() {
    setStatus(waitingStatus());
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempt);
    const delay = Math.min(BACKOFF_MAX, base * (0.7 + Math.random() * 0.6));
    attempt += 1;
    log(`ws retry in ${Math.round(delay)} ms`);
    retryTimer = setTimeout(connect, delay);
  }

  function startPing(sock) {
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (ws !== sock || sock.readyState !== WebSocket.OPEN) return;
      try { sock.send(JSON.stringify({ type: 'ping' })); } catch (e) { return; }
      // Armed once per silence: any frame disarms it (onmessage); a later
      // ping must not push the deadline back.
      if (watchdog) return;
      watchdog = setTimeout(() => {
        if (ws === sock) { log('no pong, reconnecting'); sock.close(); drop(sock, 0); }
      }, PONG_WAIT);
    }, PING_EVERY);
  }

  // Reconnect right away (network back, tab woke up) if not connected.
  function kick() {
    if (stopped || (ws && ws.readyState <= WebSocket.OPEN)) return;
    attempt = 0;
    connect();
  }

  function start() {
    if (!stopped) return;
    stopped = false;
    attempt = 0;
    connect();
  }

  function stop() {
    stopped = true;
    clearTimers();
    const sock = ws;
    ws = null;
    if (sock) { try { sock.close(1000, 'bye'); } catch (e) { /* closing anyway */ } }
  }

  window.addEventListener('online', () => { log('browser online'); kick(); });
  // Offline: the socket cannot work; drop it now rather than wait for the
  // watchdog, and wait for 'online'.
  window.addEventListener('offline', () => {
    log('browser offline');
    if (stopped) return;
    const sock = ws;
    if (sock) { ws = null; clearTimers(); try { sock.close(); } catch (e) { /* closing anyway */ } }
    clearTimeout(retryTimer);
    setStatus('offline');
    retryTimer = setTimeout(connect, BACKOFF_MAX);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') kick();
  });

  return { start, stop, kick, get status() { return status; } };
}
