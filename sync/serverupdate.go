package sync

import (
	"context"

	"github.com/fieldsync/fieldsync/domain"
)

// UpdateAsServer is WriteAsServer for one record whose new fields depend on its current ones
// under a condition of the caller's (a petty-cash ledger refusing a payout beyond its balance,
// R15): decide is called with the stored record (nil when there is none) inside the record
// store's compare-and-set (RecordStore.UpdateMany), and again with the fresh record whenever
// another writer changed it meanwhile, so that its decision always holds for the version that
// is written. decide returns the write (its Collection and ID must be key's) or nil to write
// nothing; an error from decide aborts and is returned as is. It reports whether a new version
// was written (false when decide returned nil or fields equal to the stored ones). Errors:
// decide's; conflict when the record kept changing under it; the store's.
func (e *Engine) UpdateAsServer(ctx context.Context, p domain.Principal, key RecordKey,
	decide func(cur *Record) (*ServerWrite, error)) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, e.limits.Lease*3/4)
	defer cancel()
	seq, release, err := e.sequencer.Reserve(ctx, 1, e.limits.Lease)
	if err != nil {
		return false, err
	}
	defer func() { _ = release(context.WithoutCancel(ctx)) }()
	now := e.now().UTC()
	written := false
	err = e.records.UpdateMany(ctx, []RecordKey{key}, func(cur map[RecordKey]*Record) (map[RecordKey]*Record, error) {
		written = false
		rec := cur[key]
		var view *Record
		if rec != nil && !rec.Deleted {
			view = cloneRecord(rec)
		}
		w, err := decide(view)
		if err != nil || w == nil {
			return nil, err
		}
		if w.Collection != key.Collection || w.ID != key.ID {
			return nil, domain.Errorf(domain.CodeInternal, "UpdateAsServer of %s/%s wrote %s/%s", key.Collection, key.ID, w.Collection, w.ID)
		}
		n, err := e.serverState(ctx, p, rec, *w, now)
		if err != nil || n == nil {
			return nil, err
		}
		n.Seq, n.UpdatedAt = seq, now
		written = true
		return map[RecordKey]*Record{key: n}, nil
	})
	return written, err
}
