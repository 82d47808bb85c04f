// views/attachments.js -- a message's attachments: images as previews
// whose box has the image's own proportions before it loads (width and
// height come with the message), opening full size on click; other files as
// download links with name and size.  Text only through textContent.
import { h } from '../dom.js';
import { t } from '../i18n.js';

// User-visible strings, read from the page's string table (i18n.js) each
// time they are shown, so a language switch applies to what renders next.
const T = {
  openImage: (name) => t('att.open', { name }),
  download: (name) => t('att.download', { name }),
};

const PREVIEW_MAX_W = 320;
const PREVIEW_MAX_H = 240;

export function formatSize(n) {
  if (n < 1024) return t('att.size.b', { n });
  if (n < 1024 * 1024) return t('att.size.kb', { n: (n / 1024).toFixed(n < 10240 ? 1 : 0) });
  return t('att.size.mb', { n: (n / 1024 / 1024).toFixed(1) });
}

// A stable signature, so a message row re-renders only when they change.
export function attachmentsSig(list) {
  return (list || []).map((a) => a.id).join(',');
}

function imageNode(a) {
  const scale = Math.min(1, PREVIEW_MAX_W / a.width, PREVIEW_MAX_H / a.height);
  const img = h('img', {
    src: a.url, alt: a.name, loading: 'lazy', decoding: 'async', testid: 'attachment-image',
    width: String(Math.max(1, Math.round(a.width * scale))),
    height: String(Math.max(1, Math.round(a.height * scale))),
  });
  return h('a', { class: 'att att-image', href: a.url, target: '_blank', rel: 'noopener',
    title: T.openImage(a.name), testid: 'attachment', dataset: { uploadId: String(a.id) } }, img);
}

function fileNode(a) {
  return h('a', { class: 'att att-file', href: a.url, download: a.name, testid: 'attachment',
    title: T.download(a.name), dataset: { uploadId: String(a.id) } },
  h('span', { class: 'att-icon', 'aria-hidden': 'true', text: '⤓' }),
  h('span', { class: 'att-name', text: a.name }),
  h('span', { class: 'att-size', text: formatSize(a.size) }));
}

// Makes `container` show `list` (Upload objects).
export function renderAttachments(container, list) {
  const items = (list || []).map((a) => (a.width && a.height ? imageNode(a) : fileNode(a)));
  container.replaceChildren(...items);
  container.hidden = items.length === 0;
}
