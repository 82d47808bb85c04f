// format.js -- times, dates and short texts for display, in the page's
// language (Intl formatters are rebuilt when the language changes).
import { getLang, onLangChange, t } from './i18n.js';

let fmt = null;
function formatters() {
  if (fmt && fmt.lang === getLang()) return fmt;
  const l = getLang();
  fmt = {
    lang: l,
    time: new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit' }),
    day: new Intl.DateTimeFormat(l, { month: 'short', day: 'numeric' }),
    longDay: new Intl.DateTimeFormat(l, { weekday: 'long', month: 'long', day: 'numeric' }),
    longDayYear: new Intl.DateTimeFormat(l, { year: 'numeric', month: 'long', day: 'numeric' }),
    full: new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeStyle: 'short' }),
  };
  return fmt;
}
onLangChange(() => { fmt = null; });

export function ts(iso) {
  const t0 = Date.parse(iso || '');
  return Number.isNaN(t0) ? 0 : t0;
}

// Chat list: the time today, a short date otherwise.
export function shortTime(iso) {
  const t0 = ts(iso);
  if (!t0) return '';
  const d = new Date(t0);
  if (d.toDateString() === new Date().toDateString()) return formatters().time.format(d);
  return formatters().day.format(d);
}

// Messages show the time only: the day is on the separator above them.
export function messageTime(iso) {
  const t0 = ts(iso);
  return t0 ? formatters().time.format(new Date(t0)) : '';
}

export function fullTime(iso) {
  const t0 = ts(iso);
  return t0 ? formatters().full.format(new Date(t0)) : '';
}

// Local calendar day of a time, as a key ("2026-11-30").
export function dayKey(iso) {
  const d = new Date(ts(iso));
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

// The date separator's text: Today, Yesterday, a weekday and date.
export function dayLabel(iso) {
  const d = new Date(ts(iso));
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return t('day.today');
  const y = new Date(now); y.setDate(now.getDate() - 1);
  if (d.toDateString() === y.toDateString()) return t('day.yesterday');
  const f = formatters();
  return d.getFullYear() === now.getFullYear() ? f.longDay.format(d) : f.longDayYear.format(d);
}

export function initial(name) {
  const s = String(name || '?').trim();
  return (s[0] || '?').toUpperCase();
}

// A short quote of a message for labels ("Edit message “Hello wor…”").
export function snippet(text, max = 40) {
  const s = String(text || '').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
