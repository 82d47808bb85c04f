// views/search.js -- the search box above the chat list: type, press Enter
// (or wait a moment), see matching messages of your chats newest first
// with the matched words marked; open a result in place (the chat opens
// and scrolls to the message, loading older history if it must); "More"
// pages on.  Built with DOM calls; matched parts are <mark> elements
// holding text nodes.
import { h, setText } from '../dom.js';
import { request } from '../api.js';
import * as store from '../store.js';
import { scrollToMessage } from './reply.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next
// (the box's own labels carry data-i18n-* and follow a switch at once).
export const STRINGS = {
  get placeholder() { return t('search.placeholder'); },
  get none() { return t('search.none'); },
  get more() { return t('search.more'); },
  failed: (reason) => t('search.failed', { reason }),
  get clear() { return t('search.clear'); },
};
const DEBOUNCE_MS = 350;

let box = null;
let input = null;
let list = null;
let status = null;
let more = null;
let openChat = () => {};
let query = '';
let next = null;
let timer = null;
let seq = 0;

// The snippet as text with <mark>s at the [start,end) code point ranges.
function snippetNodes(snippet, ranges) {
  const chars = Array.from(snippet);
  const out = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s < at || e <= s || e > chars.length) continue;
    if (s > at) out.push(document.createTextNode(chars.slice(at, s).join('')));
    out.push(h('mark', { text: chars.slice(s, e).join('') }));
    at = e;
  }
  if (at < chars.length) out.push(document.createTextNode(chars.slice(at).join('')));
  return out;
}

function resultItem(hit) {
  const m = hit.message;
  const chat = store.state.chats.get(m.chat_id);
  return h('li', { class: 'search-result-item' },
    h('button', {
      type: 'button', class: 'search-result', testid: 'search-result',
      'data-message-id': m.id, 'data-chat-id': m.chat_id,
      onclick: async () => {
        openChat(m.chat_id);
        // The chat view loads its newest page first; then we walk back.
        for (let i = 0; i < 40 && !(store.state.open && store.state.open.chatId === m.chat_id && store.state.open.loaded); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        scrollToMessage(m.id);
      },
    },
    h('span', { class: 'search-result-head' },
      h('span', { class: 'search-result-chat', text: chat ? chat.title : '' }), ' · ',
      h('span', { class: 'search-result-sender', text: m.sender_username })),
    h('span', { class: 'search-result-snippet' }, snippetNodes(hit.snippet, hit.highlights || []))));
}

async function run(append) {
  const my = ++seq;
  const params = new URLSearchParams({ q: query });
  if (append && next) params.set('before', String(next));
  try {
    const res = await request('GET', `/api/search?${params}`);
    if (my !== seq) return;
    const items = (res.results || []).map(resultItem);
    if (append) list.append(...items); else list.replaceChildren(...items);
    next = res.results && res.results.length ? res.results[res.results.length - 1].message.id : null;
    more.hidden = !res.has_more;
    setText(status, list.children.length ? '' : STRINGS.none);
  } catch (err) {
    if (my !== seq) return;
    setText(status, STRINGS.failed(err.message));
    more.hidden = true;
  }
  list.hidden = false;
}

function onInput() {
  clearTimeout(timer);
  query = input.value.trim();
  if (!query) { clear(); return; }
  timer = setTimeout(() => run(false), DEBOUNCE_MS);
}

function clear() {
  seq++;
  query = '';
  list.replaceChildren();
  list.hidden = true;
  more.hidden = true;
  setText(status, '');
}

// Mounts the search box before `anchor` (the chat list); `open(chatId)`
// opens a chat the way the list does.
export function initSearch(anchor, open) {
  openChat = open;
  input = h('input', { type: 'search', class: 'search-input', testid: 'search-input',
    placeholder: STRINGS.placeholder, 'aria-label': STRINGS.placeholder, autocomplete: 'off', maxlength: 200,
    dataset: { i18nPlaceholder: 'search.placeholder', i18nLabel: 'search.placeholder' } });
  list = h('ul', { class: 'search-results', testid: 'search-results', hidden: true, 'aria-label': STRINGS.placeholder,
    dataset: { i18nLabel: 'search.placeholder' } });
  status = h('p', { class: 'search-status', testid: 'search-status', role: 'status' });
  more = h('button', { type: 'button', class: 'mini', testid: 'search-more', hidden: true, text: STRINGS.more,
    dataset: { i18n: 'search.more' }, onclick: () => run(true) });
  box = h('form', { class: 'search-box', role: 'search', onsubmit: (e) => {
    e.preventDefault(); clearTimeout(timer); query = input.value.trim(); if (query) run(false);
  } }, input, status, list, more);
  input.addEventListener('input', onInput);
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape') { input.value = ''; clear(); } });
  anchor.before(box);
}
