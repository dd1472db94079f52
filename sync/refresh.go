package sync

import (
	"context"
	"maps"
	"slices"

	"github.com/fieldsync/fieldsync/domain"
)

// Refresh derives the records of keys again under the current rules, acting as p (the server),
// and writes those whose derived state changed — a computed field, the audience — at a new
// sequence number, so that the next pull delivers them. It is for changes outside a record that
// change what the rules derive from it: a photo arrived (photosPending), a month closed (locks).
// A changed field moves the record's version; missing records and tombstones are skipped. It
// returns the number of records written.
func (e *Engine) Refresh(ctx context.Context, p domain.Principal, keys []RecordKey) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.limits.Lease*3/4)
	defer cancel()
	first, release, err := e.sequencer.Reserve(ctx, len(keys), e.limits.Lease)
	if err != nil {
		return 0, err
	}
	defer func() { _ = release(context.WithoutCancel(ctx)) }()
	seqOf := make(map[RecordKey]int64, len(keys))
	for i, k := range keys {
		seqOf[k] = first + int64(i)
	}
	now := e.now().UTC()
	written := 0
	err = e.records.UpdateMany(ctx, keys, func(cur map[RecordKey]*Record) (map[RecordKey]*Record, error) {
		next := map[RecordKey]*Record{}
		for k, rec := range cur {
			if rec == nil || rec.Deleted {
				continue
			}
			n := cloneRecord(rec)
			if err := e.rules.Derive(ctx, p, rec, n); err != nil {
				return nil, err
			}
			changed := changedFields(rec.Fields, n.Fields)
			if len(changed) == 0 && slices.Equal(rec.Audience, n.Audience) && slices.Equal(rec.Revoked, n.Revoked) &&
				slices.Equal(rec.Photos, n.Photos) {
				continue
			}
			if len(changed) > 0 {
				n.Version++
				for _, f := range changed {
					n.FieldVersions[f] = n.Version
				}
			}
			n.Seq, n.UpdatedAt = seqOf[k], now
			next[k] = n
		}
		written = len(next)
		return next, nil
	})
	return written, err
}

// changedFields lists, sorted, the fields whose value differs between a and b.
func changedFields(a, b map[string]any) []string {
	var out []string
	for _, f := range slices.Sorted(maps.Keys(b)) {
		if !EqualValues(a[f], b[f]) {
			out = append(out, f)
		}
	}
	for f := range a {
		if _, ok := b[f]; !ok && a[f] != nil {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
