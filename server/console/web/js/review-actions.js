// The leader's decisions on a record, written as pushes of review fields with the record's
// version as baseVersion (docs/rules.md, the life cycles): the result reaches the phone on its
// next pull. Conflicts and rejections come back per mutation and are shown, never hidden.

import { h, toast } from './dom.js';
import { t, label } from './i18n.js';
import * as sync from './sync.js';
import { fieldLabel } from './record.js';
import { errorText } from './views.js';

const APPROVAL_TRANSPORT = new Set(['taxi', 'company_car', 'private_car']);

/**
 * decide pushes fields to collection/id at the record's version and reports the result: a toast
 * saying saved when it was applied, the conflicts or the server's refusal in out. It resolves
 * with the push result ({status, conflicts, error}), or null when the push itself failed.
 */
export async function decide(rec, collection, fields, out, saved = t('review.saved')) {
  out.replaceChildren();
  let result;
  try {
    [result] = await sync.push([{ collection, id: rec.id, baseVersion: rec.version, fields }]);
  } catch (err) {
    out.append(h('p', { class: 'form-error', role: 'alert' }, errorText(err)));
    return null;
  }
  if (result.status === 'applied' || result.status === 'merged') {
    toast(saved);
  } else if (result.status === 'conflict') {
    out.append(h('div', { class: 'panel panel-warn', role: 'alert', dataset: { result: 'conflict' } },
      h('p', {}, t('review.conflict')),
      h('ul', {}, (result.conflicts || []).map((c) => h('li', {},
        `${fieldLabel(c.field)}: ${t('review.serverValue')} ${JSON.stringify(c.serverValue)} · ${t('review.yourValue')} ${JSON.stringify(c.clientValue)}`)))));
  } else {
    const e = result.error || {};
    out.append(h('div', { class: 'panel panel-error', role: 'alert', dataset: { result: 'rejected' } },
      h('p', {}, t('review.rejectedByServer'), ' ', label('error.code.', e.code), e.message ? ` — ${e.message}` : ''),
      h('ul', {}, Object.entries(e.fields || {}).map(([k, v]) => h('li', {}, `${fieldLabel(k)}: ${v}`)))));
  }
  return result;
}

// decisionForm draws an approve / reject pair with a reason box (required to reject).
function decisionForm({ rec, collection, approve, reject, reasonLabel, extra }) {
  const out = h('div', { class: 'decision-out' });
  const reason = h('textarea', { id: 'review-reason', name: 'reason', rows: 3, maxlength: 2000 });
  const approveBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'approve' }, approve.label);
  const rejectBtn = h('button', { type: 'button', class: 'btn btn-danger', id: 'reject' }, reject.label);
  const busy = async (fn) => {
    approveBtn.disabled = rejectBtn.disabled = true;
    try { await fn(); } finally { approveBtn.disabled = rejectBtn.disabled = false; }
  };
  approveBtn.addEventListener('click', () => busy(() => decide(rec, collection, approve.fields(reason.value.trim()), out)));
  rejectBtn.addEventListener('click', () => busy(async () => {
    const why = reason.value.trim();
    if (!why) {
      out.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('review.reasonRequired')));
      reason.focus();
      return;
    }
    await decide(rec, collection, reject.fields(why), out);
  }));
  return h('section', { class: 'panel review-panel', id: 'review-panel' },
    h('h2', {}, t('review.decision')),
    extra || null,
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, reasonLabel || t('review.reason')), reason),
    h('div', { class: 'actions' }, approveBtn, rejectBtn),
    out);
}

// noteForm draws a review-note box with one button (receipts, revisit plans, conflicts).
function noteForm(rec, collection, title, button) {
  const out = h('div', { class: 'decision-out' });
  const note = h('textarea', { id: 'review-note', rows: 3, maxlength: 2000, value: rec.reviewNote || '' });
  const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'save-note' }, button);
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try { await decide(rec, collection, { reviewNote: note.value.trim() || t('review.noted') }, out); } finally { btn.disabled = false; }
  });
  return h('section', { class: 'panel review-panel', id: 'review-panel' }, h('h2', {}, title),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('field.reviewNote')), note),
    h('div', { class: 'actions' }, btn), out);
}

// waiveForm lets the leader waive an incident with a reason (it stays listed, counts for nothing:
// R1's late weekly report synced from a site without signal, docs/rules.md).
function waiveForm(rec) {
  const out = h('div', { class: 'decision-out' });
  const why = h('textarea', { id: 'waive-reason', rows: 2, maxlength: 2000 });
  const btn = h('button', { type: 'button', class: 'btn', id: 'waive' }, t('incidents.waive'));
  btn.addEventListener('click', async () => {
    if (!why.value.trim()) {
      out.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('review.reasonRequired')));
      return;
    }
    btn.disabled = true;
    try { await decide(rec, 'incidents', { waived: true, waivedReason: why.value.trim() }, out); } finally { btn.disabled = false; }
  });
  return h('section', { class: 'panel review-panel', id: 'review-panel' }, h('h2', {}, t('incidents.waiveTitle')),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('field.waivedReason')), why),
    h('div', { class: 'actions' }, btn), out);
}

/** reviewPanel returns the decision panel that fits rec, or null when there is nothing to decide. */
export function reviewPanel(collection, rec) {
  if (rec.deleted) return null;
  switch (collection) {
    case 'service_forms': {
      if (rec.status !== 'submitted') return null;
      const extra = rec.extraWork && !rec.extraWorkApproved
        ? h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'extra-work-approved' }), ' ', t('review.approveExtraWork'))
        : null;
      return decisionForm({
        rec, collection, extra,
        approve: {
          label: t('review.approve'),
          fields: (why) => {
            const f = { status: 'approved' };
            if (why) f.reviewNote = why;
            if (extra && extra.querySelector('input').checked) f.extraWorkApproved = true;
            return f;
          },
        },
        reject: { label: t('review.reject'), fields: (why) => ({ status: 'rejected', reviewNote: why }) },
      });
    }
    case 'trip_logs':
      if (!APPROVAL_TRANSPORT.has(rec.transportMode)) return null;
      return decisionForm({
        rec, collection,
        approve: { label: t('review.approveTransport'), fields: (why) => ({ transportApproved: true, ...(why ? { reviewNote: why } : {}) }) },
        reject: { label: t('review.rejectTransport'), fields: (why) => ({ transportApproved: false, reviewNote: why }) },
      });
    case 'purchase_requests':
      if (!(rec.waitingFor || []).includes('leader')) return null;
      return decisionForm({
        rec, collection, reasonLabel: t('field.leaderNote'),
        approve: { label: t('review.approve'), fields: (why) => ({ leaderDecision: 'approved', ...(why ? { leaderNote: why } : {}) }) },
        reject: { label: t('review.reject'), fields: (why) => ({ leaderDecision: 'rejected', leaderNote: why }) },
      });
    case 'receipts':
      return rec.duplicateOf ? noteForm(rec, collection, t('review.duplicateTitle'), t('review.markReviewed')) : null;
    case 'incidents':
      return rec.waived ? null : waiveForm(rec);
    case 'revisit_plans':
    case 'weekly_reports':
      return noteForm(rec, collection, t('review.noteTitle'), t('review.saveNote'));
    default:
      return null;
  }
}
