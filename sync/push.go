package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// CodeKeyReused is the error code of a mutation whose idempotency key was already used for
// different content.
const CodeKeyReused = "idempotency_key_reused"

// IdempotencyKey is the stored key of a mutation: SHA-256 (hex) of user id, device id and
// mutation id, so that two users or two devices can never collide.
func IdempotencyKey(userID, deviceID, mutationID string) string {
	h := sha256.New()
	for _, s := range []string{userID, deviceID, mutationID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MutationHash is the SHA-256 (hex) of a mutation's content in canonical JSON: collection, id,
// op, base version, fields and client time. A resend hashes the same; reusing a mutation id for
// other content does not.
func MutationHash(m Mutation) string {
	var b strings.Builder
	canonical(&b, map[string]any{
		"collection": m.Collection, "id": m.ID, "op": string(m.Op),
		"baseVersion": strconv.FormatInt(m.BaseVersion, 10), "fields": m.Fields,
		"clientTime": m.ClientTime.UTC().Format(time.RFC3339Nano),
	})
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// pushItem is one mutation of a batch on its way through Push.
type pushItem struct {
	m       Mutation
	key     string // idempotency key; "" when the mutation id itself is invalid
	hash    string
	rec     RecordKey
	result  Result
	done    bool      // result is final
	logged  bool      // result came from the mutation log: do not store it again
	dupOf   int       // index of an earlier mutation of the batch with the same key, or -1
	changed bool      // written to its record, receipt included
	evicted []Receipt // older receipts its record's write dropped (MaxReceipts): to the log
}

// Push applies a batch of mutations from p's device, in order, each exactly once, and returns
// one Result per mutation in the same order. A resend of a mutation (same user, device and
// mutation id, same content) returns the stored result and writes nothing; the same key with
// different content is rejected (CodeKeyReused). One bad mutation never affects the others.
// Errors: a *domain.Error with code too_large for a batch above Limits.MaxBatch (nothing
// applied); store errors (unavailable) abort the batch, and a resend of it is safe.
func (e *Engine) Push(ctx context.Context, p domain.Principal, address string, muts []Mutation) ([]Result, error) {
	if len(muts) > e.limits.MaxBatch {
		return nil, domain.Errorf(domain.CodeTooLarge, "a push holds at most %d mutations, this one %d", e.limits.MaxBatch, len(muts))
	}
	items := e.prepare(p, muts)
	if err := e.answerFromLog(ctx, items); err != nil {
		return nil, err
	}
	finals, err := e.applyPending(ctx, p, items)
	if err != nil {
		return nil, err
	}
	if err := e.storeReceipts(ctx, p, items); err != nil {
		return nil, err
	}
	results := make([]Result, len(items))
	var writes []domain.AuditEntry
	now := e.now().UTC()
	for i, it := range items {
		if it.dupOf >= 0 {
			it.result = items[it.dupOf].result
			if items[it.dupOf].hash != it.hash {
				it.result = keyReused(it.m.MutationID)
			}
		}
		r := it.result
		if rec := finals[it.rec]; rec != nil && (r.Status == StatusMerged || r.Status == StatusConflict) {
			r.Record = WireRecord(e.rules.View(p, rec), rec)
		}
		results[i] = r
		if it.changed {
			writes = append(writes, auditEntry(p, address, now, it, r))
		}
	}
	if e.audit != nil && len(writes) > 0 {
		if err := e.audit.Record(ctx, writes...); err != nil {
			return nil, fmt.Errorf("audit %d writes: %w", len(writes), err)
		}
	}
	return results, nil
}

// auditEntry describes one record write for the audit log: field names only, never values.
func auditEntry(p domain.Principal, address string, at time.Time, it *pushItem, r Result) domain.AuditEntry {
	fields := slices.Sorted(maps.Keys(it.m.Fields))
	action := domain.ActionDelete
	if it.m.Op == OpUpsert {
		action = domain.WriteAction(p.Role, it.m.Collection, r.Version > 1, fields)
	}
	e := domain.AuditBy(p, address, at, domain.AuditAction(action))
	e.Collection, e.RecordID = it.m.Collection, it.m.ID
	e.Detail = fmt.Sprintf("%s v%d %s", r.Status, r.Version, strings.Join(fields, ","))
	return e
}

// prepare checks each mutation's shape and computes its keys; in-batch resends point at their
// first occurrence.
func (e *Engine) prepare(p domain.Principal, muts []Mutation) []*pushItem {
	items := make([]*pushItem, len(muts))
	first := map[string]int{}
	for i, m := range muts {
		it := &pushItem{m: m, dupOf: -1, rec: RecordKey{Collection: m.Collection, ID: m.ID}}
		items[i] = it
		if checkID(m.MutationID) == "" {
			it.key = IdempotencyKey(p.UserID, p.DeviceID, m.MutationID)
			it.hash = MutationHash(m)
			if j, ok := first[it.key]; ok {
				it.dupOf, it.done = j, true
				continue
			}
			first[it.key] = i
		}
		if err := m.Validate(); err != nil {
			it.result, it.done = rejected(m.MutationID, err), true
		} else if !e.rules.Syncs(m.Collection) {
			it.result, it.done = rejected(m.MutationID, domain.Invalid("unknown collection",
				map[string]string{"collection": fmt.Sprintf("%q does not sync", m.Collection)})), true
		}
	}
	return items
}

// answerFromLog answers the mutations whose key is already in the mutation log.
func (e *Engine) answerFromLog(ctx context.Context, items []*pushItem) error {
	var keys []string
	for _, it := range items {
		if it.key != "" && it.dupOf < 0 {
			keys = append(keys, it.key)
		}
	}
	stored, err := e.log.GetMany(ctx, keys)
	if err != nil {
		return err
	}
	for _, it := range items {
		if r, ok := stored[it.key]; ok && it.dupOf < 0 {
			it.result, it.done, it.logged = fromReceipt(r, it), true, true
		}
	}
	return nil
}

func fromReceipt(r Receipt, it *pushItem) Result {
	if r.ContentHash != it.hash {
		return keyReused(it.m.MutationID)
	}
	return r.Result
}

func keyReused(mutationID string) Result {
	return Result{MutationID: mutationID, Status: StatusRejected, Error: &ResultError{Code: CodeKeyReused,
		Message: "this mutation id was already used for a different change; use a new mutation id",
		Fields:  map[string]string{"mutationId": "already used for different content"}}}
}

// rejected is the Result of an invalid mutation.
func rejected(mutationID string, err error) Result {
	return Result{MutationID: mutationID, Status: StatusRejected, Error: &ResultError{
		Code: string(domain.ErrorCode(err)), Message: domain.ErrorMessage(err), Fields: domain.ErrorFields(err)}}
}

// applyPending merges and writes the mutations not answered yet, each record once, through the
// store's one read-modify-write path, holding sequence numbers in flight meanwhile. It returns
// the final state of every record it wrote or read.
func (e *Engine) applyPending(ctx context.Context, p domain.Principal, items []*pushItem) (map[RecordKey]*Record, error) {
	byRecord := map[RecordKey][]*pushItem{}
	var order []RecordKey
	for _, it := range items {
		if it.done {
			continue
		}
		if _, ok := byRecord[it.rec]; !ok {
			order = append(order, it.rec)
		}
		byRecord[it.rec] = append(byRecord[it.rec], it)
	}
	finals := map[RecordKey]*Record{}
	if len(order) == 0 {
		return finals, nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.limits.Lease*3/4)
	defer cancel()
	first, release, err := e.sequencer.Reserve(ctx, len(order), e.limits.Lease)
	if err != nil {
		return nil, err
	}
	defer func() { _ = release(context.WithoutCancel(ctx)) }()
	seqOf := make(map[RecordKey]int64, len(order))
	for i, k := range order {
		seqOf[k] = first + int64(i)
	}
	now := e.now().UTC()
	err = e.records.UpdateMany(ctx, order, func(cur map[RecordKey]*Record) (map[RecordKey]*Record, error) {
		next := map[RecordKey]*Record{}
		for k, rec := range cur {
			state, changed := rec, false
			for _, it := range byRecord[k] {
				var c bool
				var err error
				it.result, state, c, err = e.apply(ctx, p, it, state, now)
				if err != nil {
					return nil, err
				}
				it.changed = c
				changed = changed || c
			}
			finals[k] = state
			if changed {
				state.Seq = seqOf[k]
				next[k] = state
			}
		}
		return next, nil
	})
	if err != nil {
		return nil, err
	}
	return finals, nil
}

// apply decides one mutation against cur (nil: no such record) and returns its result, the
// record after it, and whether the record changed. It never modifies cur. An error is not the
// mutation's fault (a store the rules read from is down): it aborts the batch, unstored, so
// that a resend is decided again.
func (e *Engine) apply(ctx context.Context, p domain.Principal, it *pushItem, cur *Record, now time.Time) (Result, *Record, bool, error) {
	m := it.m
	it.evicted = nil
	if cur != nil {
		for _, r := range cur.Receipts {
			if r.Key == it.key {
				// Applied before a crash or a lost response: answer as then.
				return fromReceipt(r, it), cur, false, nil
			}
		}
	}
	if cur == nil && m.Op == OpDelete {
		// Nothing to delete: applied, and no tombstone, so that nobody can claim an id another
		// user's device will create (or learn whether it exists) by deleting it first.
		return Result{MutationID: m.MutationID, Status: StatusApplied}, nil, false, nil
	}
	if err := e.rules.CheckWrite(p, m, cur); err != nil {
		return rejected(m.MutationID, err), cur, false, nil
	}
	var st *State
	locked := false
	if cur != nil {
		st, locked = &cur.State, e.rules.Locked(cur)
	}
	m.Writer = p.UserID + "/" + p.DeviceID
	d := Merge(st, m, locked)
	if d.Status == StatusRejected {
		return rejected(m.MutationID, d.Err), cur, false, nil
	}
	if d.Next == nil && len(d.Conflicts) == 0 {
		return Result{MutationID: m.MutationID, Status: d.Status, Version: cur.Version}, cur, false, nil
	}
	next := cloneRecord(cur)
	if next == nil {
		next = &Record{Collection: m.Collection, ID: m.ID, Owner: p.UserID, Team: p.TeamID, CreatedAt: now}
	}
	if d.Next != nil {
		next.State = *d.Next
	} else {
		// Only the conflict log changes; it is part of the record a client pulls, so the
		// version moves too: a client that keeps the record by version sees the new entry.
		next.Version++
	}
	for _, c := range d.Conflicts {
		next.Conflicts = append(next.Conflicts, ConflictEntry{MutationID: m.MutationID, UserID: p.UserID, DeviceID: p.DeviceID,
			Field: c.Field, ServerValue: c.ServerValue, ClientValue: c.ClientValue, BaseVersion: m.BaseVersion,
			ServerVersion: next.Version, At: now, ClientTime: m.ClientTime})
	}
	if over := len(next.Conflicts) - MaxConflictLog; over > 0 {
		next.Conflicts = slices.Clone(next.Conflicts[over:])
	}
	if err := e.rules.Derive(ctx, p, cur, next); err != nil {
		if code := domain.ErrorCode(err); code == domain.CodeUnavailable || code == domain.CodeInternal {
			return Result{}, cur, false, err
		}
		return rejected(m.MutationID, err), cur, false, nil
	}
	next.UpdatedAt = now
	res := Result{MutationID: m.MutationID, Status: d.Status, Version: next.Version, Conflicts: d.Conflicts}
	next.Receipts = append(next.Receipts, Receipt{Key: it.key, ContentHash: it.hash, Result: res, At: now})
	if over := len(next.Receipts) - MaxReceipts; over > 0 {
		it.evicted = slices.Clone(next.Receipts[:over])
		next.Receipts = slices.Clone(next.Receipts[over:])
	}
	return res, next, true, nil
}

// cloneRecord copies r deeply enough that writing the copy's state, logs and lists never
// changes r. Field values are shared (immutable by convention).
func cloneRecord(r *Record) *Record {
	if r == nil {
		return nil
	}
	c := *r
	c.State = *r.State.Clone()
	c.Audience = slices.Clone(r.Audience)
	c.Revoked = slices.Clone(r.Revoked)
	c.Conflicts = slices.Clone(r.Conflicts)
	c.Receipts = slices.Clone(r.Receipts)
	return &c
}

// storeReceipts writes to the mutation log the results of this batch that no record holds:
// rejected and unchanged mutations (so that a resend, or a reused key, is recognised), and the
// older receipts that this batch's writes dropped from their records. A mutation written to its
// record keeps its receipt there, in the same single-document write (apply), which is what
// answers its resend; logging it too would double the writes of a push.
func (e *Engine) storeReceipts(ctx context.Context, p domain.Principal, items []*pushItem) error {
	var receipts []Receipt
	now := e.now().UTC()
	for _, it := range items {
		receipts = append(receipts, it.evicted...)
		if it.key == "" || it.logged || it.dupOf >= 0 || it.changed {
			continue
		}
		receipts = append(receipts, Receipt{Key: it.key, ContentHash: it.hash, Result: it.result, At: now,
			UserID: p.UserID, DeviceID: p.DeviceID})
	}
	return e.log.PutMany(ctx, receipts)
}
