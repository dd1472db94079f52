// 考核事件: the leader records incidents (R2 unreachable, R3 left post, R4 commendations, and the
// policy's other types) with evidence photos, as a push to `incidents`; the rules worker scores
// them into the month's assessment. Below the form, the team's incidents, newest first.

import { h, replace, table, field } from '../dom.js';
import { t, label, language } from '../i18n.js';
import { api } from '../api.js';
import * as sync from '../sync.js';
import { personName, technicians } from '../people.js';
import { today, thisMonth, addMonths } from '../format.js';
import { heading, errorPanel, empty } from '../views.js';
import { thumbnail, upload } from '../photos.js';
import { recordLink } from '../record.js';
import { decide } from '../review-actions.js';

const SERVER_ONLY = new Set(['missed_weekly_report']);

/** render draws the form and the list. */
export async function render(root, _params, ctx) {
  let policy;
  try {
    // The leader pages need the team: a technician's console stops here with "no access".
    await api('/v1/review/queue');
    policy = await api('/v1/policy');
    await sync.ensureLoaded();
  } catch (err) {
    replace(root, errorPanel(err));
    return;
  }
  const types = policy.incidentTypes || {};
  // The policy's own label (Chinese) names types the console has no text for.
  const typeText = (k) => (language() === 'en' || !types[k]?.label ? label('incident.', k) : types[k].label);
  const list = h('section', { class: 'panel', id: 'incident-list' });
  const drawList = () => {
    const since = `${addMonths(thisMonth(), -2)}-01`;
    const rows = sync.all('incidents').filter((r) => (r.date || '') >= since)
      .sort((a, b) => (b.date || '').localeCompare(a.date || '') || (b.createdAt || '').localeCompare(a.createdAt || ''));
    replace(list, h('h2', {}, t('incidents.recent')), rows.length ? table(
      [t('field.date'), t('field.technicianId'), t('field.type'), t('field.points'), t('field.reason'), t('field.evidencePhotos'), ''],
      rows.map((r) => h('tr', { dataset: { id: r.id }, class: r.waived ? 'waived' : '' },
        h('td', {}, r.date || ''), h('td', {}, personName(r.technicianId)), h('td', {}, typeText(r.type)),
        h('td', { class: 'num' }, points(r, types)), h('td', {}, r.reason || '', r.waived ? h('small', {}, ` (${t('incidents.waived')})`) : null),
        h('td', {}, String((r.evidencePhotos || []).length)),
        h('td', {}, recordLink('incidents', r.id, t('item.open')))))) : empty());
  };
  replace(root, heading(t('incidents.title')), form(types, typeText), list);
  drawList();
  ctx.onRecords(['incidents'], drawList);
}

function points(r, types) {
  if (typeof r.points === 'number') return String(r.points);
  const ty = types[r.type];
  return ty && !ty.leaderPoints ? String(ty.points) : '';
}

// form draws the new-incident form.
function form(types, typeText) {
  const techs = technicians();
  const tech = h('select', { id: 'incident-technician', required: true },
    h('option', { value: '' }, t('incidents.pickTechnician')), techs.map((u) => h('option', { value: u.id }, personName(u.id))));
  const keys = Object.keys(types).filter((k) => !SERVER_ONLY.has(k)).sort();
  const type = h('select', { id: 'incident-type', required: true }, keys.map((k) => h('option', { value: k }, typeText(k))));
  const date = h('input', { id: 'incident-date', type: 'date', value: today(), max: today(), required: true });
  const pts = h('input', { id: 'incident-points', type: 'number', step: 1 });
  const ptsField = field(t('field.points'), pts, t('incidents.pointsHint'));
  const reason = h('textarea', { id: 'incident-reason', rows: 2, maxlength: 2000 });
  const note = h('textarea', { id: 'incident-note', rows: 2, maxlength: 2000 });
  const files = h('input', { id: 'incident-photos', type: 'file', accept: 'image/*', multiple: true });
  const thumbs = h('div', { class: 'thumbs', id: 'incident-thumbs' });
  const out = h('div', { class: 'decision-out' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'incident-submit' }, t('incidents.record'));
  let evidence = [];
  const syncType = () => {
    const ty = types[type.value] || {};
    ptsField.hidden = !ty.leaderPoints && !ty.majorLoss;
    pts.placeholder = ty.leaderPoints ? '' : String(ty.points ?? '');
  };
  type.addEventListener('change', syncType);
  syncType();
  files.addEventListener('change', async () => {
    submit.disabled = true;
    try {
      for (const f of files.files) {
        const sum = await upload(f);
        if (!evidence.includes(sum)) {
          evidence.push(sum);
          thumbs.append(thumbnail(sum, f.name));
        }
      }
    } catch (err) {
      out.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('photo.uploadFailed'), ' ', err.message));
    } finally {
      submit.disabled = false;
      files.value = '';
    }
  });
  const el = h('form', { class: 'panel form-grid', id: 'incident-form', novalidate: true },
    h('h2', { class: 'span-all' }, t('incidents.new')),
    field(t('field.technicianId'), tech), field(t('field.type'), type), field(t('field.date'), date), ptsField,
    h('div', { class: 'span-all' }, field(t('field.reason'), reason)),
    h('div', { class: 'span-all' }, field(t('field.note'), note)),
    h('div', { class: 'span-all' }, field(t('field.evidencePhotos'), files), thumbs),
    h('div', { class: 'actions span-all' }, submit), h('div', { class: 'span-all' }, out));
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    out.replaceChildren();
    if (!tech.value || !type.value || !date.value) {
      out.append(h('p', { class: 'form-error', role: 'alert' }, t('incidents.missing')));
      return;
    }
    const fields = { technicianId: tech.value, type: type.value, date: date.value, evidencePhotos: evidence };
    if (!ptsField.hidden && pts.value !== '') fields.points = Number(pts.value);
    if (reason.value.trim()) fields.reason = reason.value.trim();
    if (note.value.trim()) fields.note = note.value.trim();
    submit.disabled = true;
    try {
      const res = await decide({ id: crypto.randomUUID(), version: 0 }, 'incidents', fields, out, t('incidents.recorded'));
      if (res && (res.status === 'applied' || res.status === 'merged')) {
        reason.value = note.value = pts.value = '';
        evidence = [];
        thumbs.replaceChildren();
      }
    } finally {
      submit.disabled = false;
    }
  });
  return el;
}
