// The team's people (GET /v1/users), to show names instead of user ids.

import { api } from './api.js';

let users = new Map();
let loading = null;

/** loadPeople fetches the users the caller may list once per session; a 403 leaves it empty. */
export function loadPeople(force = false) {
  if (!loading || force) {
    loading = api('/v1/users')
      .then((body) => { users = new Map(body.users.map((u) => [u.id, u])); return users; })
      .catch(() => users);
  }
  return loading;
}

/** forgetPeople drops the list (sign-out). */
export function forgetPeople() { users = new Map(); loading = null; }

/** person returns the user with id, or undefined. */
export function person(id) { return users.get(id); }

/** personName returns a user's display name, else username, else the id itself ("server" too). */
export function personName(id) {
  const u = users.get(id);
  if (u) return u.displayName || u.username;
  return id || '';
}

/** technicians returns the team's active technicians, by name. */
export function technicians() {
  return [...users.values()].filter((u) => u.role === 'technician' && !u.disabled)
    .sort((a, b) => personName(a.id).localeCompare(personName(b.id), 'zh-CN'));
}
