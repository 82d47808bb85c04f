// views/messages.js -- one message element: avatar and name at the start of
// a sender's group, bubble with linkified text, time / edited / seen line,
// pending and failed state with Retry, and for your own messages Edit and
// Delete (behind "⋯" or a long press on touch screens, as Reply and
// reactions are for every message there).  createMessage() is
// the one place a message element is built; updateMessage() brings it up to
// date with its view model.  All user text goes through text nodes.
import { h, setText } from '../dom.js';
import { messageTime, fullTime, snippet } from '../format.js';
import { paintAvatar } from '../avatar.js';
import { linkify } from '../linkify.js';
import { t } from '../i18n.js';
import { renderAttachments, attachmentsSig } from './attachments.js';
import { renderReactions } from './reactions.js';
import { renderReply } from './reply.js';

const LONG_PRESS = 500;

// view model: {kind:'msg', key, id, mine, sender, sender_id, created_at,
//   content, edited, deleted, status: 'sent'|'sending'|'failed', error,
//   client_id, seen: ''|'Seen'|'Seen by N', first, group}
export function createMessage(vm, actions) {
  const li = h('div', { class: 'msg', testid: 'message', role: 'article', tabindex: '-1' },
    h('span', { class: 'avatar small', 'aria-hidden': 'true' }),
    h('div', { class: 'bubble' },
      h('div', { class: 'sender' }),
      h('div', { class: 'msg-body' }, h('p', { class: 'msg-text', testid: 'message-text' })),
      h('div', { class: 'msg-attachments', hidden: true }),
      h('div', { class: 'msg-foot' },
        h('span', { class: 'edited', hidden: true }),
        h('time', { class: 'msg-time' }),
        h('span', { class: 'msg-status', testid: 'message-status' })),
      h('div', { class: 'msg-fail' })),
    h('div', { class: 'msg-actions' }));
  li.__actions = actions;
  li.__vm = null;
  addLongPress(li);
  return li;
}

function sig(vm) {
  return JSON.stringify([vm.id, vm.mine, vm.sender, vm.created_at, vm.content, vm.edited, vm.deleted,
    vm.status, vm.error, vm.seen, vm.first, vm.group, t('msg.you'), attachmentsSig(vm.attachments),
    vm.reactions, vm.reply_to, vm.mentioned]);
}

export function updateMessage(li, vm) {
  const s = sig(vm);
  if (li.__sig === s) return;
  li.__sig = s;
  li.__vm = vm;
  if (vm.id) li.dataset.messageId = String(vm.id); else delete li.dataset.messageId;
  if (vm.client_id) li.dataset.clientId = vm.client_id;
  li.dataset.status = vm.status;
  li.classList.toggle('mine', vm.mine);
  li.classList.toggle('theirs', !vm.mine);
  li.classList.toggle('deleted', vm.deleted);
  li.classList.toggle('pending', vm.status === 'sending');
  li.classList.toggle('failed', vm.status === 'failed');
  li.classList.toggle('first', vm.first);
  li.classList.toggle('cont', !vm.first);

  // Others' names and avatars only in groups, once per run of messages.
  const showWho = vm.group && !vm.mine;
  const av = li.querySelector('.avatar');
  av.hidden = !showWho;
  if (showWho) paintAvatar(av, vm.sender_id, vm.sender);
  av.classList.toggle('ghost', showWho && !vm.first);
  const name = li.querySelector('.sender');
  setText(name, showWho && vm.first ? vm.sender : '');
  name.hidden = !(showWho && vm.first);
  if (showWho) name.className = `sender ${av.classList[2] || ''}`;

  const when = vm.created_at ? messageTime(vm.created_at) : '';
  const tm = li.querySelector('.msg-time');
  setText(tm, when);
  tm.setAttribute('datetime', vm.created_at || '');
  tm.title = vm.created_at ? fullTime(vm.created_at) : '';
  const edited = li.querySelector('.edited');
  edited.hidden = !(vm.edited && !vm.deleted);
  setText(edited, t('msg.edited'));
  edited.title = vm.edited ? t('msg.edited.at', { time: fullTime(vm.edited) }) : '';
  const text = vm.deleted ? t('msg.deleted') : snippet(vm.content, 200);
  li.setAttribute('aria-label', t('msg.label', { name: vm.mine ? t('msg.you') : vm.sender, time: when, text }));

  if (vm.deleted && li.__editing) stopEditing(li);
  if (!li.__editing) renderBody(li, vm);
  renderAttachments(li.querySelector('.msg-attachments'), vm.deleted ? [] : vm.attachments);
  renderStatus(li, vm);
  renderActions(li, vm);
  renderReply(li, vm);
  renderReactions(li, vm);
}

function renderBody(li, vm) {
  const body = li.querySelector('.msg-body');
  let p = body.querySelector('.msg-text');
  if (!p || body.childElementCount > 1) {
    body.replaceChildren(h('p', { class: 'msg-text', testid: 'message-text' }));
    p = body.firstChild;
  }
  if (vm.deleted) setText(p, t('msg.deleted'));
  else p.replaceChildren(...linkify(vm.content));
  p.classList.toggle('tombstone', vm.deleted);
}

function renderStatus(li, vm) {
  const st = li.querySelector('.msg-status');
  setText(st, vm.status === 'sending' ? t('msg.sending') : (vm.status === 'sent' && !vm.deleted ? vm.seen : ''));
  st.classList.toggle('seen', !!vm.seen && vm.status === 'sent');
  const box = li.querySelector('.msg-fail');
  const a = li.__actions;
  if (vm.status !== 'failed') { if (box.firstChild) box.replaceChildren(); return; }
  const quote = snippet(vm.content);
  box.replaceChildren(
    h('span', { class: 'fail-text', text: vm.error || t('msg.failed') }), ' ',
    h('button', { type: 'button', class: 'link act', tabindex: '-1', text: t('msg.retry'),
      'aria-label': `${t('msg.retry')}: “${quote}”`, onclick: () => a.retry(vm.client_id) }), ' ',
    h('button', { type: 'button', class: 'link act', tabindex: '-1', text: t('msg.discard'),
      'aria-label': `${t('msg.discard')}: “${quote}”`, onclick: () => a.discard(vm.client_id) }));
}

function renderActions(li, vm) {
  const box = li.querySelector('.msg-actions');
  const canChange = vm.mine && vm.id && !vm.deleted && vm.status === 'sent';
  if (!canChange) { box.__confirming = false; box.replaceChildren(); li.classList.remove('menu-open'); return; }
  if (box.__confirming || li.__editing) return;
  showButtons(li, box);
}

// Your own message's actions.  Every button names the message it acts on.
function showButtons(li, box) {
  const vm = li.__vm;
  const a = li.__actions;
  const quote = snippet(vm.content);
  box.__confirming = false;
  const had = box.contains(document.activeElement) ? document.activeElement.dataset.testid : '';
  box.replaceChildren(
    h('button', { type: 'button', class: 'mini more act', testid: 'message-more', tabindex: '-1',
      'aria-label': t('msg.more', { text: quote }), 'aria-expanded': String(li.classList.contains('menu-open')),
      text: '⋯', onclick: () => toggleMenu(li) }),
    h('button', { type: 'button', class: 'mini act', testid: 'message-edit', tabindex: '-1',
      'aria-label': t('msg.edit.label', { text: quote }), text: t('msg.edit'), onclick: () => startEditing(li) }),
    h('button', { type: 'button', class: 'mini danger act', testid: 'message-delete', tabindex: '-1',
      'aria-label': t('msg.delete.label', { text: quote }), text: t('msg.delete'),
      onclick: () => {
        box.__confirming = true;
        const yes = h('button', { type: 'button', class: 'mini danger act', testid: 'message-delete-confirm', tabindex: '-1',
          'aria-label': t('msg.delete.yes.label', { text: quote }), text: t('msg.delete'),
          onclick: async () => {
            yes.disabled = true;
            const ok = await a.remove(li.__vm.id);
            if (!ok) showButtons(li, box);
          } });
        box.replaceChildren(h('span', { class: 'confirm-text', text: t('msg.delete.confirm') }), yes,
          h('button', { type: 'button', class: 'mini act', tabindex: '-1', text: t('msg.cancel'),
            onclick: () => { showButtons(li, box); box.querySelector('[data-testid="message-delete"]').focus(); } }));
        yes.focus();
      } }));
  if (had) { const b = box.querySelector(`[data-testid="${had}"]`); if (b) b.focus(); }
}

// Touch screens: the actions open from "⋯" or a long press on the bubble.
export function toggleMenu(li, open = !li.classList.contains('menu-open')) {
  li.classList.toggle('menu-open', open);
  const more = li.querySelector('.more');
  if (more) more.setAttribute('aria-expanded', String(open));
  if (open) {
    for (const other of li.parentNode ? li.parentNode.querySelectorAll('.msg.menu-open') : []) {
      if (other !== li) toggleMenu(other, false);
    }
    const first = li.querySelector('[data-testid="message-edit"]') ||
      li.querySelector('.msg-reply-action:not([hidden])');
    if (first) first.focus({ preventScroll: true });
  }
}

function addLongPress(li) {
  let timer = null;
  const cancel = () => { clearTimeout(timer); timer = null; };
  li.addEventListener('pointerdown', (e) => {
    // Any sent message: Reply and reactions live behind the press too.
    const vm = li.__vm;
    if (e.pointerType === 'mouse' || !vm || !vm.id || vm.deleted || li.__editing) return;
    cancel();
    timer = setTimeout(() => { timer = null; li.__pressed = true; toggleMenu(li, true); }, LONG_PRESS);
  });
  for (const ev of ['pointerup', 'pointercancel', 'pointerleave', 'pointermove']) {
    li.addEventListener(ev, (e) => { if (ev !== 'pointermove' || Math.abs(e.movementY) > 4) cancel(); });
  }
  li.addEventListener('contextmenu', (e) => { if (li.__pressed) { e.preventDefault(); li.__pressed = false; } });
}

export function startEditing(li) {
  const vm = li.__vm;
  if (!vm || vm.deleted || !vm.mine || !vm.id) return;
  li.__editing = true;
  li.classList.add('editing');
  li.classList.remove('menu-open');
  const a = li.__actions;
  const area = h('textarea', { class: 'edit-input', testid: 'message-edit-input', 'aria-label': t('msg.edit.input'),
    maxlength: '4000', rows: '2' });
  area.value = vm.content || '';
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = async () => {
    const content = area.value.trim();
    if (!content) { err.textContent = t('msg.edit.empty'); err.hidden = false; return; }
    if (content === (vm.content || '').trim()) { stopEditing(li, true); return; }
    saveBtn.disabled = true;
    const problem = await a.edit(vm.id, content);
    saveBtn.disabled = false;
    if (problem) { err.textContent = problem; err.hidden = false; return; }
    stopEditing(li, true);
  };
  const saveBtn = h('button', { type: 'button', class: 'btn small primary', testid: 'message-edit-save', text: t('msg.save'), onclick: save });
  area.addEventListener('keydown', (e) => {
    e.stopPropagation();   // arrows and Enter belong to the text box here
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); save(); }
    if (e.key === 'Escape') { e.preventDefault(); stopEditing(li, true); }
  });
  li.querySelector('.msg-body').replaceChildren(area, err,
    h('div', { class: 'edit-buttons' },
      h('button', { type: 'button', class: 'btn small', testid: 'message-edit-cancel', text: t('msg.cancel'),
        onclick: () => stopEditing(li, true) }),
      saveBtn));
  li.querySelector('.msg-actions').replaceChildren();
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
  // The Save button must be on screen, not below the list's edge.
  li.scrollIntoView({ block: 'nearest' });
}

// Back to the text; focus goes where the user was typing before.
function stopEditing(li, refocus = false) {
  const hadFocus = li.contains(document.activeElement);
  li.__editing = false;
  li.classList.remove('editing');
  li.__sig = null;
  if (li.__vm) {
    renderBody(li, li.__vm);
    renderActions(li, li.__vm);
  }
  if (hadFocus && refocus) {
    const input = document.getElementById('message-input');
    if (input && li.__fromComposer) input.focus(); else li.focus();
  }
  li.__fromComposer = false;
}
