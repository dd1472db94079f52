// 同步状态: per technician and device, the last sync, the photos still to upload and the
// mutations the server rejected in the last 7 days (GET /v1/sync/health).

import { h, replace, table } from '../dom.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { dateTime, ago } from '../format.js';
import { heading, errorPanel, empty } from '../views.js';

const STALE_MS = 24 * 3600 * 1000; // a device silent this long is highlighted

/** render draws the table and refreshes it on demand and every minute. */
export async function render(root, _params, ctx) {
  const load = async () => {
    let body;
    try {
      body = await api('/v1/sync/health');
    } catch (err) {
      if (!ctx.stale()) replace(root, errorPanel(err));
      return;
    }
    if (ctx.stale()) return;
    const devices = [...body.devices].sort((a, b) => (a.displayName || a.username).localeCompare(b.displayName || b.username, 'zh-CN')
      || String(b.lastSeenAt).localeCompare(String(a.lastSeenAt)));
    const last = (d) => [d.lastPushAt, d.lastPullAt, d.lastSeenAt].filter(Boolean).sort().pop();
    const rows = devices.map((d) => {
      const seen = last(d);
      const stale = !seen || Date.now() - new Date(seen).getTime() > STALE_MS;
      return h('tr', { dataset: { device: d.deviceId, user: d.userId }, class: [stale ? 'stale' : '', d.active ? '' : 'inactive'].join(' ').trim() },
        h('th', { scope: 'row' }, d.displayName || d.username),
        h('td', {}, d.deviceName || d.deviceId, d.active ? null : h('small', {}, ` (${t('health.revoked')})`)),
        h('td', { title: dateTime(seen) }, seen ? [dateTime(seen), h('br'), h('small', {}, ago(seen))] : '—'),
        h('td', {}, dateTime(d.lastPushAt) || '—'),
        h('td', {}, dateTime(d.lastPullAt) || '—'),
        h('td', { class: d.pendingPhotos ? 'num warn' : 'num' }, String(d.pendingPhotos ?? 0)),
        h('td', { class: d.rejected7d ? 'num warn' : 'num' }, String(d.rejected7d ?? 0)));
    });
    replace(root,
      heading(t('health.title'), h('button', { type: 'button', class: 'btn', id: 'health-refresh', onclick: load }, t('common.refresh'))),
      h('p', { class: 'meta' }, t('health.generatedAt', { at: dateTime(body.generatedAt) })),
      rows.length ? table([t('health.person'), t('health.device'), t('health.lastSync'), t('health.lastPush'), t('health.lastPull'),
        t('health.pendingPhotos'), t('health.rejected7d')], rows, { className: 'health' }) : empty());
  };
  await load();
  const timer = setInterval(load, 60_000);
  ctx.onCleanup(() => clearInterval(timer));
}
