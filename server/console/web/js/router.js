// Hash routing: #/review, #/review/<collection>/<id>, #/incidents, #/month/<YYYY-MM>,
// #/money/<YYYY-MM>, #/exports, #/health. A page module exports render(root, params, ctx); ctx
// gives it cleanups (run when the user leaves the page) and a re-render on new records.

import { clear } from './dom.js';
import { errorPanel, loading } from './views.js';
import * as sync from './sync.js';

const routes = [
  { path: /^\/review$/, nav: 'review', load: () => import('./pages/review.js') },
  { path: /^\/review\/([a-z_]+)\/([A-Za-z0-9_-]{1,64})$/, nav: 'review', load: () => import('./pages/item.js'), keys: ['collection', 'id'] },
  { path: /^\/incidents$/, nav: 'incidents', load: () => import('./pages/incidents.js') },
  { path: /^\/month(?:\/(\d{4}-\d{2}))?$/, nav: 'month', load: () => import('./pages/month.js'), keys: ['month'] },
  { path: /^\/money(?:\/(\d{4}-\d{2}))?$/, nav: 'money', load: () => import('./pages/money.js'), keys: ['month'] },
  { path: /^\/exports$/, nav: 'exports', load: () => import('./pages/exports.js') },
  { path: /^\/health$/, nav: 'health', load: () => import('./pages/health.js') },
];

let cleanups = [];
let renderSeq = 0;

/** match returns {route, params} for a hash path, or null. */
export function match(path) {
  for (const route of routes) {
    const m = route.path.exec(path);
    if (m) {
      const params = {};
      (route.keys || []).forEach((k, i) => { if (m[i + 1] !== undefined) params[k] = m[i + 1]; });
      return { route, params };
    }
  }
  return null;
}

/** currentPath returns the hash path ("/review" for an empty or unknown hash). */
export function currentPath() {
  const p = decodeURIComponent(location.hash.replace(/^#/, '')) || '/review';
  return match(p) ? p : '/review';
}

function runCleanups() {
  cleanups.forEach((fn) => { try { fn(); } catch { /* ignore */ } });
  cleanups = [];
}

/**
 * render shows the page of the current hash in root and calls onNav(navKey). A newer render
 * started meanwhile wins (a slow page never paints over a faster later one).
 */
export async function render(root, onNav) {
  runCleanups();
  const seq = ++renderSeq;
  const { route, params } = match(currentPath());
  onNav(route.nav);
  const ctx = {
    seq,
    stale: () => seq !== renderSeq,
    onCleanup: (fn) => cleanups.push(fn),
    // onRecords calls fn when a pull brought records of one of the collections.
    onRecords: (collections, fn) => {
      cleanups.push(sync.onChange((changed) => {
        if (seq === renderSeq && collections.some((c) => changed.has(c))) fn();
      }));
    },
  };
  try {
    const page = await route.load();
    if (ctx.stale()) return;
    // The page is attached before it renders, so that charts measure a real width.
    const view = document.createElement('div');
    view.className = 'page';
    view.dataset.page = route.nav;
    view.append(loading());
    clear(root).append(view);
    await page.render(view, params, ctx);
    if (!ctx.stale()) view.dataset.ready = 'true'; // drawn: the browser tests wait for it
  } catch (err) {
    if (ctx.stale()) return;
    clear(root).append(errorPanel(err));
    root.firstChild.dataset.ready = 'true';
  }
}

/** stop runs the current page's cleanups (sign-out). */
export function stop() {
  renderSeq++;
  runCleanups();
}
