// router.js -- client-side routes on location.pathname.  lighttpd rewrites
// /login, /chats and /chats/<id> to index.html.
let handler = () => {};

export function parse(pathname = location.pathname) {
  let m;
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
  if (location.pathname !== path) {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
  }
  handler(parse());
}
