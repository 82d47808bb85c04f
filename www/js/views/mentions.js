// views/mentions.js -- the "@" marker beside a chat's unread badge while
// messages that mention you are unread there (Chat.mention_count; raised
// by new_message events with "mentioned":true, cleared when the chat's
// unread count drops to 0, and set from the server's count whenever the
// chat is loaded or the page syncs: GET /api/sync's chats[].mention_count).
import { h, setText } from '../dom.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
export const STRINGS = {
  get marker() { return t('mention.marker'); },
  label: (n) => (n === 1 ? t('mention.once') : t('mention.times', { n })),
};

export function renderMentionMarker(slot, chat) {
  let m = slot.querySelector('.mention-marker');
  const n = (chat.unread_count || 0) > 0 ? (chat.mention_count || 0) : 0;
  if (n <= 0) { if (m) m.remove(); return; }
  if (!m) {
    m = h('span', { class: 'mention-marker', testid: 'mention-marker' });
    slot.prepend(m);
  }
  setText(m, STRINGS.marker);
  m.setAttribute('aria-label', STRINGS.label(n));
  m.title = STRINGS.label(n);
}
