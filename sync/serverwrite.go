package sync

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// ServerWrite is a record the server itself writes: a computed record (an assessment, a
// reimbursement) or a record a rule creates (R1's missed-weekly-report incident). Fields is the
// record's whole field set; Owner and Team say whose record it is (the audience follows from
// them, as for any record). With IfAbsent, an existing record is left as it is (so a leader's
// later edit, e.g. a waiver, is never overwritten by a rerun).
type ServerWrite struct {
	Collection string
	ID         string
	Owner      string
	Team       string
	Fields     map[string]any
	IfAbsent   bool
}

// WriteAsServer writes records on behalf of the server (p is the server's principal, for the
// audit trail and the rules), outside the clients' write grants: computed collections are
// read-only to every client, and only this path writes them. A record whose fields are
// unchanged is not written (reruns are cheap and churn no pulls); a changed one moves to a new
// version and sequence number, so the next pull delivers it. Deletes go through Push. It returns
// the number of records written.
func (e *Engine) WriteAsServer(ctx context.Context, p domain.Principal, writes []ServerWrite) (int, error) {
	if len(writes) == 0 {
		return 0, nil
	}
	byKey := make(map[RecordKey]ServerWrite, len(writes))
	var keys []RecordKey
	for _, w := range writes {
		k := RecordKey{Collection: w.Collection, ID: w.ID}
		if _, dup := byKey[k]; !dup {
			keys = append(keys, k)
		}
		byKey[k] = w
	}
	ctx, cancel := context.WithTimeout(ctx, e.limits.Lease*3/4)
	defer cancel()
	first, release, err := e.sequencer.Reserve(ctx, len(keys), e.limits.Lease)
	if err != nil {
		return 0, err
	}
	defer func() { _ = release(context.WithoutCancel(ctx)) }()
	now := e.now().UTC()
	written := 0
	err = e.records.UpdateMany(ctx, keys, func(cur map[RecordKey]*Record) (map[RecordKey]*Record, error) {
		next := map[RecordKey]*Record{}
		for i, k := range keys {
			rec, pending := cur[k]
			if !pending {
				continue // written in an earlier round; only clashed records come again
			}
			w := byKey[k]
			if rec != nil && w.IfAbsent {
				continue
			}
			n, err := e.serverState(ctx, p, rec, w, now)
			if err != nil {
				return nil, err
			}
			if n == nil {
				continue
			}
			n.Seq, n.UpdatedAt = first+int64(i), now
			next[k] = n
		}
		written += len(next)
		return next, nil
	})
	return written, err
}

// serverState is rec after the server writes w at now (rec nil: a new record), derived under the
// rules, or nil when w changes nothing (same owner, team and fields).
func (e *Engine) serverState(ctx context.Context, p domain.Principal, rec *Record, w ServerWrite, now time.Time) (*Record, error) {
	if rec != nil && !rec.Deleted && rec.Owner == w.Owner && rec.Team == w.Team &&
		len(changedFields(rec.Fields, w.Fields)) == 0 && len(rec.Fields) == len(w.Fields) {
		return nil, nil
	}
	n := cloneRecord(rec)
	if n == nil {
		n = &Record{Collection: w.Collection, ID: w.ID, CreatedAt: now,
			State: State{Fields: map[string]any{}, FieldVersions: map[string]int64{}}}
	}
	if n.FieldVersions == nil {
		n.FieldVersions = map[string]int64{}
	}
	changed := changedFields(n.Fields, w.Fields)
	n.Owner, n.Team, n.Deleted, n.DeletedVersion = w.Owner, w.Team, false, 0
	n.Version++
	n.Fields = maps.Clone(w.Fields)
	for _, f := range changed {
		n.FieldVersions[f] = n.Version
	}
	for f := range n.FieldVersions {
		if _, ok := n.Fields[f]; !ok && !slices.Contains(changed, f) {
			delete(n.FieldVersions, f)
		}
	}
	if err := e.rules.Derive(ctx, p, rec, n); err != nil {
		return nil, err
	}
	return n, nil
}
