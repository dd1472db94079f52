package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	fsync "github.com/fieldsync/fieldsync/sync"
)

var (
	_ fsync.Sequencer   = (*Sequencer)(nil)
	_ fsync.PurgeMarker = (*Sequencer)(nil)
)

// Sequencer implements sync.Sequencer and sync.PurgeMarker on the sequence row and the
// sequence_inflight table. Reserve moves n forward and records the reservation with its lease
// expiry in the same transaction, so a reader never sees a number allocated without also
// seeing it in flight. Horizon's Stable is one below the smallest unexpired reservation (n when
// none is in flight).
type Sequencer struct {
	store *Store
	now   func() time.Time
}

// NewSequencer returns the sequencer of s; now is the clock (time.Now in production).
func NewSequencer(s *Store, now func() time.Time) *Sequencer {
	return &Sequencer{store: s, now: now}
}

// Reserve implements sync.Sequencer; in the same transaction it deletes the reservations whose
// lease has passed. n <= 0 is an error wrapping domain.ErrInvalid.
func (q *Sequencer) Reserve(ctx context.Context, n int, lease time.Duration) (int64, func(context.Context) error, error) {
	if n <= 0 {
		return 0, nil, fmt.Errorf("reserve %d sequence numbers: %w", n, domain.ErrInvalid)
	}
	var first int64
	err := q.store.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sequence_inflight WHERE expires_at <= ?`, q.now().UnixNano()); err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRowContext(ctx, `UPDATE sequence SET n = n + ? WHERE id = 1 RETURNING n`, n).Scan(&last); err != nil {
			return err
		}
		first = last - int64(n) + 1
		_, err := tx.ExecContext(ctx, `INSERT INTO sequence_inflight (first, expires_at) VALUES (?, ?)`, first, q.now().Add(lease).UnixNano())
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("reserve sequence numbers: %w", err)
	}
	release := func(ctx context.Context) error {
		err := q.store.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM sequence_inflight WHERE first = ?`, first)
			return err
		})
		if err != nil {
			return fmt.Errorf("release sequence numbers from %d: %w", first, err)
		}
		return nil
	}
	return first, release, nil
}

// Horizon implements sync.Sequencer: one read on the reader pool (a pull never waits for the
// writer). Reservations whose lease has passed count as abandoned; Reserve deletes them.
func (q *Sequencer) Horizon(ctx context.Context) (fsync.Horizon, error) {
	var h fsync.Horizon
	var oldest sql.NullInt64
	err := q.store.reader.QueryRowContext(ctx, `SELECT s.n, s.purged,
		(SELECT min(first) FROM sequence_inflight WHERE expires_at > ?) FROM sequence s WHERE s.id = 1`,
		q.now().UnixNano()).Scan(&h.Allocated, &h.Purged, &oldest)
	if err != nil {
		return fsync.Horizon{}, fmt.Errorf("read sequence horizon: %w", err)
	}
	h.Stable = h.Allocated
	if oldest.Valid {
		h.Stable = min(h.Stable, oldest.Int64-1)
	}
	h.Purged = min(h.Purged, h.Stable)
	return h, nil
}

// MarkPurged implements sync.PurgeMarker: it raises the purge point to seq (never lowers it).
func (q *Sequencer) MarkPurged(ctx context.Context, seq int64) error {
	err := q.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sequence SET purged = max(purged, ?) WHERE id = 1`, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark purged through %d: %w", seq, err)
	}
	return nil
}
