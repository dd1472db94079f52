package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/fieldsync/fieldsync/sync/blobs"
)

// NewUploadLocks returns the locks of s (table upload_locks), shared by every process on the
// database file, with the default TTL and tick (blobs.UploadLocks). Every operation is one write
// transaction on the single writer.
func NewUploadLocks(s *Store) *blobs.UploadLocks { return blobs.NewUploadLocks(lockTable{s}) }

// lockTable is the blobs.LockTable of table upload_locks: (id, holder, exp in Unix nanoseconds,
// release 0 or 1).
type lockTable struct{ store *Store }

var _ blobs.LockTable = lockTable{}

func (t lockTable) Acquire(ctx context.Context, id, holder string, exp, now time.Time) (bool, error) {
	var n int64
	err := t.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO upload_locks (id, holder, exp, release) VALUES (?, ?, ?, 0)
			ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, exp = excluded.exp, release = 0
			WHERE upload_locks.exp < ?`, id, holder, exp.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, translate(err, "lock upload %s", id)
	}
	return n == 1, nil
}

func (t lockTable) RequestRelease(ctx context.Context, id, holder string) error {
	err := t.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE upload_locks SET release = 1 WHERE id = ? AND holder != ?`, id, holder)
		return err
	})
	return translate(err, "ask for the lock of upload %s", id)
}

func (t lockTable) Renew(ctx context.Context, id, holder string, exp time.Time) (bool, error) {
	var release int64
	err := t.store.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE upload_locks SET exp = ? WHERE id = ? AND holder = ? RETURNING release`,
			exp.UnixNano(), id, holder).Scan(&release)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, blobs.ErrLockNotHeld
	}
	if err != nil {
		return false, translate(err, "renew the lock of upload %s", id)
	}
	return release != 0, nil
}

func (t lockTable) Delete(ctx context.Context, id, holder string) error {
	err := t.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM upload_locks WHERE id = ? AND holder = ?`, id, holder)
		return err
	})
	return translate(err, "unlock upload %s", id)
}
