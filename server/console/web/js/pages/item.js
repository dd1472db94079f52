// One record to review (#/review/<collection>/<id>): every field, the photos as thumbnails (click
// for the original), the signature, the work order, the revisit plan, the receipts, the
// reimbursement lines the rules computed, the conflict log and the history (audit log), and the
// leader's decision. A record the leader cannot see (another team's) is "not found".

import { h, replace, table } from '../dom.js';
import { t, label } from '../i18n.js';
import { api, currentUser } from '../api.js';
import * as sync from '../sync.js';
import { personName } from '../people.js';
import { dateTime, money } from '../format.js';
import { heading, notFound, noAccess, badge, empty } from '../views.js';
import { fields, value, recordLink, lines, fieldLabel } from '../record.js';
import { reviewPanel } from '../review-actions.js';

// Fields shown first, per collection, in the order a reader expects.
const ORDER = {
  service_forms: ['status', 'owner', 'workOrderId', 'extraWork', 'extraWorkReason', 'arrivedAt', 'departedAt', 'faultCause', 'workDone',
    'parts', 'feeCollectedFen', 'outcome', 'takeBackReceiptNo', 'satisfaction', 'signaturePhoto', 'photos', 'photosPending', 'note',
    'reviewNote', 'submittedAt', 'reviewedBy', 'reviewedAt'],
  trip_logs: ['owner', 'purpose', 'origin', 'destinationCity', 'outsideHomeCity', 'startAt', 'endAt', 'people', 'transportMode',
    'transportApproved', 'approvalRef', 'distanceKm', 'noCompanyCarAvailable', 'workOrderIds', 'note', 'reviewNote'],
  purchase_requests: ['status', 'waitingFor', 'owner', 'workOrderId', 'items', 'totalFen', 'reason', 'photos'],
  incidents: ['technicianId', 'type', 'date', 'points', 'reason', 'note', 'evidencePhotos', 'waived', 'waivedReason'],
};

/** render draws the record and redraws it when a pull brings a new version of it. */
export async function render(root, { collection, id }, ctx) {
  if (currentUser()?.role === 'technician') {
    // A leader page: technicians see their records on the phone, not here.
    replace(root, noAccess());
    return;
  }
  await sync.ensureLoaded();
  let rec = sync.get(collection, id);
  if (!rec) {
    await sync.pull();
    rec = sync.get(collection, id);
  }
  if (!rec) {
    replace(root, notFound());
    return;
  }
  const history = h('section', { class: 'panel', id: 'history' }, h('h2', {}, t('item.history')), h('p', { class: 'loading' }, t('common.loading')));
  let shownVersion = rec.version;
  const draw = () => {
    rec = sync.get(collection, id);
    if (!rec) { replace(root, notFound()); return; }
    shownVersion = rec.version;
    replace(root,
      heading(`${label('coll.', collection)}`, badge('status.', rec.status), rec.deleted ? badge('status.', 'deleted') : null),
      h('p', { class: 'meta' }, t('item.meta', { owner: personName(rec.owner), created: dateTime(rec.createdAt), updated: dateTime(rec.updatedAt), version: rec.version })),
      reviewPanel(collection, rec),
      h('section', { class: 'panel', id: 'fields' }, h('h2', {}, t('item.fields')), fields(rec, ORDER[collection])),
      related(collection, rec),
      conflictLog(rec),
      history);
  };
  draw();
  loadHistory(collection, id, history);
  ctx.onRecords([collection, 'reimbursements', 'revisit_plans', 'receipts', 'work_orders'], () => {
    const now = sync.get(collection, id);
    // Redraw for a new version; keep the reviewer's half-typed reason otherwise.
    if (!now || now.version !== shownVersion || !root.querySelector('#review-reason, #review-note')?.value) {
      draw();
      loadHistory(collection, id, history);
    }
  });
}

// related shows the records this one points to or that point to it.
function related(collection, rec) {
  const parts = [];
  const show = (title, coll, r, order) => parts.push(h('section', { class: 'panel related', dataset: { related: coll } },
    h('h2', {}, title, ' ', recordLink(coll, r.id, t('item.open'))), fields(r, order)));
  if (rec.workOrderId) {
    const wo = sync.get('work_orders', rec.workOrderId);
    if (wo) show(t('item.workOrder'), 'work_orders', wo, ['customerName', 'customerAddress', 'customerPhone', 'productModel', 'faultDescription', 'serviceType', 'assignees', 'dueAt']);
    else parts.push(h('section', { class: 'panel related' }, h('h2', {}, t('item.workOrder')), empty(t('item.workOrderMissing'))));
  }
  for (const woID of rec.workOrderIds || []) {
    const wo = sync.get('work_orders', woID);
    if (wo) show(t('item.workOrder'), 'work_orders', wo, ['customerName', 'productModel', 'faultDescription', 'serviceType']);
  }
  if (collection === 'service_forms') {
    const plans = sync.all('revisit_plans').filter((p) => p.serviceFormId === rec.id);
    if (plans.length) plans.forEach((p) => show(t('item.revisitPlan'), 'revisit_plans', p, ['plannedAt', 'people', 'tools', 'purchasePlan', 'note']));
    else if (rec.outcome && rec.outcome !== 'completed') parts.push(h('section', { class: 'panel related panel-warn' }, h('h2', {}, t('item.revisitPlan')), empty(t('item.revisitPlanMissing'))));
  }
  if (collection === 'revisit_plans' && rec.serviceFormId) {
    const form = sync.get('service_forms', rec.serviceFormId);
    if (form) show(t('coll.service_forms'), 'service_forms', form, ['status', 'outcome', 'workDone']);
  }
  const linkField = { trip_logs: 'tripLogId', purchase_requests: 'purchaseRequestId' }[collection];
  if (linkField) {
    const receipts = sync.all('receipts').filter((r) => r[linkField] === rec.id);
    parts.push(h('section', { class: 'panel related', id: 'receipts' }, h('h2', {}, t('item.receipts')),
      receipts.length ? table([fieldLabel('photo'), fieldLabel('category'), fieldLabel('amountFen'), fieldLabel('date'), fieldLabel('duplicateOf'), ''],
        receipts.map((r) => [value('photo', r.photo), label('category.', r.category), money(r.amountFen), r.date || '', value('duplicateOf', r.duplicateOf), recordLink('receipts', r.id, t('item.open'))]))
        : empty()));
  }
  const reimb = sync.all('reimbursements').find((r) => r.source && r.source.collection === collection && r.source.id === rec.id);
  if (reimb) {
    parts.push(h('section', { class: 'panel related', id: 'reimbursement' },
      h('h2', {}, t('item.reimbursement'), ' ', h('small', {}, t('money.policyVersion', { v: reimb.policyVersion }))),
      reimb.lines && reimb.lines.length ? lines(reimb.lines) : empty(),
      h('p', { class: 'totals' }, t('money.paid'), ' ', money(reimb.paidFen), ' · ', t('money.held'), ' ', money(reimb.heldFen),
        ' · ', t('money.duplicate'), ' ', money(reimb.duplicateFen))));
  }
  return parts;
}

// conflictLog lists the losing values kept in the record's conflict log.
function conflictLog(rec) {
  const log = rec.conflicts || [];
  if (!log.length) return null;
  return h('section', { class: 'panel panel-warn', id: 'conflicts' }, h('h2', {}, t('item.conflicts'), ' ', h('span', { class: 'count' }, log.length)),
    table([t('item.when'), t('item.who'), fieldLabel('field'), t('review.serverValue'), t('review.yourValueOf')],
      log.slice().reverse().map((c) => [dateTime(c.at), personName(c.userId), fieldLabel(c.field), JSON.stringify(c.serverValue), JSON.stringify(c.clientValue)])));
}

// loadHistory fills box with the record's audit log (GET /v1/audit), newest first.
async function loadHistory(collection, id, box) {
  try {
    const { entries } = await api(`/v1/audit?collection=${encodeURIComponent(collection)}&recordId=${encodeURIComponent(id)}&limit=100`);
    replace(box, h('h2', {}, t('item.history')), entries.length
      ? table([t('item.when'), t('item.who'), t('item.action'), t('item.detail')],
        entries.map((e) => [dateTime(e.at), e.username || personName(e.userId) || t('item.system'), label('audit.', e.action), e.detail || '']))
      : empty());
  } catch {
    replace(box, h('h2', {}, t('item.history')), empty(t('item.historyUnavailable')));
  }
}
