// DOM building without innerHTML: every piece of user data goes through text nodes, so nothing
// a technician typed can become markup. The strict Content-Security-Policy (no inline scripts,
// no inline styles) is the second line of defence.

/**
 * h builds an element: h('a', {href: '#/x', class: 'btn', onclick: fn}, 'text', child, [more]).
 * Attributes: `class`, `dataset` (an object), `on<event>` (a listener), booleans (`disabled`,
 * `checked`, `hidden`, ...) set as properties, everything else with setAttribute. `style` is
 * refused: inline style attributes are blocked by the CSP; use a class (or el.style in code).
 * Children: strings and numbers become text nodes; null, undefined and false are skipped;
 * arrays are flattened.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'style') throw new Error('h: no style attributes (CSP); use a class');
    if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (name === 'value') el.value = value;
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** append adds children (see h) to el and returns el. */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** clear removes every child of el and returns it. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** replace puts children in place of el's content. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/** table builds a scrollable table: heads are strings, rows arrays of cells (nodes or text). */
export function table(heads, rows, { caption, className } = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: className || '' },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => (r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c))))))));
}

/** field wraps a form control with its label. */
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control,
    hint ? h('span', { class: 'field-hint' }, hint) : null);
}

/**
 * dialog opens a modal <dialog> with title, body nodes and buttons [{label, value, class}]; it
 * resolves with the value of the button pressed (undefined on Escape).
 */
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'dialog', 'aria-label': title });
    const form = h('form', { method: 'dialog' },
      h('h2', {}, title),
      h('div', { class: 'dialog-body' }, body),
      h('div', { class: 'actions' }, buttons.map((b) => h('button', {
        type: 'submit', value: b.value, class: b.class || 'btn', dataset: { value: b.value },
      }, b.label))));
    // form-action 'none' in the CSP does not affect method=dialog (no navigation).
    dlg.append(form);
    dlg.addEventListener('close', () => {
      const v = dlg.returnValue;
      dlg.remove();
      resolve(v || undefined);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** toast shows a short message in the status area; kind is 'ok' or 'error'. */
export function toast(message, kind = 'ok') {
  const area = document.getElementById('toasts');
  if (!area) return;
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  area.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}
