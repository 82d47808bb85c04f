// dom.js -- tiny helpers to build DOM safely.  User text only ever goes
// through textContent / text nodes, never innerHTML.

// h('div', {class:'x', testid:'y', text:'hello', onclick: fn}, child...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'testid') el.setAttribute('data-testid', v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

export function setText(el, text) {
  const t = text === null || text === undefined ? '' : String(text);
  if (el.textContent !== t) el.textContent = t;
}

// Keyed list reconciliation: makes container's children match `items` in
// order, creating nodes for new keys, updating existing ones, removing the
// rest.  Existing nodes are moved, not rebuilt, so focus and scroll survive.
export function reconcile(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of Array.from(container.children)) {
    if (child.__key !== undefined) existing.set(child.__key, child);
    else child.remove();
  }
  const keep = new Set();
  let prev = null;
  for (const item of items) {
    const key = keyOf(item);
    let node = existing.get(key);
    if (!node || keep.has(node)) {
      node = create(item);
      node.__key = key;
    }
    update(node, item);
    keep.add(node);
    const want = prev ? prev.nextSibling : container.firstChild;
    if (node !== want) container.insertBefore(node, want);
    prev = node;
  }
  for (const node of existing.values()) if (!keep.has(node)) node.remove();
}
