// 待审核: what waits for the leader (GET /v1/review/queue): submitted service forms, trips whose
// transport needs approval, purchase requests at the leader's step, duplicate receipts and
// conflicts, oldest first, with a count per kind.

import { h, replace, table } from '../dom.js';
import { t, label, bilingual } from '../i18n.js';
import { api } from '../api.js';
import { personName } from '../people.js';
import { dateTime, ago } from '../format.js';
import { heading, errorPanel, empty } from '../views.js';

const KINDS = ['service_form', 'trip_approval', 'purchase_request', 'duplicate_receipt', 'conflict'];
const WATCH = ['service_forms', 'trip_logs', 'purchase_requests', 'receipts', 'revisit_plans', 'work_orders', 'incidents'];

/** render draws the queue and redraws it when new records arrive. */
export async function render(root, _params, ctx) {
  let filter = '';
  let queue = null;
  const draw = () => {
    const items = queue.items.filter((it) => !filter || it.kind === filter);
    const total = queue.items.length;
    const chips = h('div', { class: 'chips', role: 'group', 'aria-label': t('review.filter') },
      h('button', { type: 'button', class: filter ? 'chip' : 'chip active', 'aria-pressed': String(!filter), onclick: () => { filter = ''; draw(); } },
        t('review.all'), ' ', h('span', { class: 'count', dataset: { kind: 'all' } }, total)),
      KINDS.filter((k) => k in queue.counts || queue.items.some((it) => it.kind === k)).map((k) =>
        h('button', { type: 'button', class: filter === k ? 'chip active' : 'chip', 'aria-pressed': String(filter === k), onclick: () => { filter = k; draw(); } },
          label('kind.', k), ' ', h('span', { class: 'count', dataset: { kind: k } }, queue.counts[k] ?? 0))));
    const rows = items.map((it) => h('tr', { dataset: { kind: it.kind, collection: it.collection, id: it.id } },
      h('td', {}, h('span', { class: `kind kind-${it.kind}` }, label('kind.', it.kind))),
      h('td', {}, h('a', { href: `#/review/${it.collection}/${it.id}`, class: 'open-item' }, bilingual(it.summary) || label('coll.', it.collection))),
      h('td', {}, personName(it.owner)),
      h('td', { title: dateTime(it.since) }, dateTime(it.since), h('br'), h('small', {}, ago(it.since)))));
    replace(root,
      heading(t('review.title'), h('button', { type: 'button', class: 'btn', id: 'review-refresh', onclick: load }, t('common.refresh'))),
      chips,
      items.length ? table([t('review.kind'), t('review.item'), t('review.owner'), t('review.since')], rows, { className: 'queue' })
        : empty(t('review.empty')));
  };
  const load = async () => {
    try {
      queue = await api('/v1/review/queue');
      if (!ctx.stale()) draw();
    } catch (err) {
      if (!ctx.stale()) replace(root, errorPanel(err));
    }
  };
  try {
    queue = await api('/v1/review/queue');
  } catch (err) {
    replace(root, errorPanel(err));
    return;
  }
  draw();
  ctx.onRecords(WATCH, load);
}
