// avatar.js -- a colour per user (or group) for avatars: a stable pick
// from eight pairs whose text/background contrast is at least 4.5:1 in
// both themes (the pairs live in css/app.css as .av0 … .av7).
import { initial } from './format.js';

const COLOURS = 8;

export function avatarClass(id) {
  const n = Math.abs(Number(id) || 0);
  // Knuth's multiplicative hash spreads neighbouring ids over the palette.
  return `av${((n * 2654435761) >>> 0) % COLOURS}`;
}

// Sets an avatar element's letter and colour.
export function paintAvatar(el, id, name) {
  const want = `avatar ${el.classList.contains('small') ? 'small ' : ''}${avatarClass(id)}`;
  if (el.className !== want) el.className = want;
  if (el.textContent !== initial(name)) el.textContent = initial(name);
}
