// A device: one signed-in user's RxDB database (memory storage) replicating service_forms with
// the fieldsync server through /v1/rxdb/service_forms/{pull,push,stream}, the way the mobile
// app does. Its network can be switched off (every request then fails as on a phone without
// signal) and can lose the answer of a push after the server has committed it.
import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { serviceFormSchema } from './schema.js';

disableWarnings();
addRxPlugin(RxDBDevModePlugin);

const COLLECTION = 'service_forms';

/** waitFor polls fn until it returns a truthy value, and returns it; it throws after timeoutMs. */
export async function waitFor(fn, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.stack : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** login signs username in as a new device and returns {accessToken, deviceId, user}. */
export async function login(url, username, password, deviceName) {
  const res = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password, deviceId: randomUUID(), deviceName }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export class Device {
  /** open signs in, creates the device's database and starts the live replication. */
  static async open(server, username, password, name) {
    const session = await login(server.url, username, password, name);
    const d = new Device(server.url, name, session);
    d.db = await createRxDatabase({
      name: `device-${name}-${randomUUID()}`,
      storage: wrappedValidateAjvStorage({ storage: getRxStorageMemory() }),
      multiInstance: false,
    });
    await d.db.addCollections({ [COLLECTION]: { schema: serviceFormSchema } });
    d.forms = d.db[COLLECTION];
    d.startStream();
    d.replication = replicateRxCollection({
      collection: d.forms,
      replicationIdentifier: `fieldsync-${COLLECTION}-${server.url}`,
      live: true,
      retryTime: 100,
      waitForLeadership: false,
      autoStart: true,
      pull: {
        batchSize: 50,
        handler: (checkpoint, batchSize) => d.pull(checkpoint, batchSize),
        stream$: d.stream$.asObservable(),
      },
      push: { batchSize: 50, handler: (rows) => d.push(rows) },
    });
    d.replication.error$.subscribe((err) => d.errors.push(err));
    d.replication.conflict$.subscribe((c) => d.conflicts.push(c));
    await d.replication.awaitInitialReplication();
    return d;
  }

  constructor(url, name, session) {
    this.url = url;
    this.name = name;
    this.token = session.accessToken;
    this.user = session.user;
    this.deviceId = session.deviceId; // the server's id of this device (in conflict log entries)
    this.isOnline = true;
    this.closed = false;
    this.stream$ = new Subject();
    this.errors = [];
    this.conflicts = []; // the push answers RxDB resolved: {input: {realMasterState, ...}, output}
    this.pushRequests = []; // every push body the server answered: [{rows, answer}]
    this.loseNextPushAnswer = null; // async function: awaited after the server answered, then the answer is lost
  }

  /** request is fetch on this device's network, with its token. */
  async request(path, init = {}) {
    if (!this.isOnline) throw new TypeError(`fetch failed: ${this.name} is offline`);
    return fetch(this.url + path, {
      ...init,
      headers: { ...init.headers, Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
    });
  }

  async pull(checkpoint, batchSize) {
    const q = new URLSearchParams({ limit: String(batchSize) });
    if (checkpoint?.cursor) q.set('checkpoint', checkpoint.cursor);
    const res = await this.request(`/v1/rxdb/${COLLECTION}/pull?${q}`);
    const body = await res.json();
    if (res.status !== 200) throw new Error(`pull: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  async push(rows) {
    const res = await this.request(`/v1/rxdb/${COLLECTION}/push`, { method: 'POST', body: JSON.stringify(rows) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`push: ${res.status} ${text}`);
    const answer = JSON.parse(text);
    this.pushRequests.push({ rows, answer });
    if (this.loseNextPushAnswer) {
      // The server has committed the push; the phone never hears of it.
      const hold = this.loseNextPushAnswer;
      this.loseNextPushAnswer = null;
      await hold();
      throw new TypeError(`fetch failed: ${this.name} lost the answer of a push`);
    }
    return answer;
  }

  /** startStream reads /v1/rxdb/service_forms/stream into stream$, reconnecting while online. */
  startStream() {
    const abort = new AbortController();
    this.streamAbort = abort;
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const res = await fetch(`${this.url}/v1/rxdb/${COLLECTION}/stream`, {
            headers: { Authorization: `Bearer ${this.token}`, Accept: 'text/event-stream' },
            signal: abort.signal,
          });
          if (res.status !== 200) throw new Error(`stream: ${res.status}`);
          const decoder = new TextDecoder();
          let buffer = '';
          for await (const chunk of res.body) {
            buffer += decoder.decode(chunk, { stream: true });
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const event = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
              if (data) this.stream$.next(JSON.parse(data));
            }
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          this.errors.push(err);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    run();
  }

  /** offline cuts the network: requests fail and the stream ends. Local writes go on. */
  offline() {
    this.isOnline = false;
    this.streamAbort.abort();
  }

  /** online restores the network; the stream reconnects (its first event is RESYNC). */
  async online() {
    this.isOnline = true;
    this.startStream();
    await this.inSync();
  }

  /** inSync resolves when every local write has been pushed and the last pull is done. */
  async inSync() {
    await this.replication.awaitInSync();
  }

  async insert(doc) {
    await this.forms.insert(doc);
  }

  async patch(id, changes) {
    const doc = await this.forms.findOne(id).exec();
    if (!doc) throw new Error(`${this.name} has no form ${id}`);
    await doc.incrementalPatch(changes);
  }

  async remove(id) {
    const doc = await this.forms.findOne(id).exec();
    if (!doc) throw new Error(`${this.name} has no form ${id}`);
    await doc.incrementalRemove();
  }

  /** get returns the local form id as plain JSON, or null (deleted or never seen). */
  async get(id) {
    const doc = await this.forms.findOne(id).exec();
    return doc ? doc.toJSON() : null;
  }

  /** until waits for the local form id to satisfy pred and returns it. */
  until(id, pred, what) {
    return waitFor(async () => {
      const doc = await this.get(id);
      return doc && pred(doc) ? doc : false;
    }, `${this.name}: ${what}`);
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.streamAbort?.abort();
    await this.replication?.cancel();
    await this.db?.close();
  }
}

/**
 * ServerView is the server's state of the service forms as the leader pulls it through
 * /v1/sync/pull. It pulls on from its last cursor at every look, so that it sees tombstones too
 * (a pull from scratch leaves deleted records out).
 */
export class ServerView {
  constructor(url, leaderToken) {
    this.url = url;
    this.token = leaderToken;
    this.cursor = '';
    this.changes = new Map();
  }

  /** record returns the latest change of service form id: {version, deleted, record}, or null. */
  async record(id) {
    for (;;) {
      const res = await fetch(`${this.url}/v1/sync/pull?limit=1000&cursor=${encodeURIComponent(this.cursor)}`, {
        headers: { Authorization: `Bearer ${this.token}` },
      });
      const page = await res.json();
      if (res.status !== 200) throw new Error(`sync pull: ${res.status} ${JSON.stringify(page)}`);
      for (const ch of page.changes) {
        if (ch.collection === COLLECTION) this.changes.set(ch.id, ch);
      }
      this.cursor = page.cursor;
      if (!page.hasMore) return this.changes.get(id) ?? null;
    }
  }
}
