// 导出: the monthly assessment and the monthly reimbursements for HR and finance, as XLSX and CSV
// (UTF-8 with BOM), from GET /v1/exports/{kind}/{YYYY-MM}.{xlsx|csv} (docs/console-api.md). The
// server streams them without a length: the page reads the stream and shows the bytes received,
// then saves the file through a blob: URL and a download link.

import { h, replace, toast } from '../dom.js';
import { t } from '../i18n.js';
import { request, currentUser } from '../api.js';
import { addMonths, thisMonth, isMonth, bytes } from '../format.js';
import { heading, noAccess, errorText } from '../views.js';

const KINDS = ['assessments', 'reimbursements'];
const FORMATS = ['xlsx', 'csv'];
const ROLES = new Set(['leader', 'hr', 'admin']);

/** render draws the month picker and one download button per kind and format. */
export async function render(root) {
  if (!ROLES.has(currentUser()?.role)) {
    replace(root, noAccess());
    return;
  }
  const month = h('input', { type: 'month', id: 'export-month', value: addMonths(thisMonth(), -1) });
  const status = h('div', { class: 'export-status', id: 'export-status', 'aria-live': 'polite' });
  const buttons = [];
  const rows = KINDS.map((kind) => h('div', { class: 'export-row', dataset: { kind } },
    h('div', {}, h('h2', {}, t(`exports.${kind}`)), h('p', { class: 'muted' }, t(`exports.${kind}.hint`))),
    h('div', { class: 'actions' }, FORMATS.map((fmt) => {
      const b = h('button', { type: 'button', class: 'btn', id: `export-${kind}-${fmt}`, dataset: { format: fmt } }, fmt.toUpperCase());
      b.addEventListener('click', () => {
        if (!isMonth(month.value)) { toast(t('exports.pickMonth'), 'error'); return; }
        run(kind, fmt, month.value, status, buttons);
      });
      buttons.push(b);
      return b;
    }))));
  replace(root, heading(t('exports.title')),
    h('section', { class: 'panel' }, h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('exports.month')), month),
      h('p', { class: 'muted' }, t('exports.note'))),
    h('section', { class: 'panel exports' }, rows), status);
}

// run downloads one export, showing the bytes received as it streams.
async function run(kind, fmt, month, status, buttons) {
  buttons.forEach((b) => { b.disabled = true; });
  const bar = h('progress', { id: 'export-progress' });
  const text = h('span', { id: 'export-bytes' }, t('exports.starting'));
  replace(status, h('div', { class: 'panel' }, h('p', {}, `${t(`exports.${kind}`)} · ${month} · ${fmt.toUpperCase()}`), bar, ' ', text));
  try {
    const res = await request(`/v1/exports/${kind}/${month}.${fmt}`);
    const policy = res.headers.get('X-Fieldsync-Policy-Version') || '';
    const total = Number(res.headers.get('Content-Length')) || 0;
    if (total) bar.max = total;
    const reader = res.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (total) bar.value = received;
      text.textContent = t('exports.received', { n: bytes(received) });
    }
    bar.max = 1;
    bar.value = 1;
    const type = res.headers.get('Content-Type') || 'application/octet-stream';
    const name = fileName(res.headers.get('Content-Disposition')) || `${kind}-${month}.${fmt}`;
    const url = URL.createObjectURL(new Blob(chunks, { type }));
    const a = h('a', { href: url, download: name, class: 'download-link', id: 'export-link' }, name);
    text.textContent = t('exports.done', { n: bytes(received), v: policy || '?' });
    status.firstChild.append(h('p', {}, t('exports.saveAgain'), ' ', a),
      h('p', { class: 'muted', id: 'export-policy' }, t('exports.policy', { v: policy || '?' })));
    a.click();
  } catch (err) {
    replace(status, h('div', { class: 'panel panel-error', role: 'alert' }, errorText(err)));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// fileName reads filename= (or filename*=UTF-8'') from a Content-Disposition header.
function fileName(cd) {
  if (!cd) return '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) { try { return decodeURIComponent(star[1]); } catch { /* fall through */ } }
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : '';
}
