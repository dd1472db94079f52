package sync

import (
	"context"
	"time"
)

// RecordStore keeps the synced records. Implementations: sync/mongostore.
type RecordStore interface {
	// GetMany returns the stored records among keys (missing ones are absent from the map).
	GetMany(ctx context.Context, keys []RecordKey) (map[RecordKey]*Record, error)
	// UpdateMany is the one read-modify-write path: it loads the records of keys, calls fn with
	// them (nil for a missing record) and writes what fn returns, each record with a
	// compare-and-set on the version it read. Records whose write clashed with a concurrent
	// writer are loaded again and passed to fn again (only those), up to a few times; then it
	// returns an error wrapping domain.ErrConflict. fn returns the records to write (a subset of
	// keys; unchanged records are left out) and must be deterministic given its input.
	UpdateMany(ctx context.Context, keys []RecordKey, fn func(cur map[RecordKey]*Record) (map[RecordKey]*Record, error)) error
	// Changes returns the records with q.After < Seq <= q.Through whose Audience or Revoked
	// holds one of q.Tokens, in Seq order, at most q.Limit. With q.SkipDeleted, tombstones are
	// left out.
	Changes(ctx context.Context, q ChangeQuery) ([]*Record, error)
}

// RecordKey identifies a record: collection name and client-generated id.
type RecordKey struct {
	Collection string
	ID         string
}

// ChangeQuery selects a page of changes for a pull.
type ChangeQuery struct {
	Tokens      []string
	Collection  string // only this collection; "" for all
	After       int64
	Through     int64
	Limit       int
	SkipDeleted bool
}

// Sequencer hands out the global commit sequence numbers that order pulls, and knows which of
// them may still be written (gap-free pulls). Implementations: sync/mongostore.
type Sequencer interface {
	// Reserve allocates n consecutive numbers [first, first+n) and marks them in flight until
	// release is called or lease has passed, whichever comes first. A writer must finish its
	// writes within lease.
	Reserve(ctx context.Context, n int, lease time.Duration) (first int64, release func(context.Context) error, err error)
	// Horizon returns the stable point (every number at or below it is written or abandoned),
	// the highest number allocated, and the purge point (tombstones at or below it are gone).
	Horizon(ctx context.Context) (Horizon, error)
}

// Horizon is a snapshot of the sequence: Stable <= Allocated; Purged <= Stable.
type Horizon struct {
	Stable    int64
	Allocated int64
	Purged    int64
}

// MutationLog keeps the outcome of every mutation by its idempotency key, so that a resend is
// answered without writing. Implementations: sync/mongostore.
type MutationLog interface {
	// GetMany returns the receipts stored for keys (missing ones are absent).
	GetMany(ctx context.Context, keys []string) (map[string]Receipt, error)
	// PutMany stores receipts; a key that is already stored is left as it is.
	PutMany(ctx context.Context, receipts []Receipt) error
}
