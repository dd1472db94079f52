// A phone, as far as these tests need one: it signs in with POST /v1/auth/login, uploads photos
// (PUT /v1/blobs/{sha256}), pushes mutations and pulls every change, through the same HTTP API
// as the mobile app (docs/sync-protocol.md).
import { createHash, randomUUID } from 'node:crypto';
import { PASSWORD } from './server.js';

/** Phone is one signed-in device of one user. */
export class Phone {
  constructor(url, session) {
    this.url = url;
    this.token = session.accessToken;
    this.user = session.user;
    this.versions = new Map(); // "collection/id" → the version this phone last saw
  }

  /** signIn resolves with a Phone of username (a fresh device id each time). */
  static async signIn(url, username) {
    const res = await fetch(`${url}/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD, deviceId: `e2e-${username}-${randomUUID()}`, deviceName: `${username} 的手机` }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    return new Phone(url, await res.json());
  }

  /** call sends a request with the bearer token and resolves with {status, body}. */
  async call(method, path, body) {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** putPhoto uploads bytes and resolves with their SHA-256 hex. */
  async putPhoto(bytes) {
    const sum = createHash('sha256').update(bytes).digest('hex');
    const res = await fetch(`${this.url}/v1/blobs/${sum}`, {
      method: 'PUT', headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'image/png' }, body: bytes,
    });
    if (res.status !== 200 && res.status !== 201) throw new Error(`put photo: ${res.status} ${await res.text()}`);
    return sum;
  }

  /**
   * upsert pushes one upsert of fields to collection/id from the version this phone last saw,
   * and resolves with the result; it throws unless the status is one of want.
   */
  async upsert(collection, id, fields, want = ['applied']) {
    const key = `${collection}/${id}`;
    const { status, body } = await this.call('POST', '/v1/sync/push', {
      deviceId: 'e2e', mutations: [{
        mutationId: randomUUID(), collection, id, op: 'upsert', baseVersion: this.versions.get(key) || 0, fields,
        clientTime: new Date().toISOString(),
      }],
    });
    if (status !== 200) throw new Error(`push ${key}: ${status} ${JSON.stringify(body)}`);
    const [result] = body.results;
    if (!want.includes(result.status)) throw new Error(`push ${key}: ${JSON.stringify(result)}`);
    if (result.version) this.versions.set(key, result.version);
    return result;
  }

  /** pullAll pulls every page from scratch and resolves with Map collection → Map id → record. */
  async pullAll() {
    const out = new Map();
    let cursor = '';
    for (;;) {
      const { status, body } = await this.call('GET', `/v1/sync/pull?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (status !== 200) throw new Error(`pull: ${status} ${JSON.stringify(body)}`);
      for (const ch of body.changes) {
        if (!out.has(ch.collection)) out.set(ch.collection, new Map());
        if (ch.revoked || ch.deleted) out.get(ch.collection).delete(ch.id);
        else out.get(ch.collection).set(ch.id, { ...ch.record, version: ch.version });
        if (!ch.revoked) this.versions.set(`${ch.collection}/${ch.id}`, ch.version);
      }
      cursor = body.cursor;
      if (!body.hasMore) return out;
    }
  }

  /** record pulls and returns collection/id (undefined when not visible). */
  async record(collection, id) {
    return (await this.pullAll()).get(collection)?.get(id);
  }
}

/** waitFor polls fn until it returns a truthy value (or throws after timeoutMs with what it last saw). */
export async function waitFor(what, fn, { timeoutMs = 20_000, everyMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.stack : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
