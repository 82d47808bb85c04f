// views/login.js -- sign in (and optional sign up) form.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { t, onLangChange } from '../i18n.js';

let mode = 'login';
let errKey = '';   // the shown error's string key, to translate it on a language switch
let onSuccess = () => {};

export function initLogin(success) {
  onSuccess = success;
  $('login-form').addEventListener('submit', submit);
  $('login-switch').addEventListener('click', () => setMode(mode === 'login' ? 'register' : 'login'));
  onLangChange(() => setMode(mode, true));
  for (const id of ['login-username', 'login-password']) {
    $(id).addEventListener('input', () => showError(''));
  }
}

function setMode(m, keepError = false) {
  mode = m;
  const sfx = m === 'register' ? '.register' : '';
  for (const [id, key] of [['login-heading', 'login.heading'], ['login-submit', 'login.submit'],
    ['login-switch-text', 'login.switch.text'], ['login-switch', 'login.switch']]) {
    $(id).dataset.i18n = key + sfx;
    $(id).textContent = t(key + sfx);
  }
  $('login-password').autocomplete = sfx ? 'new-password' : 'current-password';
  if (!keepError) showError('');
  else if (errKey) showError(t(errKey), errKey);
}

function showError(text, key = '') {
  errKey = text ? key : '';
  const el = $('login-error');
  el.textContent = text;
  el.hidden = !text;
  $('login-username').setAttribute('aria-invalid', text ? 'true' : 'false');
  $('login-password').setAttribute('aria-invalid', text ? 'true' : 'false');
}

// Shown above the form, e.g. "Your session has expired".
export function showLogin(notice = '') {
  const n = $('login-notice');
  n.textContent = notice;
  n.hidden = !notice;
  showError('');
  $('login-password').value = '';
  $('login-submit').disabled = false;
  setTimeout(() => $('login-username').focus(), 0);
}

// [text, key]: our own messages are translatable, the server's are shown as they are.
function messageFor(err, reg) {
  const key = err.network ? 'login.err.network' : err.status === 401 ? 'login.err.credentials'
    : err.status === 429 ? 'login.err.rate' : err.status === 409 ? 'login.err.taken'
      : err.status === 403 && reg ? 'login.err.closed' : '';
  if (key) return [t(key), key];
  if (err.message) return [err.message, ''];
  const k = err.status === 400 ? 'login.err.check' : 'login.err.other';
  return [t(k), k];
}

async function submit(e) {
  e.preventDefault();
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  if (!username || !password) {
    showError(t('login.err.empty'), 'login.err.empty');
    return;
  }
  const reg = mode === 'register';
  if (reg && !/^[A-Za-z0-9_.-]{3,32}$/.test(username)) {
    showError(t('login.err.username'), 'login.err.username');
    return;
  }
  const btn = $('login-submit');
  btn.disabled = true;
  showError('');
  try {
    const res = reg ? await api.register(username, password) : await api.login(username, password);
    $('login-password').value = '';
    $('login-notice').hidden = true;
    onSuccess(res.access_token, res.user);
  } catch (err) {
    showError(...messageFor(err, reg));
    $('login-password').select();
  } finally {
    btn.disabled = false;
  }
}
