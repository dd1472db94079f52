// 报销与备用金: the month's reimbursements per technician (the computed `reimbursements` records,
// R11–R14, R16) with the held items and their reasons, and the petty-cash float's ledger and
// balance (GET /v1/petty-cash/{m}, R15) with the payout form (POST .../payouts).

import { h, replace, table, field, toast } from '../dom.js';
import { t, label, bilingual } from '../i18n.js';
import { api } from '../api.js';
import * as sync from '../sync.js';
import { personName } from '../people.js';
import { money, yuanToFen, thisMonth, today } from '../format.js';
import { heading, errorPanel, errorText, empty } from '../views.js';
import { recordLink } from '../record.js';
import { monthNav } from './month.js';

/** render draws the month m (default: this month). */
export async function render(root, params, ctx) {
  const m = params.month || thisMonth();
  let ledger;
  try {
    ledger = await api(`/v1/petty-cash/${m}`);
    await sync.ensureLoaded();
  } catch (err) {
    replace(root, errorPanel(err));
    return;
  }
  const reimb = h('section', { class: 'panel', id: 'reimbursements' });
  const cash = h('section', { class: 'panel', id: 'petty-cash' });
  const drawReimb = () => replace(reimb, h('h2', {}, t('money.reimbursements')), reimbursements(m));
  const drawCash = () => replace(cash, h('h2', {}, t('money.pettyCash')), ledgerView(ledger), payoutForm(m, (next) => { ledger = next; drawCash(); }));
  replace(root, heading(t('money.title', { m }), monthNav('#/money/', m)), reimb, cash);
  drawReimb();
  drawCash();
  ctx.onRecords(['reimbursements', 'petty_cash'], async () => {
    drawReimb();
    try { ledger = await api(`/v1/petty-cash/${m}`); drawCash(); } catch { /* keep the last one */ }
  });
}

// reimbursements summarizes the month per technician, then lists every held or duplicate line.
function reimbursements(m) {
  const recs = sync.all('reimbursements').filter((r) => r.month === m && !r.void);
  if (!recs.length) return empty(t('money.none'));
  const byTech = new Map();
  for (const r of recs) {
    const s = byTech.get(r.owner) || { paid: 0, held: 0, dup: 0, n: 0 };
    s.paid += r.paidFen || 0; s.held += r.heldFen || 0; s.dup += r.duplicateFen || 0; s.n++;
    byTech.set(r.owner, s);
  }
  const summary = table([t('month.technician'), t('money.records'), t('money.paid'), t('money.held'), t('money.duplicate')],
    [...byTech.entries()].sort(([a], [b]) => personName(a).localeCompare(personName(b), 'zh-CN'))
      .map(([tech, s]) => h('tr', { dataset: { technician: tech } }, h('th', { scope: 'row' }, personName(tech)),
        h('td', { class: 'num' }, String(s.n)), h('td', { class: 'num' }, money(s.paid)), h('td', { class: 'num' }, money(s.held)),
        h('td', { class: 'num' }, money(s.dup)))), { className: 'money-summary' });
  const held = recs.flatMap((r) => (r.lines || []).filter((l) => l.status !== 'paid').map((l) => ({ r, l })));
  return [summary,
    h('h3', {}, t('money.heldItems'), ' ', h('span', { class: 'count' }, held.length)),
    held.length ? table([t('month.technician'), t('money.source'), fieldLabel('kind'), fieldLabel('description'), fieldLabel('amountFen'), fieldLabel('status'), fieldLabel('reason')],
      held.map(({ r, l }) => h('tr', { dataset: { status: l.status, kind: l.kind || '' } },
        h('td', {}, personName(r.owner)),
        h('td', {}, r.source ? recordLink(r.source.collection, r.source.id) : ''),
        h('td', {}, label('line.kind.', l.kind)), h('td', {}, bilingual(l.description || '')), h('td', { class: 'num' }, money(l.amountFen)),
        h('td', {}, label('line.status.', l.status)), h('td', {}, bilingual(l.reason || '')))), { className: 'held' }) : empty()];
}

function fieldLabel(k) { return t(`field.${k}`); }

// ledgerView shows the float, every payout with the running balance, and what is left.
function ledgerView(l) {
  let balance = l.floatFen;
  const rows = (l.payouts || []).map((p) => {
    balance -= p.amountFen;
    return [p.date, p.payee, p.purpose, money(p.amountFen), money(balance), personName(p.recordedBy)];
  });
  return [
    h('dl', { class: 'kpis' },
      h('div', {}, h('dt', {}, t('money.float')), h('dd', {}, money(l.floatFen))),
      h('div', {}, h('dt', {}, t('money.paidOut')), h('dd', {}, money(l.paidOutFen))),
      h('div', {}, h('dt', {}, t('money.balance')), h('dd', { id: 'cash-balance' }, money(l.balanceFen))),
      h('div', {}, h('dt', {}, t('money.policyVersionShort')), h('dd', {}, String(l.policyVersion || '')))),
    rows.length ? table([fieldLabel('date'), t('money.payee'), t('money.purpose'), fieldLabel('amountFen'), t('money.balance'), t('money.recordedBy')], rows, { className: 'ledger' })
      : empty(t('money.noPayouts')),
  ];
}

// payoutForm records a payout against the float; a payout beyond the balance is refused (409).
function payoutForm(m, done) {
  const date = h('input', { type: 'date', id: 'payout-date', value: m === thisMonth() ? today() : `${m}-01`, min: `${m}-01`, max: `${m}-31` });
  const amount = h('input', { id: 'payout-amount', inputmode: 'decimal', placeholder: '0.00' });
  const payee = h('input', { id: 'payout-payee', maxlength: 100 });
  const purpose = h('input', { id: 'payout-purpose', maxlength: 500 });
  const out = h('div', { class: 'decision-out' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'payout-submit' }, t('money.recordPayout'));
  const form = h('form', { class: 'form-grid', id: 'payout-form', novalidate: true },
    h('h3', { class: 'span-all' }, t('money.newPayout')),
    field(fieldLabel('date'), date), field(t('money.amountYuan'), amount), field(t('money.payee'), payee), field(t('money.purpose'), purpose),
    h('div', { class: 'actions span-all' }, submit), h('div', { class: 'span-all' }, out));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    out.replaceChildren();
    const fen = yuanToFen(amount.value);
    if (!date.value || !(fen > 0) || !payee.value.trim() || !purpose.value.trim()) {
      out.append(h('p', { class: 'form-error', role: 'alert' }, t('money.payoutMissing')));
      return;
    }
    submit.disabled = true;
    try {
      const next = await api(`/v1/petty-cash/${m}/payouts`, { method: 'POST', body: { id: crypto.randomUUID(), date: date.value, amountFen: fen, payee: payee.value.trim(), purpose: purpose.value.trim() } });
      toast(t('money.payoutRecorded'));
      done(next);
    } catch (err) {
      out.append(h('p', { class: 'form-error', role: 'alert' }, err.status === 409 ? t('money.overBalance') : errorText(err)));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
