// admin.js -- "Admin" dialog for administrators: every user with their
// state, deactivate / reactivate, reset a password.  The entry button is
// only shown when /api/me says is_admin; the API refuses everyone else (403)
// whatever the page shows.
import { api } from '../api.js';
import { $, h } from '../dom.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown; the dialog's fixed labels carry data-i18n*, so a
// language switch relabels them at once (and the rows when next built).
const TEXT = {
  get deactivate() { return t('admin.deactivate'); },
  get reactivate() { return t('admin.reactivate'); },
  get deactivated() { return t('admin.deactivated'); },
  get admin() { return t('admin.admin'); },
  get newPassword() { return t('admin.new.password'); },
  newPasswordFor: (name) => t('admin.new.password.for', { name }),
  get reset() { return t('admin.reset'); },
  resetDone: (name) => t('admin.reset.done', { name }),
};
// A fixed label: its text now, and data-i18n so a switch updates it.
const label = (key) => ({ text: t(key), dataset: { i18n: key } });

let dlg;
let btn;
let list;
let message;
let after = 0;

function show(text, isError) {
  message.textContent = text;
  message.hidden = !text;
  message.className = isError ? 'form-error' : 'form-note';
}

function row(u) {
  const pw = h('input', { type: 'password', class: 'admin-pw', testid: 'admin-new-password', placeholder: TEXT.newPassword, minlength: '8', autocomplete: 'new-password', 'aria-label': TEXT.newPasswordFor(u.username) });
  const li = h('li', { class: 'admin-row', testid: 'admin-user-row', dataset: { userId: u.id, username: u.username, deactivated: u.deactivated ? 'true' : 'false' } },
    h('div', { class: 'session-text' },
      h('strong', { text: u.username }),
      h('span', { class: 'session-when', testid: 'admin-user-state', text: [u.is_admin ? TEXT.admin : '', u.deactivated ? TEXT.deactivated : ''].filter(Boolean).join(', ') })),
    h('button', { type: 'button', class: 'btn small', testid: u.deactivated ? 'admin-reactivate' : 'admin-deactivate', text: u.deactivated ? TEXT.reactivate : TEXT.deactivate,
      onclick: async () => {
        try { li.replaceWith(row(u.deactivated ? await api.adminReactivate(u.id) : await api.adminDeactivate(u.id))); } catch (e) { show(e.message, true); }
      } }),
    pw,
    h('button', { type: 'button', class: 'btn small ghost', testid: 'admin-reset-password', text: TEXT.reset,
      onclick: async () => {
        try { await api.adminPassword(u.id, pw.value); pw.value = ''; show(TEXT.resetDone(u.username), false); } catch (e) { show(e.message, true); }
      } }));
  return li;
}

async function loadMore() {
  try {
    const r = await api.adminUsers(after);
    list.append(...r.users.map(row));
    if (r.users.length) after = r.users[r.users.length - 1].id;
    more.hidden = !r.has_more;
  } catch (e) { show(e.message, true); }
}

let more;

export function initAdmin() {
  list = h('ul', { class: 'session-list', testid: 'admin-user-list' });
  message = h('p', { testid: 'admin-message', role: 'status', hidden: true });
  more = h('button', { type: 'button', class: 'btn small ghost', testid: 'admin-more', hidden: true, onclick: loadMore, ...label('admin.more') });
  dlg = h('dialog', { class: 'dialog', testid: 'admin-dialog', 'aria-label': t('admin.title'), dataset: { i18nLabel: 'admin.title' } },
    h('div', { class: 'dialog-body' },
      h('h2', label('admin.title')), message, list, more,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn ghost', testid: 'admin-close', onclick: () => dlg.close(), ...label('admin.close') }))));
  $('app-view').append(dlg);
  btn = h('button', { type: 'button', class: 'btn small ghost', testid: 'admin-open', 'aria-haspopup': 'dialog', hidden: true, ...label('admin.open'),
    onclick: () => { show('', false); list.replaceChildren(); after = 0; dlg.showModal(); loadMore(); } });
  $('logout-btn').before(btn);
}

// Shows the entry for admins only (me from /api/me); hides it otherwise.
export function showAdminEntry(me) {
  if (btn) btn.hidden = !(me && me.is_admin);
  if (dlg && dlg.open && !(me && me.is_admin)) dlg.close();
}
