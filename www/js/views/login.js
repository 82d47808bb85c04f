// views/login.js -- sign in (and optional sign up) form.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { t, onLangChange } from '../i18n.js';

let mode = 'login';
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
}

function showError(text) {
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

function messageFor(err, reg) {
  if (err.network) return t('login.err.network');
  if (err.status === 401) return t('login.err.credentials');
  if (err.status === 429) return t('login.err.rate');
  if (err.status === 409) return t('login.err.taken');
  if (err.status === 403 && reg) return t('login.err.closed');
  if (err.status === 400) return err.message || t('login.err.check');
  return err.message || t('login.err.other');
}

async function submit(e) {
  e.preventDefault();
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  if (!username || !password) {
    showError(t('login.err.empty'));
    return;
  }
  const reg = mode === 'register';
  if (reg && !/^[A-Za-z0-9_.-]{3,32}$/.test(username)) {
    showError(t('login.err.username'));
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
    showError(messageFor(err, reg));
    $('login-password').select();
  } finally {
    btn.disabled = false;
  }
}
