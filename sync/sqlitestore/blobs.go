package sqlitestore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/sync/blobs"
)

// Blobs implements blobs.Meta: the metadata of the stored photos (table blobs), keyed by SHA-256.
type Blobs struct{ store *Store }

// NewBlobs returns the photo metadata of s.
func NewBlobs(s *Store) *Blobs { return &Blobs{store: s} }

var _ blobs.Meta = (*Blobs)(nil)

const blobColumns = `hash, size, content_type, uploader, team, created_at, gps_lat, gps_lon,
	referenced, last_referenced_at, idle_since`

type rowScanner interface{ Scan(dest ...any) error }

func scanBlob(r rowScanner) (blobs.Blob, error) {
	var b blobs.Blob
	var created, lastRef, idle, referenced int64
	var lat, lon sql.NullFloat64
	if err := r.Scan(&b.Hash, &b.Size, &b.ContentType, &b.Uploader, &b.Team, &created, &lat, &lon,
		&referenced, &lastRef, &idle); err != nil {
		return blobs.Blob{}, err
	}
	b.CreatedAt, b.LastReferencedAt, b.IdleSince = fromNanos(created), fromNanos(lastRef), fromNanos(idle)
	b.Referenced = referenced != 0
	if lat.Valid && lon.Valid {
		b.GPS = &blobs.GPS{Lat: lat.Float64, Lon: lon.Float64}
	}
	return b, nil
}

// Get implements blobs.Meta. Errors: domain.ErrNotFound; unavailable.
func (b *Blobs) Get(ctx context.Context, h string) (blobs.Blob, error) {
	blob, err := scanBlob(b.store.reader.QueryRowContext(ctx, `SELECT `+blobColumns+` FROM blobs WHERE hash = ?`, h))
	if err != nil {
		return blobs.Blob{}, translate(err, "load photo %s", h)
	}
	return blob, nil
}

// existingChunk bounds the parameters of one Existing query.
const existingChunk = 500

// Existing implements blobs.Meta by primary key, in chunks.
func (b *Blobs) Existing(ctx context.Context, hashes []string) ([]string, error) {
	var out []string
	for len(hashes) > 0 {
		part := hashes[:min(len(hashes), existingChunk)]
		hashes = hashes[len(part):]
		args := make([]any, len(part))
		for i, h := range part {
			args[i] = h
		}
		q := `SELECT hash FROM blobs WHERE hash IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := b.store.reader.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, translate(err, "find %d photos", len(part))
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				_ = rows.Close()
				return nil, translate(err, "find %d photos", len(part))
			}
			out = append(out, h)
		}
		err = rows.Err()
		_ = rows.Close()
		if err != nil {
			return nil, translate(err, "find %d photos", len(part))
		}
	}
	return out, nil
}

// Insert implements blobs.Meta: insert-if-absent on the hash.
func (b *Blobs) Insert(ctx context.Context, blob blobs.Blob) (bool, error) {
	var lat, lon sql.NullFloat64
	if blob.GPS != nil {
		lat = sql.NullFloat64{Float64: blob.GPS.Lat, Valid: true}
		lon = sql.NullFloat64{Float64: blob.GPS.Lon, Valid: true}
	}
	var n int64
	err := b.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO blobs (`+blobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (hash) DO NOTHING`, blob.Hash, blob.Size, blob.ContentType, blob.Uploader, blob.Team,
			nanos(blob.CreatedAt), lat, lon, boolInt(blob.Referenced), nanos(blob.LastReferencedAt), nanos(blob.IdleSince))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, translate(err, "store photo %s", blob.Hash)
	}
	return n == 1, nil
}

// MarkReferenced implements blobs.Meta. A missing photo is no error.
func (b *Blobs) MarkReferenced(ctx context.Context, h string, at time.Time) error {
	err := b.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET referenced = 1, last_referenced_at = ?, idle_since = ?
			WHERE hash = ?`, nanos(at), nanos(at), h)
		return err
	})
	return translate(err, "mark photo %s referenced", h)
}

// IdleBefore implements blobs.Meta with the idle_since index.
func (b *Blobs) IdleBefore(ctx context.Context, cutoff time.Time, limit int) ([]blobs.Blob, error) {
	rows, err := b.store.reader.QueryContext(ctx, `SELECT `+blobColumns+` FROM blobs WHERE idle_since < ?
		ORDER BY idle_since, hash LIMIT ?`, nanos(cutoff), limit)
	if err != nil {
		return nil, translate(err, "find photos idle since %s", cutoff.Format(time.RFC3339))
	}
	defer rows.Close()
	var out []blobs.Blob
	for rows.Next() {
		blob, err := scanBlob(rows)
		if err != nil {
			return nil, translate(err, "decode idle photos")
		}
		out = append(out, blob)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "decode idle photos")
	}
	return out, nil
}

// Delete implements blobs.Meta; a missing photo is no error.
func (b *Blobs) Delete(ctx context.Context, h string) error {
	err := b.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE hash = ?`, h)
		return err
	})
	return translate(err, "delete photo %s", h)
}
