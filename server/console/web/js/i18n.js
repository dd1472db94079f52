// Texts of the console: Chinese (zh-CN) by default, English on the switch. The choice is a
// preference kept in localStorage (it is not a secret; the session never is).

import { zh, en } from './messages.js';

const LANG_KEY = 'fieldsync.console.lang';
const dicts = { 'zh-CN': zh, en };
let lang = 'zh-CN';
const listeners = new Set();

try {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && dicts[saved]) lang = saved;
} catch { /* storage disabled: keep the default */ }
document.documentElement.lang = lang;

/** language returns the current language: 'zh-CN' or 'en'. */
export function language() { return lang; }

/** setLanguage switches the language, remembers it and notifies onLanguage listeners. */
export function setLanguage(next) {
  if (!dicts[next] || next === lang) return;
  lang = next;
  document.documentElement.lang = lang;
  try { localStorage.setItem(LANG_KEY, lang); } catch { /* ignore */ }
  listeners.forEach((fn) => fn(lang));
}

/** onLanguage calls fn(lang) after every switch. */
export function onLanguage(fn) { listeners.add(fn); }

/**
 * t returns the text of key in the current language with {name} placeholders filled from params;
 * a key missing in the language falls back to Chinese, then to the key itself.
 */
export function t(key, params) {
  let s = dicts[lang][key] ?? zh[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}

/** has reports whether key has a text (to label known values and show unknown ones as they are). */
export function has(key) { return key in zh; }

/** label returns t(prefix + value) when such a text exists, else the value itself. */
export function label(prefix, value) {
  if (value === undefined || value === null || value === '') return '';
  return has(prefix + value) ? t(prefix + value) : String(value);
}

/**
 * bilingual picks the current language's half of a server text written "中文 / English",
 * optionally after a stable code ("not_approved: 未经批准 / not approved"); other texts are
 * returned as they are.
 */
export function bilingual(text) {
  if (typeof text !== 'string') return text;
  const m = /^(?:[a-z_]+: )?(.+?) \/ (.+)$/s.exec(text);
  if (!m) return text;
  return lang === 'en' ? m[2] : m[1];
}
