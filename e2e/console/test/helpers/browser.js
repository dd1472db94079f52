// Headless Chromium from Debian (/usr/bin/chromium, or $CHROMIUM) driven by playwright-core: no
// browser is downloaded. Every page records what must never happen in the console — a
// Content-Security-Policy violation, an uncaught exception — so that the tests can fail on it,
// and screenshots go to $FIELDSYNC_ARTIFACTS or artifacts/console/ at the repository root.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './server.js';

/** The flags of INFRA.md: the machine has no outside network. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };

export const artifactsDir = process.env.FIELDSYNC_ARTIFACTS
  ? path.resolve(process.env.FIELDSYNC_ARTIFACTS, 'console')
  : path.join(repoRoot, 'artifacts', 'console');

/**
 * launch starts Chromium. Playwright gives every launch a fresh temporary profile
 * (--user-data-dir) and removes it on close.
 */
export async function launch() {
  await mkdir(artifactsDir, { recursive: true });
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS, timeout: 60_000 });
}

/**
 * openConsole opens a new context (its own cookies: one browser profile per person) at
 * baseURL/console/ with viewport, and resolves with {context, page, problems}: problems collects
 * CSP violations (from the page's securitypolicyviolation events and the console) and uncaught
 * errors.
 */
export async function openConsole(browser, baseURL, viewport = DESKTOP, { locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({ viewport, baseURL, locale, timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  const problems = [];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content.Security.Policy|CSP violation/i.test(text)) problems.push(`csp: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.stack || err.message}`));
  page.setDefaultTimeout(15_000);
  await page.goto('/console/');
  return { context, page, problems };
}

/** shot saves a full-page screenshot as <name>-<width>.png in the artifacts directory. */
export async function shot(page, name) {
  const { width } = page.viewportSize();
  // Wait (a little) for what loads after the page is drawn: photos, the history.
  const settled = () => page.waitForFunction(() => !document.querySelector('.loading')
    && [...document.images].every((img) => img.src && img.complete), null, { timeout: 8_000 }).catch(() => {});
  await settled();
  await page.waitForTimeout(150); // a redraw from a pull that just landed
  await settled();
  await page.evaluate(() => document.fonts && document.fonts.ready);
  const file = path.join(artifactsDir, `${name}-${width}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** overflow returns how many CSS pixels the page is wider than the viewport (0 when it fits). */
export function overflow(page) {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}

/** signIn fills the console's sign-in form and waits for the navigation bar. */
export async function signIn(page, username, password) {
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('#signin-submit').click();
  await page.locator('#nav').waitFor({ state: 'visible' });
}
