// Package sync is the engine that keeps the phones and the server in step: push, pull, merge,
// cursors and scope. Storage and HTTP live elsewhere (adapters in sub-packages named after their
// technology, handlers in server/); this file documents the pure core: mutations (mutation.go),
// the field-level three-way merge (merge.go) and field safety and value equality (fields.go).
// The package name shadows the standard library's sync: import that one as stdsync.
//
// # Protocol
//
// A device works offline and queues mutations. When it has signal it pushes them:
//
//	{"mutationId": "<uuid>", "collection": "service_forms", "id": "<uuid>",
//	 "op": "upsert"|"delete", "baseVersion": 0, "fields": {...}, "clientTime": "<RFC3339>"}
//
// baseVersion is the record version the device last pulled (0: never seen); fields holds only
// the fields the device changed since then, each with its whole new value (a list of parts is one
// field). The server answers each mutation with a Status:
//
//   - applied: written as sent, at a new version (or already true: nothing written).
//   - merged: the record had moved on since baseVersion, but not in the fields this mutation
//     changed, so both sets of changes were kept.
//   - conflict: some change lost, because the same field also changed on the server since
//     baseVersion, or the record is locked (an approved service form, a closed month), or it is
//     a delete racing an update. The server's value stands; the losing {field, serverValue,
//     clientValue} are returned and kept in the record's conflict log, so that no edit is ever
//     silently dropped. The mutation's other fields are still applied.
//   - rejected: invalid (bad ids, unsafe field names, a baseVersion the server never had);
//     nothing is written.
//
// # Why the decision needs no history
//
// For each record the server keeps, next to each field, the version at which that field last
// changed (State.FieldVersions). A mutation's field conflicts exactly when that field changed
// after the mutation's baseVersion AND the server's value differs from the client's: two devices
// that made the same edit agree, whatever their versions. Equality is JSON equality
// (EqualValues), so 1, 1.0 and json.Number("1") are one value and key order never matters.
//
// # Decisions (Merge documents the full rules)
//
//   - Resolution is per field, not per record: a mutation that conflicts on one field still
//     applies its other fields. Arrival order decides a same-field race (the first write to
//     reach the server stands, the second is logged); device clocks (clientTime) never do.
//   - baseVersion 0 on an existing id is a conflict check against version 0, never a blind
//     overwrite. A baseVersion above the server's version is rejected: the client is confused
//     (restored from an old backup of another server, or lying), and guessing would lose data.
//   - An update beats a concurrent delete in both arrival orders: a delete that arrives second
//     is a conflict and the record stays; an update that arrives second restores the record
//     (tombstones keep their fields for this) and is reported merged. A delete of a missing
//     record writes a tombstone, so deletes are idempotent.
//   - Locked records (the caller decides: approved forms, closed months) are never written by a
//     mutation; every change it would make comes back as a conflict.
//   - A mutation that changes nothing (a resend, an edit made on two devices) is applied without
//     a new version, so resends do not churn everybody's pulls.
//   - Resends are recognised by mutationId before Merge (the push layer's receipts). Merge makes
//     a lone resend harmless (it changes nothing), but not a resent create that arrives after
//     the record's delete: that looks like an update racing the delete and restores the record.
//   - A device that queues two edits of one record from the same baseVersion must coalesce them
//     or send the second with the version the first returned: otherwise the second conflicts
//     with the first on every field both changed (the server cannot tell who made a change).
//   - Field names are checked at every depth: no leading '$', no '.', no NUL, not empty, at
//     most MaxFieldNameLen bytes (MongoDB operator and path injection hide in nested objects
//     too); top-level names the server owns (ReservedFields) and names starting with '_' are
//     refused. Values must be JSON values, nested at most MaxDepth deep.
//   - Everything here is deterministic: sorted outputs, no map order, no clock, no randomness.
//     Merge never modifies its inputs and is tested with each race in both arrival orders and
//     fuzzed for its invariants.
package sync
