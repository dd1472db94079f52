// The console is a sync client like the phones (docs/sync-protocol.md): it pulls every record the
// leader may see into memory, keyed by collection and id, and writes reviews and incidents as
// pushed mutations with their baseVersion. The live stream (Server-Sent Events, read with fetch
// because EventSource cannot send the bearer header) only says "something changed": pull then.

import { api, request, ApiError } from './api.js';

const PULL_LIMIT = 1000;
const STREAM_RETRY_MS = 3000;

const records = new Map(); // collection → Map(id → record)
let cursor = '';
let pulling = null;
let pulledOnce = false;
let generation = 0; // bumped by reset: a pull of an old session drops its answer
const listeners = new Set();
let stream = null;

/** onChange calls fn(changedCollections: Set) after a pull or push changed records. */
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function emit(changed) {
  if (changed.size) listeners.forEach((fn) => fn(changed));
}

/** get returns the record collection/id, or undefined when the caller cannot see it. */
export function get(collection, id) {
  return records.get(collection)?.get(id);
}

/** all returns the live (not deleted) records of collection. */
export function all(collection) {
  return [...(records.get(collection)?.values() || [])].filter((r) => !r.deleted);
}

/** loaded reports whether a first pull finished. */
export function loaded() { return pulledOnce; }

function put(collection, id, record) {
  if (!records.has(collection)) records.set(collection, new Map());
  const m = records.get(collection);
  if (record) m.set(id, record);
  else m.delete(id);
}

function applyChange(ch) {
  if (ch.revoked) put(ch.collection, ch.id, null);
  else put(ch.collection, ch.id, { ...ch.record, id: ch.id, version: ch.version, deleted: !!ch.deleted });
}

/**
 * pull fetches every change since the last pull, page by page (GET /v1/sync/pull), and resolves
 * with the set of collections that changed. A 410 resync_required drops everything and pulls
 * from scratch. Concurrent callers share one pull.
 */
export function pull() {
  if (pulling) return pulling;
  const gen = generation;
  pulling = (async () => {
    const changed = new Set();
    for (;;) {
      let page;
      try {
        page = await api(`/v1/sync/pull?limit=${PULL_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 410 && gen === generation) {
          records.clear();
          cursor = '';
          continue;
        }
        throw err;
      }
      if (gen !== generation) return changed;
      for (const ch of page.changes) {
        applyChange(ch);
        changed.add(ch.collection);
      }
      cursor = page.cursor || cursor;
      if (!page.hasMore) break;
    }
    pulledOnce = true;
    emit(changed);
    return changed;
  })().finally(() => { pulling = null; });
  return pulling;
}

/** ensureLoaded pulls once if nothing was pulled yet. */
export async function ensureLoaded() {
  if (!pulledOnce) await pull();
}

/**
 * push sends mutations [{collection, id, op, baseVersion, fields}] (POST /v1/sync/push) with a
 * fresh mutationId each, and resolves with the results in order ({status: applied | merged |
 * conflict | rejected, version, conflicts, record, error}). The server's record (merged,
 * conflict) replaces the local one; a pull follows so that computed fields arrive.
 */
export async function push(mutations) {
  const body = {
    deviceId: 'console',
    mutations: mutations.map((m) => ({
      mutationId: crypto.randomUUID(),
      op: 'upsert',
      baseVersion: 0,
      clientTime: new Date().toISOString(),
      ...m,
    })),
  };
  const { results } = await api('/v1/sync/push', { method: 'POST', body });
  const changed = new Set();
  results.forEach((r, i) => {
    const m = body.mutations[i];
    if (r.record) {
      put(m.collection, m.id, { ...r.record, id: m.id, deleted: !!r.record.deleted });
      changed.add(m.collection);
    }
  });
  emit(changed);
  await pull().catch(() => {});
  return results;
}

/** reset forgets every record and stops the stream (sign-out). */
export function reset() {
  generation++;
  records.clear();
  cursor = '';
  pulledOnce = false;
  stopStream();
}

/**
 * startStream listens to GET /v1/sync/stream and pulls on every change event; it reconnects
 * after STREAM_RETRY_MS when the connection ends (the token expired, the server restarted).
 */
export function startStream() {
  if (stream) return;
  const ctl = new AbortController();
  stream = ctl;
  const loop = async () => {
    while (!ctl.signal.aborted) {
      try {
        const res = await request(`/v1/sync/stream${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, {
          headers: { Accept: 'text/event-stream' }, signal: ctl.signal,
        });
        await readEvents(res.body, ctl.signal, () => { pull().catch(() => {}); });
      } catch { /* retried below */ }
      if (ctl.signal.aborted) return;
      await new Promise((r) => setTimeout(r, STREAM_RETRY_MS));
    }
  };
  loop();
}

/** stopStream closes the live stream. */
export function stopStream() {
  if (stream) stream.abort();
  stream = null;
}

// readEvents reads Server-Sent Events from body and calls onChange for each `change` event.
async function readEvents(body, signal, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      if (/^event: *change$/m.test(block) || /^data:/m.test(block)) onEvent();
    }
  }
}
