// linkify.js -- message text as DOM nodes with http(s) links clickable.
// Links are built with createElement and their text with text nodes: no
// HTML from a message ever reaches the page.
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that ends a sentence rather than the link.
const TRAIL = /[.,;:!?)\]}»”’]+$/;

export function linkify(text) {
  const out = [];
  const s = String(text || '');
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    let url = m[0];
    const trail = url.match(TRAIL);
    if (trail) url = url.slice(0, url.length - trail[0].length);
    let ok = null;
    try { ok = new URL(url); } catch (e) { ok = null; }
    if (!ok || (ok.protocol !== 'http:' && ok.protocol !== 'https:')) continue;
    if (m.index > last) out.push(document.createTextNode(s.slice(last, m.index)));
    const a = document.createElement('a');
    a.href = ok.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.textContent = url;
    out.push(a);
    last = m.index + url.length;
  }
  if (last < s.length) out.push(document.createTextNode(s.slice(last)));
  return out;
}
