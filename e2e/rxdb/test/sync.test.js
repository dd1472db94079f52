// End to end: real RxDB clients (two phones of one technician, and the leader's console)
// replicate service forms with a real fieldsync server through /v1/rxdb/service_forms. Every
// scenario ends by checking the SERVER's record, as the leader pulls it through /v1/sync/pull,
// not only what the clients show.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Device, ServerView, login, waitFor } from './helpers/device.js';
import { PASSWORD, startServer } from './helpers/server.js';

// Each scenario takes a few seconds; the limits only keep a hang from blocking CI. The suite's
// includes building the server when FIELDSYNC_BIN is not set (up to a few minutes cold).
describe('RxDB replication with fieldsync', { timeout: 420_000 }, () => {
  let server;
  let view;
  const open = [];

  before(async () => {
    server = await startServer();
    view = new ServerView(server.url, (await login(server.url, server.users.leader, PASSWORD, 'checker')).accessToken);
  }, { timeout: 300_000 });

  after(async () => {
    await Promise.allSettled(open.map((d) => d.close()));
    await server?.stop();
  });

  const device = async (role, name) => {
    const d = await Device.open(server, server.users[role], PASSWORD, name);
    open.push(d);
    return d;
  };
  const phones = async () => [await device('technician', 'phone-a'), await device('technician', 'phone-b')];
  const record = (id) => view.record(id);
  const recordAt = (id, version) => waitFor(async () => {
    const r = await record(id);
    return r && r.version === version ? r : false;
  }, `the server's ${id} at version ${version}`);

  /** newForm creates a form on the first device and waits until every device has version 1. */
  const newForm = async (devices, fields = {}) => {
    const id = randomUUID();
    await devices[0].insert({ id, workOrderId: 'wo-1', outcome: 'incomplete', workDone: '检查压缩机', ...fields });
    await recordAt(id, 1);
    for (const d of devices) await d.until(id, (f) => f.version === 1, 'the new form at version 1');
    return id;
  };

  it('keeps both edits when two offline phones change different fields (merged)', { timeout: 60_000 }, async () => {
    const [a, b] = await phones();
    const id = await newForm([a, b]);
    a.offline();
    b.offline();
    await a.patch(id, { workDone: '更换压缩机' });
    await b.patch(id, { outcome: 'completed' });

    await a.online();
    await recordAt(id, 2);
    await b.online();
    const rec = await recordAt(id, 3);
    assert.equal(rec.record.workDone, '更换压缩机');
    assert.equal(rec.record.outcome, 'completed');
    assert.deepEqual(rec.record.conflicts, []);
    for (const d of [a, b]) {
      const f = await d.until(id, (f) => f.version === 3, 'the merged form');
      assert.equal(f.workDone, '更换压缩机');
      assert.equal(f.outcome, 'completed');
    }
    // B learnt the merge from its push's answer, not only from a later pull.
    const merged = b.conflicts.map((c) => c.input.realMasterState).find((m) => m.id === id);
    assert.ok(merged, 'the push answered the merged document');
    assert.equal(merged.version, 3);
    assert.equal(merged.workDone, '更换压缩机');
  });

  it('lets the first phone to reach the server win a same-field race and logs the loser', { timeout: 60_000 }, async () => {
    const [a, b] = await phones();
    const id = await newForm([a, b]);
    a.offline();
    b.offline();
    await a.patch(id, { workDone: 'A: 更换电容' });
    await b.patch(id, { workDone: 'B: 清洗冷凝器' });

    await a.online();
    await recordAt(id, 2);
    await b.online();
    // The loser converges to the server's value; its own value is in the record's conflict log.
    const f = await b.until(id, (f) => f.workDone === 'A: 更换电容' && f.conflicts?.length === 1, 'the winning value');
    assert.equal(f.version, 3); // 2: A's edit; 3: the conflict log's entry for B's losing value
    const rec = await record(id);
    assert.equal(rec.version, 3);
    assert.equal(rec.record.workDone, 'A: 更换电容');
    assert.equal(rec.record.conflicts.length, 1);
    const [c] = rec.record.conflicts;
    assert.equal(c.field, 'workDone');
    assert.equal(c.serverValue, 'A: 更换电容');
    assert.equal(c.clientValue, 'B: 清洗冷凝器');
    assert.equal(c.deviceId, b.deviceId);
    await a.until(id, (f) => f.conflicts?.length === 1, 'the conflict log');
    const answer = b.conflicts.map((c) => c.input.realMasterState).find((m) => m.id === id);
    assert.equal(answer?.workDone, 'A: 更换电容', 'the push answered the server\'s document');
  });

  it('brings the leader\'s review to a phone that was offline', { timeout: 60_000 }, async () => {
    const [a] = await phones();
    const leader = await device('leader', 'console');
    const id = await newForm([a, leader]);
    a.offline();
    await leader.patch(id, { reviewNote: '请补充客户签名照片' });
    await recordAt(id, 2);
    await a.patch(id, { note: '客户要求下周回访' });

    await a.online();
    const rec = await recordAt(id, 3);
    assert.equal(rec.record.reviewNote, '请补充客户签名照片');
    assert.equal(rec.record.note, '客户要求下周回访');
    assert.deepEqual(rec.record.conflicts, []);
    for (const d of [a, leader]) {
      const f = await d.until(id, (f) => f.version === 3, 'the reviewed form');
      assert.equal(f.reviewNote, '请补充客户签名照片');
      assert.equal(f.note, '客户要求下周回访');
    }
    const merged = a.conflicts.map((c) => c.input.realMasterState).find((m) => m.id === id);
    assert.equal(merged?.reviewNote, '请补充客户签名照片', 'the push answered the reviewed document');
  });

  it('applies a push once when its answer is lost and the phone resends it', { timeout: 60_000 }, async () => {
    const [a, b] = await phones();
    const id = await newForm([a, b]);
    // A's push reaches the server, which commits it; the answer is lost until B has written
    // over the same field, then A resends the very same rows.
    let release;
    const held = new Promise((r) => { release = r; });
    a.loseNextPushAnswer = () => held;
    await a.patch(id, { workDone: 'A 的修改' });
    await recordAt(id, 2);
    await b.until(id, (f) => f.version === 2, 'A\'s edit');
    await b.patch(id, { workDone: 'B 的修改' });
    await recordAt(id, 3);
    release();

    await waitFor(() => a.pushRequests.filter((p) => p.rows.some((r) => r.newDocumentState.id === id)).length >= 2,
      'the resend of A\'s push');
    await a.inSync();
    const f = await a.until(id, (f) => f.version === 3, 'B\'s edit');
    assert.equal(f.workDone, 'B 的修改');
    // Applied once: a second application would have conflicted with B's edit and logged it.
    const rec = await record(id);
    assert.equal(rec.version, 3);
    assert.equal(rec.record.workDone, 'B 的修改');
    assert.deepEqual(rec.record.conflicts, []);
    const resends = a.pushRequests.filter((p) => p.rows.some((r) => r.newDocumentState.workDone === 'A 的修改'));
    assert.equal(resends.length, 2, 'the push was sent twice');
    assert.deepEqual(resends[0].rows, resends[1].rows, 'the resend carries the same rows');
  });

  it('keeps the edit when one phone deletes a form another phone edits, in both orders', { timeout: 90_000 }, async () => {
    for (const deleteFirst of [false, true]) {
      const [a, b] = await phones();
      const id = await newForm([a, b]);
      a.offline();
      b.offline();
      await a.remove(id);
      await b.patch(id, { workDone: '还在维修中' });
      const [first, second] = deleteFirst ? [a, b] : [b, a];
      await first.online();
      await recordAt(id, 2);
      await second.online();

      await waitFor(async () => {
        const r = await record(id);
        return r && !r.deleted && r.record.workDone === '还在维修中' ? r : false;
      }, `the edit to stand (delete first: ${deleteFirst})`);
      for (const d of [a, b]) {
        await d.until(id, (f) => f.workDone === '还在维修中', 'the edited form');
      }
      const rec = await record(id);
      assert.equal(rec.deleted, false);
      // The second to arrive learnt the outcome from its push's answer: the live document.
      const answer = second.conflicts.map((c) => c.input.realMasterState).find((m) => m.id === id);
      assert.equal(answer?._deleted, false, 'the push answered the live document');
      assert.equal(answer?.workDone, '还在维修中');
      if (!deleteFirst) {
        // The delete arrived second: it lost and is logged.
        assert.ok(rec.record.conflicts.some((c) => c.field === 'deleted' && c.clientValue === true), JSON.stringify(rec.record.conflicts));
      }
    }
  });
});
