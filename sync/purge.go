package sync

import (
	"context"
	"time"
)

// TombstoneStore is what the tombstone purge needs from the record store (sync/mongostore).
type TombstoneStore interface {
	// TombstonesBefore returns the highest Seq of the tombstones last written before cutoff (0: none).
	TombstonesBefore(ctx context.Context, cutoff time.Time) (int64, error)
	// DeleteTombstones removes the tombstones with Seq <= through last written before cutoff.
	DeleteTombstones(ctx context.Context, through int64, cutoff time.Time) (int64, error)
}

// PurgeMarker raises the purge point of the sequence (sync/mongostore.Sequencer).
type PurgeMarker interface {
	MarkPurged(ctx context.Context, seq int64) error
}

// PurgeTombstones deletes the tombstones older than retention (now − retention) and returns how
// many. It first raises the purge point to the newest of them, so that a pull whose cursor is
// older answers resync_required instead of silently missing a delete. Safe to run on several
// instances at once: both steps are idempotent.
func PurgeTombstones(ctx context.Context, store TombstoneStore, marker PurgeMarker, now time.Time, retention time.Duration) (int64, error) {
	cutoff := now.Add(-retention)
	through, err := store.TombstonesBefore(ctx, cutoff)
	if err != nil || through == 0 {
		return 0, err
	}
	if err := marker.MarkPurged(ctx, through); err != nil {
		return 0, err
	}
	return store.DeleteTombstones(ctx, through, cutoff)
}
