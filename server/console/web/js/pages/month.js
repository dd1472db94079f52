// 月度考核: the month's assessment (GET /v1/months/{m}): technicians × score with every incident,
// the trend of the last 12 months (the pulled `assessments` records) as a chart, the R7 grade
// flags (`grade_reviews`), and closing the month (POST /v1/months/{m}/close, R5) after a
// confirmation that lists what is still pending.

import { h, replace, table, dialog, toast } from '../dom.js';
import { t, label } from '../i18n.js';
import { api } from '../api.js';
import * as sync from '../sync.js';
import { personName } from '../people.js';
import { thisMonth, addMonths, isMonth, dateTime } from '../format.js';
import { heading, errorPanel, badge, errorText, empty } from '../views.js';
import { lineChart } from '../chart.js';
import { recordLink } from '../record.js';

const TREND_MONTHS = 12;

/** monthNav links the months before and after m on the page at base ("#/month/"). */
export function monthNav(base, m) {
  const input = h('input', { type: 'month', value: m, id: 'month-pick', 'aria-label': t('month.pick') });
  input.addEventListener('change', () => { if (isMonth(input.value)) location.hash = `${base}${input.value}`; });
  return h('div', { class: 'month-nav' },
    h('a', { class: 'btn', href: `${base}${addMonths(m, -1)}`, id: 'month-prev' }, '‹ ', addMonths(m, -1)),
    input,
    h('a', { class: 'btn', href: `${base}${addMonths(m, 1)}`, id: 'month-next' }, addMonths(m, 1), ' ›'));
}

/** render draws the month m (default: this month). */
export async function render(root, params, ctx) {
  const m = params.month || thisMonth();
  let view;
  let policy;
  try {
    [view, policy] = await Promise.all([api(`/v1/months/${m}`), api(`/v1/policy?at=${m}-01`).catch(() => null)]);
    await sync.ensureLoaded();
  } catch (err) {
    replace(root, errorPanel(err));
    return;
  }
  const threshold = policy ? policy.downgradeBelow : 90;
  const chartBox = h('div', { class: 'chart', id: 'trend-chart', role: 'img', 'aria-label': t('month.trend') });
  const draw = () => {
    const flags = sync.all('grade_reviews');
    const flagOf = (tech) => flags.filter((f) => f.technicianId === tech && (f.months || []).includes(m));
    const ended = m < thisMonth();
    const closeBtn = view.state === 'open' && ended
      ? h('button', { type: 'button', class: 'btn btn-primary', id: 'close-month', onclick: () => closeMonth(m, view, ctx) }, t('month.close'))
      : null;
    const rows = [...view.assessments].sort((a, b) => personName(a.technicianId).localeCompare(personName(b.technicianId), 'zh-CN'))
      .map((a) => h('tr', { dataset: { technician: a.technicianId }, class: a.total < threshold ? 'below' : '' },
        h('th', { scope: 'row' }, personName(a.technicianId)),
        h('td', { class: 'num score' }, String(a.total)),
        h('td', { class: 'num' }, String(a.deductions)),
        h('td', { class: 'num' }, String(a.additions)),
        h('td', {}, a.lines.length ? h('ul', { class: 'incident-lines' }, a.lines.map((l) => h('li', { class: l.waived ? 'waived' : '' },
          recordLink('incidents', l.incidentId, label('incident.', l.type)), ` ${l.date} `, h('b', {}, l.points > 0 ? `+${l.points}` : String(l.points)),
          l.waived ? ` (${t('incidents.waived')})` : '', l.adjustment ? ` (${t('month.adjustmentOf', { m: l.adjustmentOf })})` : ''))) : '—'),
        h('td', {}, flagOf(a.technicianId).map((f) => h('span', { class: 'badge badge-flag', title: f.reason || '' },
          t('month.downgrade', { from: f.from || '', to: f.to || '' }))))));
    replace(root,
      heading(t('month.title', { m }), monthNav('#/month/', m)),
      h('p', { class: 'meta', id: 'month-state' }, badge('month.state.', view.state), ' ',
        view.state === 'closed' ? t('month.closedAt', { at: dateTime(view.closedAt), by: personName(view.closedBy) })
          : t('month.closeDue', { due: view.closeDue || '' }), view.overdue ? h('strong', { class: 'overdue' }, ` ${t('month.overdue')}`) : null,
        ' ', closeBtn),
      h('section', { class: 'panel' }, h('h2', {}, t('month.scores')),
        rows.length ? table([t('month.technician'), t('month.score'), t('month.deductions'), t('month.additions'), t('month.incidents'), t('month.flags')], rows, { className: 'scores' }) : empty()),
      view.pending && view.pending.length ? h('section', { class: 'panel panel-warn', id: 'month-pending' }, h('h2', {}, t('month.pending')), pendingList(view.pending)) : null,
      h('section', { class: 'panel' }, h('h2', {}, t('month.trend')), chartBox),
      flagsPanel(flags));
  };
  let dispose = () => {};
  const drawChart = async () => {
    const assessments = sync.all('assessments');
    const months = Array.from({ length: TREND_MONTHS }, (_, i) => addMonths(m, i - TREND_MONTHS + 1));
    const techs = [...new Set([...view.assessments.map((a) => a.technicianId),
      ...assessments.filter((a) => months.includes(a.month)).map((a) => a.technicianId)])];
    const series = techs.map((tech) => ({
      name: personName(tech),
      data: months.map((mm) => {
        const live = mm === m && view.assessments.find((x) => x.technicianId === tech);
        const a = live || assessments.find((x) => x.technicianId === tech && x.month === mm);
        return a ? a.total : null;
      }),
    }));
    dispose();
    try {
      dispose = await lineChart(chartBox, { x: months, series, threshold, thresholdLabel: t('month.threshold', { n: threshold }) });
    } catch (err) {
      chartBox.replaceChildren(h('p', { class: 'form-error' }, errorText(err)));
    }
  };
  ctx.onCleanup(() => dispose());
  draw();
  await drawChart();
  // The rules worker rescores within seconds of a new incident: show it when it lands.
  ctx.onRecords(['assessments', 'grade_reviews', 'incidents'], async () => {
    try { view = await api(`/v1/months/${m}`); } catch { return; }
    if (ctx.stale()) return;
    draw();
    await drawChart();
  });
  ctx.reload = async () => {
    view = await api(`/v1/months/${m}`);
    draw();
    await drawChart();
  };
}

// pendingList lists what still waits before the month closes.
function pendingList(pending) {
  return h('ul', { class: 'pending' }, pending.map((p) => h('li', {},
    label('pending.', p.kind), ': ', personName(p.technicianId),
    p.week ? ` · ${t('month.week', { w: p.week })}` : '', p.receivedAt ? ` · ${t('month.receivedAt', { at: dateTime(p.receivedAt) })}` : '',
    p.incidentId ? [' ', recordLink('incidents', p.incidentId, t('item.open'))] : null)));
}

function flagsPanel(flags) {
  if (!flags.length) return null;
  return h('section', { class: 'panel', id: 'grade-flags' }, h('h2', {}, t('month.gradeFlags')),
    table([t('month.technician'), t('month.months'), t('month.totals'), t('month.flag'), t('field.reason')],
      flags.map((f) => [personName(f.technicianId), (f.months || []).join('、'), (f.totals || []).join('、'),
        t('month.downgrade', { from: f.from || '', to: f.to || '' }), f.reason || ''])));
}

// closeMonth asks for confirmation, listing what is pending in the month and the review queue,
// then closes it.
async function closeMonth(m, view, ctx) {
  let queue = { counts: {} };
  try { queue = await api('/v1/review/queue'); } catch { /* the list below still shows the month's own */ }
  const waiting = Object.entries(queue.counts || {}).filter(([, n]) => n > 0);
  const body = [
    h('p', {}, t('month.confirmText', { m })),
    view.pending.length || waiting.length ? h('p', {}, h('strong', {}, t('month.stillPending'))) : h('p', {}, t('month.nothingPending')),
    view.pending.length ? pendingList(view.pending) : null,
    waiting.length ? h('ul', { class: 'pending', id: 'queue-pending' }, waiting.map(([k, n]) => h('li', {}, `${label('kind.', k)}: ${n}`))) : null,
  ];
  const answer = await dialog(t('month.confirmTitle', { m }), body,
    [{ label: t('common.cancel'), value: 'cancel' }, { label: t('month.closeConfirm'), value: 'close', class: 'btn btn-primary' }]);
  if (answer !== 'close') return;
  try {
    await api(`/v1/months/${m}/close`, { method: 'POST' });
    toast(t('month.closed', { m }));
    await sync.pull().catch(() => {});
    if (!ctx.stale()) await ctx.reload();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}
