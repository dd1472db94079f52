// The sign-in page: the accounts of docs/accounts.md (POST /v1/console/session).

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { signIn } from '../api.js';
import { errorText } from '../views.js';

/** renderSignIn shows the sign-in form in root; a successful sign-in starts the session. */
export function renderSignIn(root) {
  const username = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true, maxlength: 64 });
  const password = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 72 });
  const message = h('p', { class: 'form-error', role: 'alert', id: 'signin-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'signin-submit' }, t('signin.submit'));
  const form = h('form', { class: 'signin', id: 'signin', novalidate: true },
    h('h1', {}, t('signin.title')),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('signin.username')), username),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('signin.password')), password),
    message, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.textContent = '';
    if (!username.value.trim() || !password.value) {
      message.textContent = t('signin.missing');
      return;
    }
    submit.disabled = true;
    try {
      await signIn(username.value.trim(), password.value);
      password.value = '';
    } catch (err) {
      message.textContent = err.status === 401 ? t('signin.failed')
        : err.status === 429 ? t('signin.limited') : errorText(err);
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, h('div', { class: 'page page-signin', dataset: { page: 'signin' } }, form));
  username.focus();
}
