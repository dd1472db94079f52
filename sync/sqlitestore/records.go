package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

var (
	_ fsync.RecordStore    = (*Records)(nil)
	_ fsync.TombstoneStore = (*Records)(nil)
)

const (
	sqlGetRecord    = `SELECT doc FROM records WHERE collection = ? AND id = ?`
	sqlPutRecord    = `INSERT INTO records (collection, id, seq, deleted, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, updated_at = excluded.updated_at, doc = excluded.doc`
	sqlDeleteTokens = `DELETE FROM record_tokens WHERE collection = ? AND id = ?`
	sqlPutToken     = `INSERT OR IGNORE INTO record_tokens (token, seq, collection, id, revoked) VALUES (?, ?, ?, ?, ?)`
	sqlDeletePhotos = `DELETE FROM record_photos WHERE collection = ? AND id = ?`
	sqlPutPhoto     = `INSERT OR IGNORE INTO record_photos (photo, collection, id, created_at) VALUES (?, ?, ?, ?)`
)

// Records implements sync.RecordStore and sync.TombstoneStore on the records and record_tokens
// tables. A record is one row (its JSON in doc); every token of its Audience and Revoked is a row
// of record_tokens keyed (token, seq), so a pull is a range scan per token.
type Records struct {
	store *Store
	get   *sql.Stmt // on the reader
	wget  *sql.Stmt // the same on the writer, for reads inside UpdateMany's transaction
	put   *sql.Stmt
	untok *sql.Stmt
	tok   *sql.Stmt
	unph  *sql.Stmt
	ph    *sql.Stmt
	err   error // from preparing the statements, returned by every method
}

// NewRecords returns the record store of s, with its hot statements prepared.
func NewRecords(s *Store) *Records {
	r := &Records{store: s}
	ctx := context.Background()
	prep := func(db *sql.DB, q string) *sql.Stmt {
		if r.err != nil {
			return nil
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			r.err = fmt.Errorf("prepare %q: %w", q, err)
		}
		return st
	}
	r.get = prep(s.reader, sqlGetRecord)
	r.wget = prep(s.writer, sqlGetRecord)
	r.put = prep(s.writer, sqlPutRecord)
	r.untok = prep(s.writer, sqlDeleteTokens)
	r.tok = prep(s.writer, sqlPutToken)
	r.unph = prep(s.writer, sqlDeletePhotos)
	r.ph = prep(s.writer, sqlPutPhoto)
	return r
}

// GetMany implements sync.RecordStore: one primary-key lookup per key on the reader pool.
func (r *Records) GetMany(ctx context.Context, keys []fsync.RecordKey) (map[fsync.RecordKey]*fsync.Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	return getMany(ctx, r.get, keys)
}

func getMany(ctx context.Context, st *sql.Stmt, keys []fsync.RecordKey) (map[fsync.RecordKey]*fsync.Record, error) {
	out := make(map[fsync.RecordKey]*fsync.Record, len(keys))
	for _, k := range keys {
		var doc []byte
		err := st.QueryRowContext(ctx, k.Collection, k.ID).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load record %s/%s: %w", k.Collection, k.ID, err)
		}
		rec, err := decodeRecord(doc)
		if err != nil {
			return nil, fmt.Errorf("decode record %s/%s: %w", k.Collection, k.ID, err)
		}
		out[k] = rec
	}
	return out, nil
}

// UpdateMany implements sync.RecordStore. The read, fn and the writes run in one IMMEDIATE
// transaction on the single writer, so no write can clash and fn is called exactly once; an
// error from fn (returned as is) or from a write rolls everything back.
func (r *Records) UpdateMany(ctx context.Context, keys []fsync.RecordKey,
	fn func(cur map[fsync.RecordKey]*fsync.Record) (map[fsync.RecordKey]*fsync.Record, error)) error {
	if r.err != nil {
		return r.err
	}
	return r.store.Write(ctx, func(tx *sql.Tx) error {
		cur, err := getMany(ctx, tx.StmtContext(ctx, r.wget), keys)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, ok := cur[k]; !ok {
				cur[k] = nil
			}
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		st := writeStmts{put: tx.StmtContext(ctx, r.put), untok: tx.StmtContext(ctx, r.untok), tok: tx.StmtContext(ctx, r.tok),
			unph: tx.StmtContext(ctx, r.unph), ph: tx.StmtContext(ctx, r.ph)}
		for _, k := range slices.SortedFunc(maps.Keys(next), compareKeys) {
			if err := writeRecord(ctx, st, cur[k], next[k]); err != nil {
				return fmt.Errorf("write record %s/%s: %w", k.Collection, k.ID, err)
			}
		}
		return nil
	})
}

// writeStmts are the statements of one record's write, bound to the writing transaction.
type writeStmts struct{ put, untok, tok, unph, ph *sql.Stmt }

// writeRecord writes rec, which replaces old (nil for a new record): the row, its tokens (keyed
// by seq, so rewritten at every write) and, when its photos or creation time changed, its photo
// references.
func writeRecord(ctx context.Context, st writeStmts, old, rec *fsync.Record) error {
	doc, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	if _, err := st.put.ExecContext(ctx, rec.Collection, rec.ID, rec.Seq, rec.Deleted, nanos(rec.UpdatedAt), doc); err != nil {
		return err
	}
	if _, err := st.untok.ExecContext(ctx, rec.Collection, rec.ID); err != nil {
		return err
	}
	for _, t := range rec.Audience {
		if _, err := st.tok.ExecContext(ctx, t, rec.Seq, rec.Collection, rec.ID, 0); err != nil {
			return err
		}
	}
	for _, t := range rec.Revoked {
		if _, err := st.tok.ExecContext(ctx, t, rec.Seq, rec.Collection, rec.ID, 1); err != nil {
			return err
		}
	}
	if old != nil && slices.Equal(old.Photos, rec.Photos) && old.CreatedAt.Equal(rec.CreatedAt) {
		return nil
	}
	if _, err := st.unph.ExecContext(ctx, rec.Collection, rec.ID); err != nil {
		return err
	}
	for _, h := range rec.Photos {
		if _, err := st.ph.ExecContext(ctx, h, rec.Collection, rec.ID, nanos(rec.CreatedAt)); err != nil {
			return err
		}
	}
	return nil
}

func compareKeys(a, b fsync.RecordKey) int {
	if c := strings.Compare(a.Collection, b.Collection); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Changes implements sync.RecordStore: for each of q.Tokens one range scan of record_tokens on
// (token, seq) stopping after q.Limit rows, the arms merged (UNION drops a record matched by two
// tokens) in seq order and joined to records, so a page costs at most len(q.Tokens)×q.Limit
// index rows whatever the size of the range. Revoked tokens match unless
// q.SkipDeleted, as in the MongoDB adapter. The records' Receipts are left out (a pull does not
// send them).
func (r *Records) Changes(ctx context.Context, q fsync.ChangeQuery) ([]*fsync.Record, error) {
	if len(q.Tokens) == 0 || q.Limit <= 0 || q.Through <= q.After {
		return nil, nil
	}
	query, args := changesQuery(q)
	rows, err := r.store.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find changes after %d: %w", q.After, err)
	}
	defer rows.Close()
	var out []*fsync.Record
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("read changes after %d: %w", q.After, err)
		}
		rec, err := decodePulled(doc)
		if err != nil {
			return nil, fmt.Errorf("decode changes after %d: %w", q.After, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read changes after %d: %w", q.After, err)
	}
	return out, nil
}

// TombstonesBefore implements sync.TombstoneStore: the highest Seq among the tombstones last
// written before cutoff (0 when there are none).
func (r *Records) TombstonesBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	var seq sql.NullInt64
	err := r.store.reader.QueryRowContext(ctx, `SELECT max(seq) FROM records WHERE deleted = 1 AND updated_at < ?`, nanos(cutoff)).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("find tombstones before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	return seq.Int64, nil
}

// DeleteTombstones implements sync.TombstoneStore: it removes the tombstones with Seq at or
// below through last written before cutoff (their tokens go with them) and returns how many.
func (r *Records) DeleteTombstones(ctx context.Context, through int64, cutoff time.Time) (int64, error) {
	var n int64
	err := r.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM records WHERE deleted = 1 AND seq <= ? AND updated_at < ?`, through, nanos(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete tombstones through %d: %w", through, err)
	}
	return n, nil
}

// changesQuery builds the SQL of Changes and its arguments.
func changesQuery(q fsync.ChangeQuery) (string, []any) {
	var sb strings.Builder
	args := make([]any, 0, len(q.Tokens)*5+1)
	sb.WriteString(`SELECT r.doc FROM records r JOIN (`)
	for i, tok := range q.Tokens {
		if i > 0 {
			sb.WriteString(` UNION `)
		}
		sb.WriteString(`SELECT * FROM (SELECT t.seq, t.collection, t.id FROM record_tokens t WHERE t.token = ? AND t.seq > ? AND t.seq <= ?`)
		args = append(args, tok, q.After, q.Through)
		if q.Collection != "" {
			sb.WriteString(` AND t.collection = ?`)
			args = append(args, q.Collection)
		}
		if q.SkipDeleted {
			sb.WriteString(` AND t.revoked = 0 AND NOT EXISTS (SELECT 1 FROM records d WHERE d.collection = t.collection AND d.id = t.id AND d.deleted = 1)`)
		}
		sb.WriteString(` ORDER BY t.seq LIMIT ?)`)
		args = append(args, q.Limit)
	}
	sb.WriteString(` ORDER BY 1 LIMIT ?) m ON r.collection = m.collection AND r.id = m.id ORDER BY m.seq`)
	args = append(args, q.Limit)
	return sb.String(), args
}
