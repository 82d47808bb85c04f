// sync.js -- catching up with GET /api/sync.
//
// The cursor is the `seq` of the last /api/sync answer (kept in memory for
// this page).  The first call has no `since`: the answer is reset:true with
// the current seq, and the chat list is loaded with GET /api/chats (whose
// unread counts, fetched later, are the fresher ones).  Every
// WebSocket (re)connect calls resync(): the changes since the cursor are
// applied in seq order through store.applyEvent (idempotent), then every
// badge is set from the answer's chats[] and total_unread.  reset:true (the
// cursor is too old) reloads the chat list and the open chat.  Calls are
// serialised: a resync requested while one runs is done once afterwards.
import { api } from './api.js';
import { log } from './debug.js';
import * as store from './store.js';

let cursor = null;
let epoch = 0;          // bumped on logout: answers for an old session are dropped
let running = null;
let again = false;
let reloadOpen = () => {};

export function setOpenReloader(fn) { reloadOpen = fn; }

export function resetCursor() { cursor = null; epoch += 1; }

// The server's {"type":"resync"} (a ws-daemon may have missed events: the
// event bus restarted or dropped some): catch up after a random delay, so
// that thousands of pages told at once don't hit /api/sync in the same
// instant.  Several notices within the delay make one sync.
const RESYNC_JITTER_MIN = 500;
const RESYNC_JITTER_MAX = 5000;
let laterTimer = null;

export function resyncLater(reason = 'server') {
  if (laterTimer) return;
  const delay = RESYNC_JITTER_MIN + Math.random() * (RESYNC_JITTER_MAX - RESYNC_JITTER_MIN);
  log('server asked for a resync:', reason, 'in', Math.round(delay), 'ms');
  laterTimer = setTimeout(() => {
    laterTimer = null;
    resync(`server: ${reason}`).catch((e) => log('resync failed', e && e.message));
  }, delay);
}

export function resync(reason = '') {
  if (running) { again = true; return running; }
  running = (async () => {
    try {
      do {
        again = false;
        await syncOnce(reason);
      } while (again);
    } finally {
      running = null;
    }
  })();
  return running;
}

async function syncOnce(reason) {
  const mine = epoch;
  log('sync start', reason, 'since', cursor);
  const full = cursor === null;
  // Live events may land while the answers are on their way (see
  // store.beginLiveWindow); they are accounted for below.
  store.beginLiveWindow();
  let res;
  let chats = null;
  let live;
  try {
    res = await api.sync(full ? undefined : cursor);
    if (res && mine === epoch && (res.reset || full)) ({ chats } = await api.chats());
  } finally {
    live = store.endLiveWindow();
  }
  if (!res || mine !== epoch) return;
  if (chats !== null) {
    log('sync reset, seq', res.seq);
    store.setChats(chats || []);
    cursor = res.seq;
    // The list may predate the live events applied while it loaded: catch
    // up from res.seq once more, applying them again onto the new rows.
    if (live.keys.length) {
      log('sync reset:', live.keys.length, 'live events during the load; catching up');
      store.forgetApplied(live.keys);
      again = true;
    }
    if (store.state.open) await reloadOpen();
    return;
  }
  const changes = (res.changes || []).slice().sort((a, b) => (a.seq || 0) - (b.seq || 0));
  let applied = 0;
  for (const ev of changes) if (store.applyEvent(ev, 'sync')) applied += 1;
  store.setAllUnread(res.chats, res.total_unread, res.seq, live);
  cursor = res.seq;
  log('sync done', changes.length, 'changes,', applied, 'new; seq', cursor);
}
