// views/upload.js -- sending files: a button, drag-and-drop onto the open
// chat and paste into the message box.  Each file is sent as the raw body
// of POST /api/uploads?name=… (XMLHttpRequest, for its upload progress),
// then one message carries the uploads (attachment_ids), with the text in
// the box (or the file names) as its content.  Failures (too big, network,
// server) show in plain words next to the composer.
import { api } from '../api.js';
import { getToken } from '../auth.js';
import { $, h } from '../dom.js';
import { log } from '../debug.js';
import { pageUrl } from '../base.js';
import * as store from '../store.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
const T = {
  get attach() { return t('upload.attach'); },
  uploading: (name, pct) => t('upload.progress', { name, pct }),
  tooBig: (name, max) => t('upload.too.big', { name, max }),
  get limit() { return t('upload.limit'); },
  tooMany: (n) => t('upload.too.many', { n }),
  network: (name) => t('upload.network', { name }),
  failed: (name, why) => t('upload.failed', { name, reason: why }),
  sendFailed: (why) => t('upload.send.failed', { reason: why }),
  get dropHere() { return t('upload.drop'); },
};
const MAX_FILES = 10;
const MAX_BYTES = 25 * 1024 * 1024;   // upload_max_bytes default; the server has the last word
const COOKIE = 'parley_file_token';

let busy = false;

// <img src> and download links carry no Authorization header: the server
// also reads the token from this cookie, sent only to /api/uploads.
export function setFileCookie(token) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  if (token) document.cookie = `${COOKIE}=${encodeURIComponent(token)}; Path=/api/uploads; SameSite=Strict${secure}`;
  else document.cookie = `${COOKIE}=; Path=/api/uploads; Max-Age=0; SameSite=Strict${secure}`;
}

function showError(text) {
  const el = $('upload-error');
  el.textContent = text;
  el.hidden = !text;
}

function showProgress(text, frac) {
  const box = $('upload-progress');
  box.hidden = frac === null;
  box.querySelector('progress').value = frac || 0;
  box.querySelector('span').textContent = text;
}

// One file -> Upload, or throws Error with a user-facing message.
function uploadOne(file) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/uploads?name=${encodeURIComponent(file.name || 'file')}`);
    xhr.setRequestHeader('Authorization', `Bearer ${getToken()}`);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) showProgress(T.uploading(file.name, Math.floor((100 * e.loaded) / e.total)), e.loaded / e.total);
    };
    xhr.onerror = () => reject(new Error(T.network(file.name)));
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 201 && data) { resolve(data); return; }
      if (xhr.status === 413) { reject(new Error(T.tooBig(file.name, T.limit))); return; }
      const why = (data && data.error && data.error.message) || `HTTP ${xhr.status}`;
      reject(new Error(T.failed(file.name, why)));
    };
    showProgress(T.uploading(file.name, 0), 0);
    xhr.send(file);
  });
}

export async function sendFiles(files) {
  const open = store.state.open;
  files = Array.from(files || []);
  if (!open || !files.length || busy) return;
  showError('');
  if (files.length > MAX_FILES) { showError(T.tooMany(MAX_FILES)); return; }
  const big = files.find((f) => f.size > MAX_BYTES);
  if (big) { showError(T.tooBig(big.name, T.limit)); return; }
  busy = true;
  const chatId = open.chatId;
  const ids = [];
  try {
    for (const f of files) ids.push((await uploadOne(f)).id);
    const input = $('message-input');
    const text = input.value.trim() || files.map((f) => f.name || 'file').join(', ').slice(0, 4000);
    let m;
    try {
      m = await api.send(chatId, text, undefined, { attachment_ids: ids });
    } catch (err) {
      throw new Error(T.sendFailed(err.message));
    }
    if (input.value.trim()) input.value = '';
    if (m) store.applyEvent({ type: 'new_message', chat_id: m.chat_id, message: m }, 'local');
  } catch (err) {
    log('upload failed', err.message);
    showError(err.message);
  } finally {
    busy = false;
    showProgress('', null);
  }
}

export function initUpload() {
  document.head.append(h('link', { rel: 'stylesheet', href: pageUrl('/css/files.css') }));
  const composer = $('composer');
  const input = h('input', { type: 'file', multiple: true, id: 'upload-input', testid: 'upload-input', class: 'sr-only', tabindex: '-1', 'aria-label': T.attach,
    dataset: { i18nLabel: 'upload.attach' } });
  const button = h('button', { type: 'button', class: 'btn icon attach', testid: 'upload-button', 'aria-label': T.attach, title: T.attach, text: '📎',
    dataset: { i18nLabel: 'upload.attach', i18nTitle: 'upload.attach' } });
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => { const f = input.files; sendFiles(f).finally(() => { input.value = ''; }); });
  // After the text box, beside Send: Shift+Tab from the box still lands on
  // the message list (docs/page.md, Keyboard).
  $('message-send').before(button, input);
  const status = h('div', { class: 'upload-status' },
    h('div', { id: 'upload-progress', class: 'upload-progress', testid: 'upload-progress', hidden: true, role: 'status' },
      h('progress', { max: '1', value: '0' }), h('span')),
    h('p', { id: 'upload-error', class: 'form-error', testid: 'upload-error', role: 'alert', hidden: true }));
  composer.before(status);
  $('message-input').addEventListener('paste', (e) => {
    const files = Array.from(e.clipboardData ? e.clipboardData.files : []);
    if (files.length) { e.preventDefault(); sendFiles(files); }
  });
  const pane = $('chat-view');
  pane.addEventListener('dragover', (e) => {
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes('Files')) return;
    e.preventDefault();
    pane.classList.add('dropping');
    pane.dataset.dropText = T.dropHere;
  });
  pane.addEventListener('dragleave', (e) => { if (e.target === pane) pane.classList.remove('dropping'); });
  pane.addEventListener('drop', (e) => {
    pane.classList.remove('dropping');
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    e.preventDefault();
    sendFiles(e.dataTransfer.files);
  });
}
