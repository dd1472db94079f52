// The console's entry point: restores the session from the refresh cookie, draws the top bar
// (navigation, language switch, sign-out) and hands the page area to the router.

import { h, replace, toast } from './dom.js';
import { t, language, setLanguage, onLanguage, label } from './i18n.js';
import * as session from './api.js';
import * as sync from './sync.js';
import * as router from './router.js';
import { loadPeople, forgetPeople } from './people.js';
import { forgetPhotos } from './photos.js';
import { renderSignIn } from './pages/signin.js';
import { errorText } from './views.js';
import { thisMonth } from './format.js';

const app = document.getElementById('app');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
const brand = document.getElementById('brand');

const NAV = [
  ['review', '#/review'],
  ['incidents', '#/incidents'],
  ['month', () => `#/month/${thisMonth()}`],
  ['money', () => `#/money/${thisMonth()}`],
  ['exports', '#/exports'],
  ['health', '#/health'],
];

function drawNav(active) {
  replace(nav, NAV.map(([key, href]) => h('a', {
    href: typeof href === 'function' ? href() : href,
    class: key === active ? 'nav-link active' : 'nav-link',
    'aria-current': key === active ? 'page' : false,
    dataset: { nav: key },
  }, t(`nav.${key}`))));
}

let activeNav = '';

function drawChrome() {
  document.title = t('app.title');
  brand.textContent = t('app.title');
  const user = session.currentUser();
  nav.hidden = !user;
  if (user) drawNav(activeNav);
  const langBtn = h('button', {
    type: 'button', class: 'btn btn-ghost', id: 'lang-switch', lang: language() === 'en' ? 'zh-CN' : 'en',
    onclick: () => setLanguage(language() === 'en' ? 'zh-CN' : 'en'),
  }, t('lang.switch'));
  replace(sessionBox,
    user ? h('span', { class: 'who', id: 'who' }, user.displayName || user.username, ' · ', label('role.', user.role)) : null,
    langBtn,
    user ? h('button', { type: 'button', class: 'btn btn-ghost', id: 'sign-out', onclick: signOut }, t('signin.signout')) : null);
}

async function signOut() {
  try {
    await session.signOut();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

function showPage() {
  if (!session.currentUser()) return;
  router.render(app, (key) => { activeNav = key; drawNav(key); });
}

let shownUserId = null; // whose records the tab holds

async function started(user) {
  drawChrome();
  if (!user || user.id !== shownUserId) {
    // Signed out, or another user's session took over the tab (signed in from another tab):
    // nothing of the previous user's records, people or photos may stay on screen.
    sync.reset();
    forgetPeople();
    forgetPhotos();
    shownUserId = user ? user.id : null;
  }
  if (!user) {
    router.stop();
    renderSignIn(app);
    return;
  }
  await loadPeople(true);
  // A technician may still pull their own records; the leader pages answer 403 and say so.
  sync.ensureLoaded().then(() => sync.startStream()).catch(() => {});
  showPage();
}

session.onSession((user) => { started(user); });
onLanguage(() => { drawChrome(); if (session.currentUser()) showPage(); else renderSignIn(app); });
window.addEventListener('hashchange', showPage);

(async () => {
  drawChrome();
  try {
    const user = await session.refresh();
    if (!user) started(null);
  } catch (err) {
    started(null);
    toast(errorText(err), 'error');
  }
})();
