// views/listkeys.js -- the message list as ONE Tab stop (a roving
// tabindex): exactly one message has tabindex 0, the others and every
// action button -1.  Up/Down/Home/End move between messages, Enter or
// Right moves into the focused message's actions, Left/Right between them,
// Escape (or Left on the first) back to the message.
import { toggleMenu } from './messages.js';

const msgs = (list) => Array.from(list.querySelectorAll('.msg'));
const acts = (msg) => Array.from(msg.querySelectorAll('button.act, .msg-body a'))
  .filter((b) => b.offsetParent !== null && !b.disabled);

export function initListKeys(list) {
  list.addEventListener('keydown', (e) => onKey(list, e));
  list.addEventListener('focusin', (e) => {
    const msg = e.target.closest('.msg');
    if (msg) setCurrent(list, msg);
  });
}

function setCurrent(list, msg) {
  if (list.__current === msg && msg.tabIndex === 0) return;
  if (list.__current && list.__current !== msg) list.__current.tabIndex = -1;
  list.__current = msg;
  msg.tabIndex = 0;
}

// After every render: while focus is in the list, the message it is on;
// otherwise the newest, so Shift+Tab from the message box lands there.
export function keepRoving(list) {
  const all = msgs(list);
  let cur = list.__current;
  if (!cur || !list.contains(cur) || !list.contains(document.activeElement)) cur = all[all.length - 1] || null;
  for (const m of list.querySelectorAll('.msg[tabindex="0"]')) if (m !== cur) m.tabIndex = -1;
  for (const a of list.querySelectorAll('.msg-body a')) a.tabIndex = -1;
  if (cur) setCurrent(list, cur); else list.__current = null;
}

function move(list, from, delta) {
  const all = msgs(list);
  let i = all.indexOf(from);
  if (i < 0) i = all.length;
  const to = delta === -Infinity ? all[0] : delta === Infinity ? all[all.length - 1]
    : all[Math.max(0, Math.min(all.length - 1, i + delta))];
  if (!to) return;
  setCurrent(list, to);
  to.focus();
  to.scrollIntoView({ block: 'nearest' });
}

function onKey(list, e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  const tgt = e.target;
  if (tgt.closest('.edit-input, .edit-buttons')) return;
  const msg = tgt.closest('.msg');
  if (!msg) return;
  const onMsg = tgt === msg;
  const keys = {
    ArrowUp: () => move(list, msg, -1),
    ArrowDown: () => move(list, msg, 1),
    Home: () => move(list, msg, -Infinity),
    End: () => move(list, msg, Infinity),
  };
  if (keys[e.key]) { e.preventDefault(); keys[e.key](); return; }
  if (onMsg && (e.key === 'Enter' || e.key === 'ArrowRight')) {
    let list2 = acts(msg);
    if (!list2.length && msg.querySelector('.more')) { toggleMenu(msg, true); list2 = acts(msg); }
    if (list2.length) { e.preventDefault(); list2[0].focus(); }
    return;
  }
  if (onMsg) return;
  const here = acts(msg);
  const i = here.indexOf(tgt);
  if (e.key === 'ArrowRight' && i >= 0 && i < here.length - 1) { e.preventDefault(); here[i + 1].focus(); }
  else if (e.key === 'ArrowLeft' && i > 0) { e.preventDefault(); here[i - 1].focus(); }
  else if (e.key === 'Escape' || (e.key === 'ArrowLeft' && i <= 0)) {
    e.preventDefault();
    if (msg.classList.contains('menu-open')) toggleMenu(msg, false);
    msg.focus();
  }
}
