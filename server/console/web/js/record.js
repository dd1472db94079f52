// Shows a synced record field by field (docs/sync-protocol.md): names as labels, user ids as
// names, fen as yuan, instants in Asia/Shanghai, photo hashes as thumbnails, lists of lines as
// small tables, links between records. Every value is text: nothing is parsed as markup.

import { h, table } from './dom.js';
import { t, label, has, bilingual } from './i18n.js';
import { personName } from './people.js';
import { money, dateTime } from './format.js';
import { thumbnail, isPhotoHash } from './photos.js';

// Fields the header shows, or that only the machinery reads.
const HIDDEN = new Set(['id', 'version', 'deleted', 'conflicts', 'fieldVersions', 'seq', 'team']);
const USER_FIELDS = new Set(['owner', 'technicianId', 'reviewedBy', 'createdBy', 'closedBy', 'recordedBy', 'userId']);
const USER_LISTS = new Set(['people', 'assignees']);
const PHOTO_FIELDS = new Set(['photo', 'signaturePhoto', 'photoSha256']);
const PHOTO_LISTS = new Set(['photos', 'evidencePhotos']);
// Enumerated values with texts: field → the i18n prefix of its values.
const ENUMS = {
  status: 'status.', outcome: 'outcome.', transportMode: 'transport.', category: 'category.',
  serviceType: 'service.', type: 'incident.', leaderDecision: 'decision.', purchasingDecision: 'decision.',
  gmDecision: 'decision.', kind: 'line.kind.', rule: 'rule.', waitingFor: 'role.', role: 'role.',
};
// Collections a record id field points to.
const LINKS = {
  workOrderId: 'work_orders', serviceFormId: 'service_forms', tripLogId: 'trip_logs',
  purchaseRequestId: 'purchase_requests', receiptId: 'receipts', incidentId: 'incidents',
};

/** fieldLabel is the text of a field name (the name itself when there is none). */
export function fieldLabel(name) { return has(`field.${name}`) ? t(`field.${name}`) : name; }

/** recordLink links to a record's page: #/review/<collection>/<id>. */
export function recordLink(collection, id, text) {
  return h('a', { href: `#/review/${collection}/${id}`, class: 'record-link' }, text || `${label('coll.', collection)} ${String(id).slice(0, 8)}`);
}

/** value renders one field's value (see the module comment). */
export function value(name, v) {
  if (v === null || v === undefined || v === '') return h('span', { class: 'muted' }, '—');
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  if (USER_FIELDS.has(name)) return personName(v);
  if (USER_LISTS.has(name) && Array.isArray(v)) return v.map(personName).join('、');
  if (PHOTO_FIELDS.has(name) && isPhotoHash(v)) return h('div', { class: 'thumbs' }, thumbnail(v, fieldLabel(name)));
  if (PHOTO_LISTS.has(name) && Array.isArray(v)) {
    return v.length ? h('div', { class: 'thumbs' }, v.filter(isPhotoHash).map((x, i) => thumbnail(x, `${fieldLabel(name)} ${i + 1}`))) : h('span', { class: 'muted' }, '—');
  }
  if (name === 'photosPending' && Array.isArray(v)) return v.length ? t('photo.pendingCount', { n: v.length }) : t('photo.allArrived');
  if (LINKS[name] && typeof v === 'string') return recordLink(LINKS[name], v);
  if (name === 'workOrderIds' && Array.isArray(v)) return h('span', {}, v.map((id) => [recordLink('work_orders', id), ' ']));
  if ((name === 'duplicateOf' || name === 'source') && typeof v === 'object' && v.collection && v.id) return recordLink(v.collection, v.id);
  if (/Fen$/.test(name) && typeof v === 'number') return money(v);
  if (/At$/.test(name) && typeof v === 'string') return dateTime(v);
  if (ENUMS[name] && typeof v === 'string') return label(ENUMS[name], v);
  if ((name === 'description' || name === 'reason') && typeof v === 'string') return bilingual(v);
  if (ENUMS[name] && Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((x) => label(ENUMS[name], x)).join('、');
  if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return lines(v);
  if (Array.isArray(v)) return v.length ? v.map(String).join('、') : h('span', { class: 'muted' }, '—');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** lines renders a list of objects (parts, items, purchase plan, reimbursement lines) as a table. */
export function lines(list) {
  const keys = [...new Set(list.flatMap((x) => Object.keys(x)))];
  return table(keys.map(fieldLabel), list.map((x) => keys.map((k) => value(k, x[k]))), { className: 'lines' });
}

/**
 * fields renders every field of rec (except the header's) as a description list; order names the
 * fields to show first.
 */
export function fields(rec, order = []) {
  const names = [...new Set([...order, ...Object.keys(rec).sort()])].filter((k) => !HIDDEN.has(k) && k in rec);
  return h('dl', { class: 'fields' }, names.map((k) => h('div', { class: 'field-row', dataset: { field: k } },
    h('dt', {}, fieldLabel(k)), h('dd', {}, value(k, rec[k])))));
}
