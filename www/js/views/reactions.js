// views/reactions.js -- reactions under a message: one button per emoji
// with its count (pressed when you are among those who reacted; pressing
// toggles yours), and a small picker to add one.  Built with DOM calls
// only; the emoji and counts go in as text.
import { h, setText } from '../dom.js';
import { request } from '../api.js';
import * as store from '../store.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
export const STRINGS = {
  get add() { return t('react.add'); },
  who: (n) => t('react.who', { n }),
  get failed() { return t('react.failed'); },
  toggle: (emoji, n, text) => t('react.toggle', { emoji, n, text }),
  pick: (emoji, text) => t('react.pick', { emoji, text }),
};
const PICKS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

async function toggle(vm, emoji, on, box) {
  try {
    const method = on ? 'PUT' : 'DELETE';
    const r = await request(method, `/api/messages/${vm.id}/reactions/${encodeURIComponent(emoji)}`);
    if (r) store.applyEvent({ type: 'reaction_updated', chat_id: vm.chat_id, message_id: vm.id, reactions: r.reactions }, 'local');
  } catch (err) {
    box.title = STRINGS.failed;
  }
}

// Keeps li's reactions in step with vm ({id, chat_id, deleted, system,
// reactions, me}): the chips sit inside the bubble, under the text, and
// only when there are any; "add a reaction" and its picker sit beside the
// bubble with Reply (shown on hover or focus; on touch screens behind a
// long press, like your own message's actions).
export function renderReactions(li, vm) {
  const bubble = li.querySelector('.bubble') || li;
  let box = li.querySelector('.msg-reactions');
  if (!box) {
    box = h('div', { class: 'msg-reactions', testid: 'reactions' });
    bubble.append(box);
  }
  let tools = li.querySelector('.reaction-tools');
  if (!tools) {
    tools = h('span', { class: 'reaction-tools' });
    li.append(tools);
  }
  const usable = vm.id && !vm.deleted && !vm.system;
  box.hidden = !usable || !(vm.reactions || []).length;
  tools.hidden = !usable;
  if (!usable) { box.replaceChildren(); tools.replaceChildren(); return; }
  // Every button names its message: the list's arrow keys reach them
  // (one Tab stop), so a screen reader hears them out of the bubble.
  const text = (vm.content || '').slice(0, 40);
  const buttons = (vm.reactions || []).map((r) => {
    const mine = r.user_ids.includes(vm.me);
    return h('button', {
      type: 'button', class: `reaction act${mine ? ' mine' : ''}`, testid: 'reaction', tabindex: '-1',
      'data-emoji': r.emoji, 'aria-pressed': mine ? 'true' : 'false', title: STRINGS.who(r.user_ids.length),
      'aria-label': STRINGS.toggle(r.emoji, r.user_ids.length, text),
      onclick: () => toggle(vm, r.emoji, !mine, tools),
    }, h('span', { class: 'reaction-emoji', text: r.emoji }), ' ',
    h('span', { class: 'reaction-count', testid: 'reaction-count', text: r.user_ids.length }));
  });
  box.replaceChildren(...buttons);
  const picker = h('span', { class: 'reaction-picker', hidden: true },
    PICKS.map((e) => h('button', {
      type: 'button', class: 'mini act', testid: 'reaction-pick', 'data-emoji': e, text: e, tabindex: '-1',
      'aria-label': STRINGS.pick(e, text),
      onclick: () => { picker.hidden = true; tools.classList.remove('open'); toggle(vm, e, true, tools); },
    })));
  const add = h('button', {
    type: 'button', class: 'mini reaction-add act', testid: 'reaction-add', tabindex: '-1',
    'aria-label': `${STRINGS.add}: “${text}”`, 'aria-expanded': 'false',
    title: STRINGS.add, text: '☺+',
    onclick: () => {
      picker.hidden = !picker.hidden;
      tools.classList.toggle('open', !picker.hidden);
      add.setAttribute('aria-expanded', String(!picker.hidden));
    },
  });
  tools.classList.remove('open');
  tools.replaceChildren(add, picker);
}
