package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

var _ fsync.MutationLog = (*MutationLog)(nil)

// MutationLog implements sync.MutationLog on the mutations table: one receipt (JSON) per
// idempotency key.
type MutationLog struct {
	store *Store
	get   *sql.Stmt // on the reader
	put   *sql.Stmt // on the writer
	err   error
}

// NewMutationLog returns the mutation log of s, with its statements prepared.
func NewMutationLog(s *Store) *MutationLog {
	l := &MutationLog{store: s}
	ctx := context.Background()
	var err error
	if l.get, err = s.reader.PrepareContext(ctx, `SELECT doc FROM mutations WHERE key = ?`); err != nil {
		l.err = fmt.Errorf("prepare mutation lookup: %w", err)
		return l
	}
	if l.put, err = s.writer.PrepareContext(ctx, `INSERT INTO mutations (key, at, doc) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`); err != nil {
		l.err = fmt.Errorf("prepare mutation insert: %w", err)
	}
	return l
}

// GetMany implements sync.MutationLog.
func (l *MutationLog) GetMany(ctx context.Context, keys []string) (map[string]fsync.Receipt, error) {
	if l.err != nil {
		return nil, l.err
	}
	out := make(map[string]fsync.Receipt, len(keys))
	for _, k := range keys {
		var doc []byte
		err := l.get.QueryRowContext(ctx, k).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load mutation receipt %s: %w", k, err)
		}
		r, err := decodeReceipt(doc)
		if err != nil {
			return nil, fmt.Errorf("decode mutation receipt %s: %w", k, err)
		}
		out[k] = r
	}
	return out, nil
}

// PutMany implements sync.MutationLog in one transaction: a key that is already stored (or
// repeated within receipts) keeps its first receipt and is no error.
func (l *MutationLog) PutMany(ctx context.Context, receipts []fsync.Receipt) error {
	if l.err != nil {
		return l.err
	}
	if len(receipts) == 0 {
		return nil
	}
	err := l.store.Write(ctx, func(tx *sql.Tx) error {
		put := tx.StmtContext(ctx, l.put)
		for _, r := range receipts {
			doc, err := encodeReceipt(r)
			if err != nil {
				return err
			}
			if _, err := put.ExecContext(ctx, r.Key, nanos(r.At), doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %d mutation receipts: %w", len(receipts), err)
	}
	return nil
}

// DeleteBefore removes the receipts stored before cutoff and returns how many. A resend of an
// older mutation is still answered from its record's receipts (sync.MaxReceipts).
func (l *MutationLog) DeleteBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := l.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM mutations WHERE at < ?`, nanos(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete mutation receipts before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	return n, nil
}
