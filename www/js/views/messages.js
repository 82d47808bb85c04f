// views/messages.js -- one message row: bubble, meta line, edit/delete
// controls for your own messages, pending/failed state with Retry.
// All user text goes through textContent.
import { h, setText } from '../dom.js';
import { messageTime, fullTime } from '../format.js';
import { renderReactions } from './reactions.js';
import { renderReply } from './reply.js';

// view model: {key, id, mine, sender, created_at, content, edited, deleted,
//              status: 'sent'|'sending'|'failed', error, client_id, seen}
export function createMessage(vm, actions) {
  const li = h('li', { class: 'msg', testid: 'message' },
    h('div', { class: 'bubble' },
      h('div', { class: 'msg-meta' },
        h('span', { class: 'sender' }), ' ',
        h('time', { class: 'msg-time' }),
        h('span', { class: 'edited', hidden: true, text: 'edited' })),
      h('div', { class: 'msg-body' }, h('p', { class: 'msg-text', testid: 'message-text' })),
      h('div', { class: 'msg-status', 'aria-live': 'polite' })),
    h('div', { class: 'msg-actions' }));
  li.__actions = actions;
  li.__vm = null;
  return li;
}

function sig(vm) {
  return JSON.stringify([vm.id, vm.mine, vm.sender, vm.created_at, vm.content, vm.edited, vm.deleted,
    vm.status, vm.error, vm.seen, vm.reactions, vm.reply_to, vm.mentioned]);
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

  setText(li.querySelector('.sender'), vm.mine ? 'You' : vm.sender);
  const t = li.querySelector('.msg-time');
  setText(t, vm.created_at ? messageTime(vm.created_at) : '');
  t.setAttribute('datetime', vm.created_at || '');
  t.title = vm.created_at ? fullTime(vm.created_at) : '';
  const edited = li.querySelector('.edited');
  edited.hidden = !(vm.edited && !vm.deleted);
  edited.title = vm.edited ? `Edited ${fullTime(vm.edited)}` : '';

  if (vm.deleted && li.__editing) stopEditing(li);
  if (!li.__editing) renderBody(li, vm);
  renderStatus(li, vm);
  renderActions(li, vm);
  renderReply(li, vm);
  renderReactions(li, vm);
}

function renderBody(li, vm) {
  const body = li.querySelector('.msg-body');
  let p = body.querySelector('.msg-text');
  if (!p) {
    body.replaceChildren(h('p', { class: 'msg-text', testid: 'message-text' }));
    p = body.firstChild;
  }
  setText(p, vm.deleted ? 'Message deleted' : vm.content);
  p.classList.toggle('tombstone', vm.deleted);
}

function renderStatus(li, vm) {
  const box = li.querySelector('.msg-status');
  const a = li.__actions;
  if (vm.status === 'sending') {
    box.replaceChildren(h('span', { text: 'Sending…' }));
  } else if (vm.status === 'failed') {
    box.replaceChildren(
      h('span', { class: 'fail-text', text: vm.error || 'Not sent.' }), ' ',
      h('button', { type: 'button', class: 'link', text: 'Retry', onclick: () => a.retry(vm.client_id) }), ' ',
      h('button', { type: 'button', class: 'link', text: 'Discard', onclick: () => a.discard(vm.client_id) }));
  } else if (vm.seen) {
    box.replaceChildren(h('span', { class: 'seen', text: 'Seen' }));
  } else if (box.firstChild) {
    box.replaceChildren();
  }
}

function renderActions(li, vm) {
  const box = li.querySelector('.msg-actions');
  const canChange = vm.mine && vm.id && !vm.deleted && vm.status === 'sent';
  if (!canChange) { box.__confirming = false; box.replaceChildren(); return; }
  if (box.__confirming || li.__editing || box.childElementCount) return;
  showButtons(li, box);
}

function showButtons(li, box) {
  const a = li.__actions;
  box.__confirming = false;
  box.replaceChildren(
    h('button', { type: 'button', class: 'mini', testid: 'message-edit', 'aria-label': 'Edit message',
      text: 'Edit', onclick: () => startEditing(li) }),
    h('button', { type: 'button', class: 'mini danger', testid: 'message-delete', 'aria-label': 'Delete message',
      text: 'Delete',
      onclick: () => {
        box.__confirming = true;
        const yes = h('button', { type: 'button', class: 'mini danger', testid: 'message-delete-confirm', text: 'Delete',
          onclick: async () => {
            yes.disabled = true;
            const ok = await a.remove(li.__vm.id);
            if (!ok) showButtons(li, box);
          } });
        box.replaceChildren(h('span', { class: 'confirm-text', text: 'Delete this message?' }), yes,
          h('button', { type: 'button', class: 'mini', text: 'Cancel', onclick: () => { showButtons(li, box); box.firstChild.focus(); } }));
        yes.focus();
      } }));
}

function startEditing(li) {
  const vm = li.__vm;
  if (!vm || vm.deleted) return;
  li.__editing = true;
  li.classList.add('editing');
  const a = li.__actions;
  const area = h('textarea', { class: 'edit-input', testid: 'message-edit-input', 'aria-label': 'Edit message',
    maxlength: '4000', rows: '2' });
  area.value = vm.content || '';
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = async () => {
    const content = area.value.trim();
    if (!content) { err.textContent = 'A message cannot be empty (delete it instead).'; err.hidden = false; return; }
    if (content === (vm.content || '').trim()) { stopEditing(li); return; }
    saveBtn.disabled = true;
    const problem = await a.edit(vm.id, content);
    saveBtn.disabled = false;
    if (problem) { err.textContent = problem; err.hidden = false; return; }
    stopEditing(li);
  };
  const saveBtn = h('button', { type: 'button', class: 'mini primary', testid: 'message-edit-save', text: 'Save', onclick: save });
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); save(); }
    if (e.key === 'Escape') { e.preventDefault(); stopEditing(li); }
  });
  li.querySelector('.msg-body').replaceChildren(area, err,
    h('div', { class: 'edit-buttons' }, saveBtn,
      h('button', { type: 'button', class: 'mini', text: 'Cancel', onclick: () => stopEditing(li) })));
  li.querySelector('.msg-actions').replaceChildren();
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
}

function stopEditing(li) {
  const hadFocus = li.contains(document.activeElement);
  li.__editing = false;
  li.classList.remove('editing');
  li.__sig = null;
  if (li.__vm) {
    renderBody(li, li.__vm);
    renderActions(li, li.__vm);
  }
  if (hadFocus) {
    const b = li.querySelector('.msg-actions button');
    if (b) b.focus();
  }
}
