// views/reply.js -- the quote above a reply: who wrote the original and its
// first words (or "deleted"); clicking it scrolls to the original, loading
// older history until it is there.  Text only, through textContent.
import { h, setText } from '../dom.js';

// User-visible strings (mapped into the page's string table at merge).
export const STRINGS = {
  deleted: 'Deleted message',
  jump: 'Show the original message',
  mention: '@',
};

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
  let quote = li.querySelector('.reply-quote');
  const r = vm.reply_to;
  if (!r || vm.deleted) { if (quote) quote.remove(); return; }
  if (!quote) {
    quote = h('button', { type: 'button', class: 'reply-quote', testid: 'reply-quote', title: STRINGS.jump },
      h('span', { class: 'reply-sender' }), ' ', h('span', { class: 'reply-snippet' }));
    quote.addEventListener('click', () => scrollToMessage(quote.dataset.replyTo));
    li.querySelector('.msg-body').before(quote);
  }
  quote.dataset.replyTo = String(r.id);
  setText(quote.querySelector('.reply-sender'), r.sender_username);
  setText(quote.querySelector('.reply-snippet'), r.deleted ? STRINGS.deleted : r.snippet);
}
