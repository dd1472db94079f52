// The leader's web console (issue 8) in headless Chromium against a real fieldsync server:
// technicians push records through the HTTP API like phones, the leader reviews them in the
// console, and the technicians' next pull shows the result. Steps run in order and share state.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { startServer, TEAMS, PASSWORD } from './helpers/server.js';
import { Phone, waitFor } from './helpers/phone.js';
import { png } from './helpers/png.js';
import { launch, openConsole, shot, overflow, signIn, artifactsDir, DESKTOP, PHONE } from './helpers/browser.js';

/** month returns the Asia/Shanghai month of now moved by n months: "2026-10". */
function month(n = 0) {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(new Date()).split('-').map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

const PREV = month(-1); // the month the tests close: it has ended
const DAY = `${PREV}-15`;
// Typed by a technician: the console must show it as text, never run it.
const XSS = '<img src=x onerror="window.__xss=1">客户要求下次提前电话联系';

describe('leader console', { timeout: 240_000 }, () => {
  let server;
  let browser;
  const phones = {};
  const ids = {};
  const consoles = []; // every opened console, to check for CSP violations at the end
  let leader; // the leader's desktop console {page, problems}

  before(async () => {
    server = await startServer();
    browser = await launch();
    for (const team of Object.values(TEAMS)) {
      for (const u of [team.leader, ...team.techs]) phones[u.username] = await Phone.signIn(server.url, u.username);
    }
    const techA = phones['a.tech'];
    const techA2 = phones['a.tech2'];
    const techB = phones['b.tech'];

    // The leaders dispatch work orders from their phones (the console reviews; dispatch is the app's).
    ids.orderA = randomUUID();
    await phones['a.leader'].upsert('work_orders', ids.orderA, {
      customerName: '郑州宏达商贸', customerAddress: '郑州市金水路 1 号', customerPhone: '13800138000',
      productModel: 'KFR-35GW', faultDescription: '空调不制冷', serviceType: 'warranty', assignees: [techA.user.id],
    });
    ids.orderB = randomUUID();
    await phones['b.leader'].upsert('work_orders', ids.orderB, {
      customerName: '洛阳客户', productModel: 'KFR-50', faultDescription: '漏水', serviceType: 'paid', assignees: [techB.user.id],
    });

    // A's technician pushes a service form with its signature and photos, uploaded first.
    const signature = await techA.putPhoto(png('signature'));
    const photos = [await techA.putPhoto(png('site-1')), await techA.putPhoto(png('site-2'))];
    ids.form = randomUUID();
    await techA.upsert('service_forms', ids.form, {
      workOrderId: ids.orderA, arrivedAt: new Date(Date.now() - 3 * 3600e3).toISOString(),
      departedAt: new Date(Date.now() - 3600e3).toISOString(), faultCause: '缺氟', workDone: '检漏、补焊、加氟',
      parts: [{ name: '冷媒 R32', qty: 1, unitPriceFen: 8000 }], outcome: 'completed', signaturePhoto: signature,
      photos, satisfaction: 5, status: 'submitted', note: XSS,
    });
    // A taxi ride last month, with its receipt: held until the leader approves the taxi (R12).
    ids.taxiTrip = randomUUID();
    await techA.upsert('trip_logs', ids.taxiTrip, {
      purpose: '急修', origin: '郑州市', destinationCity: '郑州市', outsideHomeCity: false,
      startAt: `${DAY}T13:00:00+08:00`, endAt: `${DAY}T15:00:00+08:00`, people: [techA.user.id],
      transportMode: 'taxi', submitted: true,
    });
    const taxiPhoto = await techA.putPhoto(png('taxi-receipt'));
    await techA.upsert('receipts', randomUUID(), { photo: taxiPhoto, amountFen: 3500, date: DAY, category: 'taxi', tripLogId: ids.taxiTrip });
    // The same receipt photographed again: flagged for the leader, never paid twice (R16).
    ids.dupReceipt = randomUUID();
    await techA.upsert('receipts', ids.dupReceipt, { photo: taxiPhoto, amountFen: 3500, date: DAY, category: 'taxi', tripLogId: ids.taxiTrip });
    // A purchase below 500 CNY per line: the leader's step (R14).
    ids.purchase = randomUUID();
    await techA2.upsert('purchase_requests', ids.purchase, {
      workOrderId: ids.orderA, reason: '密封圈', items: [{ name: '密封圈', qty: 4, unitPriceFen: 3000 }], submitted: true,
    });
    // Team B's form: team A's leader must not reach it.
    ids.formB = randomUUID();
    await techB.upsert('service_forms', ids.formB, { workOrderId: ids.orderB, faultCause: '排水管堵塞', status: 'draft' });
  });

  after(async () => {
    await browser?.close();
    if (server) await writeFile(path.join(artifactsDir, 'server.log'), server.logs());
    await server?.stop();
  });

  it('serves the console with a strict CSP and signs the leader in, keeping the token in memory only', async () => {
    const res = await fetch(`${server.url}/console/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') || '';
    for (const d of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'none'"]) {
      assert.ok(csp.includes(d), `CSP ${csp} lacks ${d}`);
    }
    leader = await openConsole(browser, server.url, DESKTOP);
    consoles.push(leader);
    const { page } = leader;
    await page.locator('#signin').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    await shot(page, 'signin');
    // A wrong password is refused with a message, not a broken page.
    await page.locator('#username').fill(TEAMS.A.leader.username);
    await page.locator('#password').fill('not the password');
    await page.locator('#signin-submit').click();
    await page.locator('#signin-error:not(:empty)').waitFor();

    await signIn(page, TEAMS.A.leader.username, PASSWORD);
    await page.locator(`tr[data-id="${ids.form}"]`).waitFor();
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    assert.ok(!/eyJ|accessToken|refresh/i.test(stored), `a token is readable by script: ${stored}`);
    assert.ok(!/(^|; )fieldsync_console=/.test(await page.evaluate(() => document.cookie)), 'the refresh cookie must be HttpOnly');

    // A reload restores the session from the cookie.
    await page.reload();
    await page.locator(`tr[data-id="${ids.form}"]`).waitFor();
    const count = async (kind) => Number(await page.locator(`.count[data-kind="${kind}"]`).textContent());
    assert.ok((await count('service_form')) >= 1);
    assert.ok((await count('trip_approval')) >= 1);
    assert.ok((await count('purchase_request')) >= 1);
    assert.ok((await count('duplicate_receipt')) >= 1);
    await shot(page, 'review');
  });

  it('keeps the session when two tabs restore it at the same moment', async () => {
    // Refresh rotates the cookie; two tabs refreshing with one cookie would look like a stolen
    // token and sign the browser out, unless the console serializes them (Web Locks).
    const { page, context } = leader;
    const tab = await context.newPage();
    tab.on('pageerror', (err) => leader.problems.push(`uncaught: ${err.stack || err.message}`));
    await Promise.all([page.reload(), tab.goto('/console/#/review')]);
    await Promise.all([page.locator(`tr[data-id="${ids.form}"]`).waitFor(), tab.locator(`tr[data-id="${ids.form}"]`).waitFor()]);
    await tab.close();
    await page.reload();
    await page.locator(`tr[data-id="${ids.form}"]`).waitFor();
  });

  it('refreshes the access token on a 401 and retries the call', async () => {
    const { page } = leader;
    let refused = 0;
    const refreshed = page.waitForRequest((r) => r.url().endsWith('/v1/console/session/refresh') && r.headers()['x-fieldsync-console'] === '1');
    await page.route('**/v1/review/queue', (route) => {
      if (refused++) return route.continue();
      return route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":{"code":"unauthorized","message":"token expired"}}' });
    });
    await page.locator('#review-refresh').click();
    await refreshed;
    await waitFor('the call retried with the new token', () => refused >= 2);
    await page.locator(`tr[data-id="${ids.form}"]`).waitFor();
    assert.equal(await page.locator('[data-state="error"]').count(), 0);
    await page.unroute('**/v1/review/queue');
  });

  it('flags a duplicate receipt; the leader marks it checked', async () => {
    const { page } = leader;
    await page.locator(`tr[data-id="${ids.dupReceipt}"] a.open-item`).click();
    await page.locator('[data-field="duplicateOf"] a.record-link').waitFor();
    await page.locator('#review-note').fill('同一张出租车票重复上传，只报销一次');
    await page.locator('#save-note').click();
    await page.locator('[data-field="reviewNote"] dd', { hasText: '只报销一次' }).waitFor();
    await shot(page, 'duplicate-receipt');
    await page.goto('/console/#/review');
    await page.locator('.page[data-ready="true"]').waitFor();
    assert.equal(await page.locator(`tr[data-id="${ids.dupReceipt}"]`).count(), 0);
  });

  it('approves a service form pushed through the API; the technician sees it on the next pull', async () => {
    const { page } = leader;
    await page.locator(`tr[data-id="${ids.form}"] a.open-item`).click();
    await page.locator('#fields').waitFor();
    // Every field, the signature and photos as thumbnails, the work order, the history.
    const sig = page.locator('[data-field="signaturePhoto"] img');
    await waitFor('the signature thumbnail', () => sig.evaluate((img) => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')));
    assert.equal(await page.locator('[data-field="photos"] img').count(), 2);
    await page.locator('[data-related="work_orders"]', { hasText: '郑州宏达商贸' }).waitFor();
    await page.locator('#history tbody tr').first().waitFor();
    assert.equal(await page.locator('[data-field="note"] dd').textContent(), XSS);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await page.locator('[data-field="photos"] .thumb').first().click();
    const original = page.locator('dialog.viewer img');
    await waitFor('the original photo', () => original.evaluate((img) => img.complete && img.naturalWidth === 160));
    await shot(page, 'service-form-photo');
    await page.keyboard.press('Escape');
    await shot(page, 'service-form');

    await page.locator('#approve').click();
    await page.locator('h1 + .badge-approved, .page-head .badge-approved').waitFor();
    const rec = await waitFor('the approved form on the phone', async () => {
      const r = await phones['a.tech'].record('service_forms', ids.form);
      return r?.status === 'approved' && r;
    });
    assert.equal(rec.reviewedBy, phones['a.leader'].user.id);
  });

  it('rejects a taxi expense with a reason; the technician sees it and the cost stays held', async () => {
    const { page } = leader;
    await page.goto(`/console/#/review/trip_logs/${ids.taxiTrip}`);
    await page.locator('#review-panel').waitFor();
    await page.locator('#reject').click();
    await page.locator('#review-panel .form-error').waitFor(); // a rejection needs a reason
    await page.locator('#review-reason').fill('市内维修应乘坐公交，出租车费不予报销');
    await page.locator('#reject').click();
    await page.locator('[data-field="transportApproved"] dd', { hasText: '否' }).waitFor();
    await shot(page, 'trip-rejected');
    const trip = await waitFor('the rejected taxi on the phone', async () => {
      const r = await phones['a.tech'].record('trip_logs', ids.taxiTrip);
      return r?.transportApproved === false && r;
    });
    assert.equal(trip.reviewNote, '市内维修应乘坐公交，出租车费不予报销');
  });

  it('records incidents with evidence photos', async () => {
    const { page } = leader;
    await page.goto('/console/#/incidents');
    await page.locator('#incident-form').waitFor();
    await page.locator('#incident-technician').selectOption({ label: '李师傅' });
    await page.locator('#incident-type').selectOption('unreachable');
    await page.locator('#incident-date').fill(DAY);
    await page.locator('#incident-reason').fill('下午 13 点后联系不上，未提前报备');
    await page.locator('#incident-photos').setInputFiles({ name: '通话记录.png', mimeType: 'image/png', buffer: png('call-log') });
    await waitFor('the evidence thumbnail', () => page.locator('#incident-thumbs img').evaluate((img) => img.complete && img.naturalWidth > 0));
    await page.locator('#incident-submit').click();
    await page.locator('#incident-list tr', { hasText: DAY }).waitFor();

    await page.locator('#incident-technician').selectOption({ label: '王师傅' });
    await page.locator('#incident-type').selectOption('commendation');
    await page.locator('#incident-date').fill(DAY);
    await page.locator('#incident-points').fill('3');
    await page.locator('#incident-reason').fill('客户来信表扬');
    await page.locator('#incident-submit').click();
    await page.locator('#incident-list tr', { hasText: '客户来信表扬' }).waitFor();
    await shot(page, 'incidents');
    const recs = (await phones['a.tech'].pullAll()).get('incidents');
    const mine = [...recs.values()].find((r) => r.type === 'unreachable');
    assert.equal(mine.evidencePhotos.length, 1);
  });

  it('shows the month with scores, the trend chart, and closes it after listing what is pending', async () => {
    const { page } = leader;
    await page.goto(`/console/#/month/${PREV}`);
    const techA = phones['a.tech'].user.id;
    const techA2 = phones['a.tech2'].user.id;
    // The rules worker scores within a few seconds; the page follows on its own.
    await page.locator(`tr[data-technician="${techA}"] .score`, { hasText: '98' }).waitFor({ timeout: 30_000 });
    await page.locator(`tr[data-technician="${techA2}"] .score`, { hasText: '103' }).waitFor({ timeout: 30_000 });
    const chart = page.locator('#trend-chart canvas').first();
    await chart.waitFor();
    // The tooltip must render without inline styles (the CSP check at the end).
    const box = await chart.boundingBox();
    await page.mouse.move(box.x + box.width - 30, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    await shot(page, 'month');

    await page.locator('#close-month').click();
    const dlg = page.locator('dialog.dialog');
    await dlg.waitFor();
    await dlg.locator('#queue-pending li').first().waitFor(); // the purchase request still waits
    await shot(page, 'month-close-confirm');
    await dlg.locator('button[data-value="close"]').click();
    await page.locator('#month-state .badge-closed').waitFor({ timeout: 30_000 });
    await shot(page, 'month-closed');
    const { status, body } = await phones['a.leader'].call('GET', `/v1/months/${PREV}`);
    assert.equal(status, 200);
    assert.equal(body.state, 'closed');
  });

  it('shows reimbursements with the held taxi and the petty-cash ledger', async () => {
    const { page } = leader;
    await page.goto(`/console/#/money/${PREV}`);
    await page.locator('#reimbursements tr[data-status="held"]').first().waitFor({ timeout: 30_000 });
    await page.locator('#payout-amount').fill('120.50');
    await page.locator('#payout-payee').fill('李师傅');
    await page.locator('#payout-purpose').fill('购买密封胶');
    await page.locator('#payout-date').fill(DAY);
    await page.locator('#payout-submit').click();
    await page.locator('#cash-balance', { hasText: '¥4,879.50' }).waitFor();
    await shot(page, 'money');
  });

  it('downloads the monthly assessment and reimbursements as XLSX and CSV with the policy version', async () => {
    const { page } = leader;
    await page.goto('/console/#/exports');
    await page.locator('#export-month').fill(PREV);
    const download = async (id) => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(id).click()]);
      const file = path.join(artifactsDir, dl.suggestedFilename());
      await dl.saveAs(file);
      await page.locator('#export-policy').waitFor();
      return file;
    };
    const xlsx = await download('#export-assessments-xlsx');
    assert.ok(path.basename(xlsx).endsWith(`${PREV}.xlsx`), xlsx); // 售后一组-考核-<month>.xlsx
    assert.match(await page.locator('#export-policy').textContent(), /1/);
    await shot(page, 'exports');

    const rows = await sheetRows(xlsx);
    const row = rows.find((r) => r['用户名'] === 'a.tech');
    assert.ok(row, `no row of a.tech in ${JSON.stringify(rows)}`);
    assert.equal(Number(row['得分']), 98);
    assert.equal(Number(rows.find((r) => r['用户名'] === 'a.tech2')['得分']), 103);
    assert.equal(String(row['政策版本']), '1');

    const csv = await readFile(await download('#export-assessments-csv'));
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'CSV starts with a UTF-8 BOM');
    assert.match(csv.toString('utf8'), /a\.tech/);

    const money = await sheetRows(await download('#export-reimbursements-xlsx'));
    const held = money.find((r) => r['用户名'] === 'a.tech' && String(r['状态']).includes('暂扣'));
    assert.ok(held, `no held line of a.tech in ${JSON.stringify(money)}`);
    assert.equal(Number(held['金额(元)'] ?? held['金额']), 35);
  });

  it("approves a purchase request at the leader's step", async () => {
    const { page } = leader;
    await page.goto(`/console/#/review/purchase_requests/${ids.purchase}`);
    await page.locator('#approve').click();
    await page.locator('.page-head .badge-payable').waitFor();
    const pr = await waitFor('the approved request on the phone', async () => {
      const r = await phones['a.tech2'].record('purchase_requests', ids.purchase);
      return r?.leaderDecision === 'approved' && r;
    });
    assert.equal(pr.status, 'payable');
  });

  it('shows sync health per technician and device', async () => {
    const { page } = leader;
    await page.goto('/console/#/health');
    await page.locator(`tr[data-user="${phones['a.tech'].user.id}"]`).first().waitFor();
    await shot(page, 'health');
  });

  it('fits every page at 1280×800 and at 375 px', async () => {
    const phone = await openConsole(browser, server.url, PHONE);
    consoles.push(phone);
    await signIn(phone.page, TEAMS.A.leader.username, PASSWORD);
    const routes = ['review', `review/service_forms/${ids.form}`, 'incidents', `month/${PREV}`, `money/${PREV}`, 'exports', 'health'];
    for (const { page } of [leader, phone]) {
      for (const r of routes) {
        await page.goto(`/console/#/${r}`);
        await page.locator('.page[data-ready="true"]').waitFor();
        const name = `page-${r.split('/')[0]}${r.includes('/') && r.startsWith('review') ? '-item' : ''}`;
        await shot(page, name);
        assert.equal(await overflow(page), 0, `#/${r} is wider than ${page.viewportSize().width} px`);
      }
    }
  });

  it('switches to English and back', async () => {
    const { page } = leader;
    await page.goto('/console/#/review');
    await page.locator('#lang-switch').click();
    await page.locator('a[data-nav="review"]', { hasText: 'Review' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.locator('.page[data-ready="true"]').waitFor();
    await shot(page, 'review-en');
    await page.locator('#lang-switch').click();
    await page.locator('a[data-nav="review"]', { hasText: '待审核' }).waitFor();
  });

  it('shows a technician "no access" on every leader page, as the API answers 403', async () => {
    const tech = await openConsole(browser, server.url, DESKTOP);
    consoles.push(tech);
    await signIn(tech.page, 'a.tech', PASSWORD);
    for (const r of ['review', 'incidents', `month/${PREV}`, `money/${PREV}`, 'exports', 'health']) {
      await tech.page.goto(`/console/#/${r}`);
      await tech.page.locator('[data-state="no-access"]').waitFor();
    }
    await shot(tech.page, 'technician-no-access');
    for (const p of ['/v1/review/queue', `/v1/months/${PREV}`, `/v1/petty-cash/${PREV}`, '/v1/sync/health', `/v1/exports/assessments/${PREV}.xlsx`]) {
      const { status } = await phones['a.tech'].call('GET', p);
      assert.equal(status, 403, `GET ${p} as a technician`);
    }
    await tech.context.close();
  });

  it("answers 'not found' for another team's record, which its own leader does see", async () => {
    const { page } = leader;
    await page.goto(`/console/#/review/service_forms/${ids.formB}`);
    await page.locator('[data-state="not-found"]').waitFor();
    await shot(page, 'other-team-not-found');
    const b = await openConsole(browser, server.url, DESKTOP);
    consoles.push(b);
    await signIn(b.page, TEAMS.B.leader.username, PASSWORD);
    await b.page.goto(`/console/#/review/service_forms/${ids.formB}`);
    await b.page.locator('[data-field="faultCause"]', { hasText: '排水管堵塞' }).waitFor();
    await b.context.close();
  });

  it("drops a user's records when another user's session takes over the tab", async () => {
    // Two tabs of one browser: team A's leader signs in in one, team B's in the other (the
    // session cookie is the browser's); at its next refresh the first tab is B's, and must not
    // keep showing A's records.
    const x = await openConsole(browser, server.url, DESKTOP);
    consoles.push(x);
    const y = await x.context.newPage();
    y.on('pageerror', (err) => x.problems.push(`uncaught: ${err.stack || err.message}`));
    await y.goto('/console/');
    await y.locator('#signin').waitFor();
    await signIn(x.page, TEAMS.A.leader.username, PASSWORD);
    await x.page.goto(`/console/#/review/service_forms/${ids.form}`);
    await x.page.locator('[data-field="faultCause"]', { hasText: '缺氟' }).waitFor();
    await signIn(y, TEAMS.B.leader.username, PASSWORD);
    // A's access token is refused once, so the first tab refreshes, with B's cookie.
    let refused = 0;
    await x.page.route('**/v1/review/queue', (route) => (refused++ ? route.continue() : route.fulfill({
      status: 401, contentType: 'application/json', body: '{"error":{"code":"unauthorized","message":"token expired"}}' })));
    await x.page.goto('/console/#/review');
    await waitFor('the first tab refreshed', () => refused >= 2);
    await x.page.goto(`/console/#/review/service_forms/${ids.form}`);
    await x.page.locator('[data-state="not-found"]').waitFor();
    assert.equal(await x.page.locator('[data-field="faultCause"]').count(), 0);
    await x.context.close();
  });

  it('signs out cleanly: a reload stays signed out', async () => {
    const { page } = leader;
    await page.locator('#sign-out').click();
    await page.locator('#signin').waitFor();
    await page.reload();
    await page.locator('#signin').waitFor();
    assert.equal(await page.locator('#nav').isVisible(), false);
  });

  it('raised no CSP violation and no uncaught error', () => {
    const problems = consoles.flatMap((c) => c.problems);
    assert.deepEqual(problems, []);
  });
});

/** sheetRows reads the first sheet of an XLSX file as objects keyed by the header row. */
async function sheetRows(file) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.worksheets[0];
  const head = [];
  ws.getRow(1).eachCell((c, i) => { head[i] = String(c.value).trim(); });
  const rows = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const o = {};
    row.eachCell((c, i) => { o[head[i]] = c.value && typeof c.value === 'object' && 'result' in c.value ? c.value.result : c.value; });
    rows.push(o);
  });
  return rows;
}
