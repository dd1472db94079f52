// Formats for people: money is integer fen on the wire, instants RFC 3339, civil dates and the
// month in Asia/Shanghai (SPEC.md).

import { language } from './i18n.js';

const TZ = 'Asia/Shanghai';

/** money formats fen as yuan: 123450 → "¥1,234.50". */
export function money(fen) {
  if (fen === undefined || fen === null || Number.isNaN(Number(fen))) return '';
  const n = Number(fen);
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  const yuan = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/** yuanToFen parses "12.5" → 1250; NaN for anything that is not an amount. */
export function yuanToFen(text) {
  const s = String(text).trim();
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN;
  const [y, f = ''] = s.split('.');
  return Number(y) * 100 + Number(f.padEnd(2, '0'));
}

/** dateTime formats an RFC 3339 instant in Asia/Shanghai: "2026-10-02 14:05". */
export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** ago formats how long ago an instant was: "3 分钟前" / "3 min ago". */
export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t) || t <= 0) return '';
  const fmt = new Intl.RelativeTimeFormat(language() === 'en' ? 'en' : 'zh-CN', { numeric: 'auto' });
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 60) return fmt.format(s, 'second');
  if (abs < 3600) return fmt.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return fmt.format(Math.round(s / 3600), 'hour');
  return fmt.format(Math.round(s / 86400), 'day');
}

/** today returns the civil date in Asia/Shanghai: "2026-11-30". */
export function today(now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** thisMonth returns the month in Asia/Shanghai: "2026-11". */
export function thisMonth(now = new Date()) { return today(now).slice(0, 7); }

/** addMonths moves a "YYYY-MM" month by n months. */
export function addMonths(month, n) {
  const [y, m] = month.split('-').map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** isMonth reports whether s is a "YYYY-MM" month. */
export function isMonth(s) { return /^\d{4}-(0[1-9]|1[0-2])$/.test(s || ''); }

/** bytes formats a byte count: 1536 → "1.5 KB". */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
