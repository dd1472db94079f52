// The console's session and its one fetch wrapper (docs/console-api.md).
//
// The access token lives in this module's memory only (never localStorage or sessionStorage):
// a reload restores the session through the refresh cookie, which is HttpOnly and SameSite=Strict,
// so script never sees it. Cookie-authenticated calls carry X-Fieldsync-Console: 1, a header a
// cross-site form cannot send (CSRF); every other call carries the bearer token.

const CONSOLE_HEADER = { 'X-Fieldsync-Console': '1' };
const REFRESH_EARLY_MS = 60_000; // refresh this long before the token expires

/** ApiError is a failed call: status (HTTP), code (the server's stable code), message, fields. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status === 0 ? 'network' : 'http');
    this.fields = e.fields || {};
  }
}

let token = '';
let user = null;
let refreshTimer = 0;
let refreshing = null;
const listeners = new Set();

/** currentUser returns the signed-in user ({id, username, displayName, role, teamId}) or null. */
export function currentUser() { return user; }

/** accessToken returns the current access token ('' when signed out). */
export function accessToken() { return token; }

/** onSession calls fn(user|null) whenever the session starts or ends. */
export function onSession(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function setSession(body) {
  const was = user;
  token = body ? body.accessToken : '';
  user = body ? body.user : null;
  clearTimeout(refreshTimer);
  if (body) {
    const ms = Math.max(5_000, body.expiresIn * 1000 - REFRESH_EARLY_MS);
    refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, ms);
  }
  if ((was && was.id) !== (user && user.id)) listeners.forEach((fn) => fn(user));
}

async function sessionCall(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { ...CONSOLE_HEADER, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, { error: { code: 'network' } });
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** signIn opens a session: POST /v1/console/session. Errors: ApiError (401 wrong password, 429). */
export async function signIn(username, password) {
  const body = await sessionCall('POST', '/v1/console/session', { username, password });
  setSession(body);
  return user;
}

// acrossTabs runs fn while holding a lock shared by every tab of the console (Web Locks API):
// refresh rotates the cookie, and two tabs refreshing with the same cookie at once would look like
// a stolen token to the server, which then signs the browser out (docs/console-api.md). Browsers
// offer the API only in secure contexts (https, or http on localhost); elsewhere refreshes are
// serialized within the tab only.
function acrossTabs(fn) {
  return navigator.locks ? navigator.locks.request('fieldsync-console-refresh', fn) : fn();
}

/**
 * refresh renews the access token from the refresh cookie (on load, before expiry, on a 401). It
 * resolves with the user, or null when there is no valid session (then the console shows the
 * sign-in page). Concurrent callers share one request, and tabs take turns (acrossTabs).
 */
export function refresh() {
  if (!refreshing) {
    refreshing = acrossTabs(() => sessionCall('POST', '/v1/console/session/refresh'))
      .then((body) => { setSession(body); return user; })
      .catch((err) => {
        if (err.status === 401 || err.status === 403) { setSession(null); return null; }
        throw err;
      })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** signOut ends the session on the server (DELETE /v1/console/session) and forgets the token. */
export async function signOut() {
  try {
    await sessionCall('DELETE', '/v1/console/session');
  } finally {
    setSession(null);
  }
}

/**
 * request calls the API with the bearer token and returns the Response (for streams and blobs).
 * A 401 refreshes the session once and retries. Errors: ApiError for a non-2xx answer.
 */
export async function request(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const send = () => {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload = body;
    if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body)) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    return fetch(path, { method, headers: h, body: payload, signal, credentials: 'same-origin' });
  };
  let res;
  try {
    res = await send();
    if (res.status === 401 && token && (await refresh())) res = await send();
  } catch (err) {
    if (err.name === 'AbortError' || err instanceof ApiError) throw err;
    throw new ApiError(0, { error: { code: 'network', message: String(err.message || err) } });
  }
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data);
  }
  return res;
}

/** api calls request and decodes the JSON answer (null for 204). */
export async function api(path, opts) {
  const res = await request(path, opts);
  if (res.status === 204) return null;
  return res.json();
}
