// views/reply.js -- the quote above a reply: who wrote the original and its
// first words (or "deleted"); clicking it scrolls to the original, loading
// older history until it is there.  Text only, through textContent.
import { h, setText } from '../dom.js';
import { t, onLangChange } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
export const STRINGS = {
  get deleted() { return t('reply.deleted'); },
  get jump() { return t('reply.jump'); },
  get reply() { return t('reply.reply'); },
  replyingTo: (name, text) => t('reply.to', { name, text }),
  get cancel() { return t('reply.cancel'); },
};

// A language switch re-labels the reply bar (messages re-render themselves).
onLangChange(() => { if (bar) renderBar(); });

// The message the next send answers: {chatId, id, sender, snippet} or null.
let target = null;
let bar = null;

function renderBar() {
  const composer = document.getElementById('composer');
  if (!composer) return;
  if (!bar) {
    bar = h('div', { class: 'reply-target', testid: 'reply-target', hidden: true },
      h('span', { class: 'reply-target-text' }), ' ',
      h('button', { type: 'button', class: 'mini', testid: 'reply-cancel', text: '×', 'aria-label': STRINGS.cancel,
        title: STRINGS.cancel, onclick: () => { target = null; renderBar(); } }));
    composer.before(bar);
  }
  bar.hidden = !target;
  const cancel = bar.querySelector('[data-testid="reply-cancel"]');
  cancel.setAttribute('aria-label', STRINGS.cancel);
  cancel.title = STRINGS.cancel;
  if (target) setText(bar.querySelector('.reply-target-text'), STRINGS.replyingTo(target.sender, target.snippet));
}

// Called by the send path: the reply target for chatId (then cleared), or
// undefined.
export function takeReplyTarget(chatId) {
  if (!target || target.chatId !== chatId) return undefined;
  const id = target.id;
  target = null;
  renderBar();
  return id;
}

// Drops a target that belongs to another chat (called when a chat opens).
export function resetReplyTarget(chatId) {
  if (target && target.chatId !== chatId) { target = null; renderBar(); }
}

let loadOlder = async () => false;
// The chat view hands in "load one older page" (resolves false when there
// is nothing older).
export function setOlderLoader(fn) { loadOlder = fn; }

export async function scrollToMessage(id) {
  for (let i = 0; i < 50; i++) {
    const el = document.querySelector(`[data-testid="message"][data-message-id="${Number(id)}"]`);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.classList.add('flash');
      setTimeout(() => el.classList.remove('flash'), 1500);
      return true;
    }
    if (!(await loadOlder())) return false;
  }
  return false;
}

// Keeps li's reply quote in step with vm.reply_to; marks a message that
// mentions you (vm.mentioned).
export function renderReply(li, vm) {
  li.classList.toggle('mentions-me', !!vm.mentioned);
  let action = li.querySelector('.msg-reply-action');
  if (!action) {
    action = h('button', { type: 'button', class: 'mini msg-reply-action act', testid: 'message-reply', text: STRINGS.reply,
      tabindex: '-1',
      onclick: () => {
        const v = li.__replyVm;
        target = { chatId: v.chat_id, id: v.id, sender: v.sender, snippet: (v.content || '').slice(0, 80) };
        renderBar();
        const input = document.getElementById('message-input');
        if (input) input.focus();
      } });
    li.append(action);
  }
  li.__replyVm = vm;
  setText(action, STRINGS.reply);
  // Names its message: the list's arrow keys reach it (one Tab stop).
  action.setAttribute('aria-label', `${STRINGS.reply}: “${(vm.content || '').slice(0, 40)}”`);
  action.hidden = !vm.id || vm.deleted || !!vm.system;
  let quote = li.querySelector('.reply-quote');
  const r = vm.reply_to;
  if (!r || vm.deleted) { if (quote) quote.remove(); return; }
  if (!quote) {
    quote = h('button', { type: 'button', class: 'reply-quote act', testid: 'reply-quote', title: STRINGS.jump, tabindex: '-1' },
      h('span', { class: 'reply-sender' }), ' ', h('span', { class: 'reply-snippet' }));
    quote.addEventListener('click', () => scrollToMessage(quote.dataset.replyTo));
    li.querySelector('.msg-body').before(quote);
  }
  quote.dataset.replyTo = String(r.id);
  quote.title = STRINGS.jump;
  setText(quote.querySelector('.reply-sender'), r.sender_username);
  setText(quote.querySelector('.reply-snippet'), r.deleted ? STRINGS.deleted : r.snippet);
}
