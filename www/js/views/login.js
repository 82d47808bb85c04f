// views/login.js -- sign in (and optional sign up) form.
import { api } from '../api.js';
import { $ } from '../dom.js';

let mode = 'login';
let onSuccess = () => {};

export function initLogin(success) {
  onSuccess = success;
  $('login-form').addEventListener('submit', submit);
  $('login-switch').addEventListener('click', () => setMode(mode === 'login' ? 'register' : 'login'));
  for (const id of ['login-username', 'login-password']) {
    $(id).addEventListener('input', () => showError(''));
  }
}

function setMode(m) {
  mode = m;
  const reg = m === 'register';
  $('login-heading').textContent = reg ? 'Create your account' : 'Sign in to continue';
  $('login-submit').textContent = reg ? 'Create account' : 'Sign in';
  $('login-switch-text').textContent = reg ? 'Already have an account?' : 'No account yet?';
  $('login-switch').textContent = reg ? 'Sign in' : 'Create one';
  $('login-password').autocomplete = reg ? 'new-password' : 'current-password';
  showError('');
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
  if (err.network) return 'Could not reach the server. Check your connection and try again.';
  if (err.status === 401) return 'Wrong username or password.';
  if (err.status === 429) return 'Too many attempts. Please wait a moment and try again.';
  if (err.status === 409) return 'That username is already taken.';
  if (err.status === 403 && reg) return 'Sign-up is switched off on this server.';
  if (err.status === 400) return err.message || 'Please check the username and password.';
  return err.message || 'Something went wrong. Please try again.';
}

async function submit(e) {
  e.preventDefault();
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  if (!username || !password) {
    showError('Enter your username and password.');
    return;
  }
  const reg = mode === 'register';
  if (reg && !/^[A-Za-z0-9_.-]{3,32}$/.test(username)) {
    showError('Usernames are 3–32 letters, digits, _ . or -');
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
