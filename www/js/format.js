// format.js -- times and short texts for display.
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function ts(iso) {
  const t = Date.parse(iso || '');
  return Number.isNaN(t) ? 0 : t;
}

// Chat list: the time today, a short date otherwise.
export function shortTime(iso) {
  const t = ts(iso);
  if (!t) return '';
  const d = new Date(t);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return timeFmt.format(d);
  return dayFmt.format(d);
}

// Messages: the time today, date and time on other days.
export function messageTime(iso) {
  const t = ts(iso);
  if (!t) return '';
  const d = new Date(t);
  if (d.toDateString() === new Date().toDateString()) return timeFmt.format(d);
  return `${dayFmt.format(d)}, ${timeFmt.format(d)}`;
}

export function fullTime(iso) {
  const t = ts(iso);
  return t ? fullFmt.format(new Date(t)) : '';
}

export function initial(name) {
  const s = String(name || '?').trim();
  return (s[0] || '?').toUpperCase();
}
