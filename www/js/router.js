// router.js -- client-side routes on location.pathname.  lighttpd rewrites
// /login, /chats and /chats/<id> (under the page's prefix, see base.js) to
// index.html.  Routes are written without the prefix everywhere else.
import { BASE, pageUrl } from './base.js';

let handler = () => {};

export function parse(pathname = location.pathname) {
  let m;
  if (BASE && pathname.startsWith(BASE)) pathname = pathname.slice(BASE.length) || '/';
  if ((m = pathname.match(/^\/chats\/(\d+)\/?$/))) return { name: 'chat', chatId: Number(m[1]) };
  if (/^\/chats\/?$/.test(pathname)) return { name: 'chats' };
  if (/^\/login\/?$/.test(pathname)) return { name: 'login' };
  return { name: 'root' };
}

export function onRoute(fn) {
  handler = fn;
  window.addEventListener('popstate', () => handler(parse()));
}

export function navigate(path, { replace = false } = {}) {
  const url = pageUrl(path);
  if (location.pathname !== url) {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
  }
  handler(parse());
}
