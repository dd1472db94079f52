// Pieces every page uses: the page heading, the error panels (no access, not found), badges.

import { h } from './dom.js';
import { t, label } from './i18n.js';
import { ApiError } from './api.js';

/** heading returns the page's <h1> with optional tools (buttons, links) beside it. */
export function heading(title, ...tools) {
  return h('div', { class: 'page-head' }, h('h1', {}, title), tools.length ? h('div', { class: 'tools' }, tools) : null);
}

/** noAccess is the panel a user sees on a page their role may not use (the API said 403). */
export function noAccess() {
  return h('section', { class: 'panel panel-warn', role: 'alert', dataset: { state: 'no-access' } },
    h('h1', {}, t('noaccess.title')), h('p', {}, t('noaccess.body')));
}

/** notFound is the panel for a record the caller cannot see or that does not exist. */
export function notFound() {
  return h('section', { class: 'panel panel-warn', role: 'alert', dataset: { state: 'not-found' } },
    h('h1', {}, t('notfound.title')), h('p', {}, t('notfound.body')), h('p', {}, h('a', { href: '#/review' }, t('notfound.back'))));
}

/** errorPanel renders err: 403 as noAccess, 404 as notFound, anything else with its message. */
export function errorPanel(err) {
  if (err instanceof ApiError && err.status === 403) return noAccess();
  if (err instanceof ApiError && err.status === 404) return notFound();
  return h('section', { class: 'panel panel-error', role: 'alert', dataset: { state: 'error' } },
    h('h1', {}, t('error.title')), h('p', {}, errorText(err)));
}

/** errorText is a one-line description of err for people. */
export function errorText(err) {
  if (!(err instanceof ApiError)) return String((err && err.message) || err);
  if (err.code === 'network') return t('error.network');
  const fields = Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`).join('; ');
  return `${label('error.code.', err.code)}${err.message ? ` — ${err.message}` : ''}${fields ? ` (${fields})` : ''}`;
}

/** badge shows a status value, coloured by its class (badge-<value>). */
export function badge(prefix, value) {
  if (value === undefined || value === null || value === '') return null;
  return h('span', { class: `badge badge-${String(value).replace(/[^a-z_]/g, '')}` }, label(prefix, value));
}

/** loading is the placeholder shown while a page fetches. */
export function loading() {
  return h('p', { class: 'loading', role: 'status' }, t('common.loading'));
}

/** empty is the line shown for an empty list. */
export function empty(text) {
  return h('p', { class: 'empty' }, text || t('common.empty'));
}
