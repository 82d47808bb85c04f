// sessions.js -- "Sessions" dialog: the signed-in devices (created, last
// used, browser), ending one or all others, and changing the password.
// Built entirely here (index.html only holds the sidebar it joins), text
// only through textContent.
import { api } from '../api.js';
import { $, h } from '../dom.js';
import { saveSession, getUser } from '../auth.js';
import { t, getLang } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown; the dialog's fixed labels carry data-i18n*, so a
// language switch relabels them at once (and the list on its next load).
const TEXT = {
  get current() { return t('sessions.current'); },
  get end() { return t('sessions.end'); },
  when: (created, used) => t('sessions.when', { created, used }),
  get unknownAgent() { return t('sessions.unknown.agent'); },
  get pwDone() { return t('sessions.pw.done'); },
  get loadFailed() { return t('sessions.load.failed'); },
};
// A fixed label: its text now, and data-i18n so a switch updates it.
const label = (key) => ({ text: t(key), dataset: { i18n: key } });

let dlg;
let hooks;
let list;
let message;

const when = (iso) => new Date(iso).toLocaleString(getLang());

function show(text, isError) {
  message.textContent = text;
  message.hidden = !text;
  message.className = isError ? 'form-error' : 'form-note';
}

async function load() {
  let data;
  try { data = await api.sessions(); } catch (e) { show(e.message || TEXT.loadFailed, true); return; }
  list.replaceChildren(...data.sessions.map((s) => h('li', { class: 'session-row', testid: 'session-row', dataset: { sessionId: s.id, current: s.current ? 'true' : 'false' } },
    h('div', { class: 'session-text' },
      h('strong', { text: s.user_agent || TEXT.unknownAgent }),
      h('span', { class: 'session-when', text: TEXT.when(when(s.created_at), when(s.last_used_at)) })),
    s.current ? h('span', { class: 'session-current', testid: 'session-current', text: TEXT.current })
      : h('button', { type: 'button', class: 'btn small ghost', testid: 'session-end', onclick: () => end(s.id) , text: TEXT.end }))));
}

async function end(id) {
  try { await api.endSession(id); } catch (e) { show(e.message, true); }
  load();
}

async function endOthers() {
  try { await api.logoutAll(); } catch (e) { show(e.message, true); }
  load();
}

async function changePassword(ev) {
  ev.preventDefault();
  const cur = $('password-current');
  const next = $('password-new');
  // The change ends this socket's session too: stop it first, and reconnect
  // with the new token (or the old one, if the change was refused).
  hooks.pause();
  try {
    const r = await api.changePassword(cur.value, next.value);
    saveSession(r.access_token, getUser() || r.user);
    cur.value = '';
    next.value = '';
    show(TEXT.pwDone, false);
    load();
  } catch (e) { show(e.message, true); }
  hooks.resume();
}

// `h.pause()` / `h.resume()` stop and restart the page's WebSocket around a
// password change.
export function initSessions(h_) {
  hooks = h_;
  const pwForm = h('form', { class: 'password-form', testid: 'password-form', onsubmit: changePassword },
    h('h3', label('sessions.pw.title')),
    h('label', { for: 'password-current', ...label('sessions.pw.current') }),
    h('input', { id: 'password-current', testid: 'password-current', type: 'password', autocomplete: 'current-password', required: true }),
    h('label', { for: 'password-new', ...label('sessions.pw.new') }),
    h('input', { id: 'password-new', testid: 'password-new', type: 'password', autocomplete: 'new-password', minlength: '8', required: true }),
    h('button', { type: 'submit', class: 'btn primary', testid: 'password-submit', ...label('sessions.pw.submit') }));
  list = h('ul', { class: 'session-list', testid: 'session-list' });
  message = h('p', { testid: 'sessions-message', role: 'status', hidden: true });
  dlg = h('dialog', { class: 'dialog', testid: 'sessions-dialog', 'aria-label': t('sessions.title'), dataset: { i18nLabel: 'sessions.title' } },
    h('div', { class: 'dialog-body' },
      h('h2', label('sessions.title')),
      list,
      h('button', { type: 'button', class: 'btn small', testid: 'sessions-end-others', onclick: endOthers, ...label('sessions.end.others') }),
      message,
      pwForm,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn ghost', testid: 'sessions-close', onclick: () => dlg.close(), ...label('sessions.close') }))));
  $('app-view').append(dlg);
  const btn = h('button', { type: 'button', class: 'btn small ghost', testid: 'sessions-open', 'aria-haspopup': 'dialog', ...label('sessions.open'),
    onclick: () => { show('', false); dlg.showModal(); load(); } });
  $('logout-btn').before(btn);
}

// Closes the dialog (the session ended under it).
export function closeSessions() {
  if (dlg && dlg.open) dlg.close();
}
