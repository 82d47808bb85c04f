// base.js -- the URL prefix the page is mounted under: "" at the site root,
// "/chat" when an operator mounts it at /chat/ (docs/deploy.md).  Derived
// from where this script was loaded from (<prefix>/js/base.js), so the same
// files work under any prefix; only index.html's asset links are rewritten
// at install time.  The scripts are loaded from a versioned folder,
// <prefix>/v/<version>/js/ (docs/page.md, "Delivery"), which is not part of
// the prefix.
export const BASE = new URL('..', import.meta.url).pathname.replace(/\/$/, '').replace(/\/v\/[^/]+$/, '');

// A page path ("/chats/5") as a URL under the prefix.
export function pageUrl(path) {
  return BASE + path;
}
