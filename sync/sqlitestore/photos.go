package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/schema"
)

var (
	_ blobs.Records       = (*Records)(nil)
	_ schema.PhotoClaims  = (*Records)(nil)
	_ schema.RecordReader = (*Records)(nil)
)

// ---- Photo queries (sync/blobs.Records; docs/photos.md), on record_photos (0003_photo_refs.sql) ----
// The semantics are those of the MongoDB adapter (sync/mongostore/records.go, "Photo queries").

// PhotoVisible reports whether a live record whose audience holds one of tokens refers to the
// photo h: who may read a photo.
func (r *Records) PhotoVisible(ctx context.Context, h string, tokens []string) (bool, error) {
	if len(tokens) == 0 {
		return false, nil
	}
	args := []any{h}
	for _, t := range tokens {
		args = append(args, t)
	}
	var ok bool
	if err := r.store.reader.QueryRowContext(ctx, photoVisibleQuery(len(tokens)), args...).Scan(&ok); err != nil {
		return false, fmt.Errorf("find a visible record of photo %s: %w", h, err)
	}
	return ok, nil
}

// Referring returns up to limit records, tombstones included, that refer to the photo h.
func (r *Records) Referring(ctx context.Context, h string, limit int) ([]fsync.RecordKey, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := r.store.reader.QueryContext(ctx, sqlReferring, h, limit)
	if err != nil {
		return nil, fmt.Errorf("find the records of photo %s: %w", h, err)
	}
	defer rows.Close()
	var out []fsync.RecordKey
	for rows.Next() {
		var k fsync.RecordKey
		if err := rows.Scan(&k.Collection, &k.ID); err != nil {
			return nil, fmt.Errorf("read the records of photo %s: %w", h, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the records of photo %s: %w", h, err)
	}
	return out, nil
}

// Claims returns up to limit live records of collections that refer to the photo h, earliest
// created first (ties by collection, then id).
func (r *Records) Claims(ctx context.Context, h string, collections []string, limit int) ([]fsync.PhotoClaim, error) {
	if len(collections) == 0 || limit <= 0 {
		return nil, nil
	}
	args := []any{h}
	for _, c := range collections {
		args = append(args, c)
	}
	args = append(args, limit)
	rows, err := r.store.reader.QueryContext(ctx, claimsQuery(len(collections)), args...)
	if err != nil {
		return nil, fmt.Errorf("find the claims of photo %s: %w", h, err)
	}
	defer rows.Close()
	var out []fsync.PhotoClaim
	for rows.Next() {
		var c fsync.PhotoClaim
		var at int64
		if err := rows.Scan(&c.Key.Collection, &c.Key.ID, &at); err != nil {
			return nil, fmt.Errorf("read the claims of photo %s: %w", h, err)
		}
		if at != 0 {
			c.CreatedAt = time.Unix(0, at).UTC()
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the claims of photo %s: %w", h, err)
	}
	return out, nil
}

// PendingPhotos returns up to limit live records whose computed photosPending is not empty. It
// scans the live records (no index on the JSON field), which is fine for the janitor's pass.
func (r *Records) PendingPhotos(ctx context.Context, limit int) ([]blobs.PendingRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	path := `$.Fields."` + fsync.FieldPhotosPending + `"`
	rows, err := r.store.reader.QueryContext(ctx,
		`SELECT collection, id, json_extract(doc, ?) FROM records
		 WHERE deleted = 0 AND json_type(doc, ?) = 'array' AND json_array_length(doc, ?) > 0
		 ORDER BY collection, id LIMIT ?`, path, path, path, limit)
	if err != nil {
		return nil, fmt.Errorf("find records with pending photos: %w", err)
	}
	defer rows.Close()
	var out []blobs.PendingRecord
	for rows.Next() {
		var p blobs.PendingRecord
		var list []byte
		if err := rows.Scan(&p.Key.Collection, &p.Key.ID, &list); err != nil {
			return nil, fmt.Errorf("read records with pending photos: %w", err)
		}
		var xs []any
		if err := json.Unmarshal(list, &xs); err != nil {
			return nil, fmt.Errorf("decode the pending photos of %s/%s: %w", p.Key.Collection, p.Key.ID, err)
		}
		for _, x := range xs {
			if h, ok := x.(string); ok {
				p.Pending = append(p.Pending, h)
			}
		}
		if len(p.Pending) > 0 {
			out = append(out, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read records with pending photos: %w", err)
	}
	return out, nil
}

// SharedPhotos returns, for every photo referred to by more than one live record of collections,
// those records (in collection, id order).
func (r *Records) SharedPhotos(ctx context.Context, collections []string) (map[string][]fsync.RecordKey, error) {
	by := map[string][]fsync.RecordKey{}
	if len(collections) == 0 {
		return by, nil
	}
	args := make([]any, 0, len(collections))
	for _, c := range collections {
		args = append(args, c)
	}
	in := placeholders(len(collections))
	q := `WITH live AS (SELECT p.photo, p.collection, p.id FROM record_photos p CROSS JOIN records r ON r.collection = p.collection AND r.id = p.id
			WHERE p.collection IN (` + in + `) AND r.deleted = 0)
		SELECT photo, collection, id FROM live WHERE photo IN (SELECT photo FROM live GROUP BY photo HAVING count(*) > 1)
		ORDER BY photo, collection, id`
	rows, err := r.store.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find photo claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		var k fsync.RecordKey
		if err := rows.Scan(&h, &k.Collection, &k.ID); err != nil {
			return nil, fmt.Errorf("read photo claims: %w", err)
		}
		by[h] = append(by[h], k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read photo claims: %w", err)
	}
	return by, nil
}

const sqlReferring = `SELECT collection, id FROM record_photos WHERE photo = ? ORDER BY collection, id LIMIT ?`

// The CROSS JOINs fix the join order (SQLite keeps the left table outer): record_photos is
// searched by photo first, records and tokens then found by key.

// photoVisibleQuery is the SQL of PhotoVisible for n tokens (arguments: h, the tokens).
func photoVisibleQuery(n int) string {
	return `SELECT EXISTS (SELECT 1 FROM record_photos p CROSS JOIN records r ON r.collection = p.collection AND r.id = p.id
		CROSS JOIN record_tokens t ON t.collection = p.collection AND t.id = p.id
		WHERE p.photo = ? AND r.deleted = 0 AND t.revoked = 0 AND t.token IN (` + placeholders(n) + `))`
}

// claimsQuery is the SQL of Claims for n collections (arguments: h, the collections, limit).
func claimsQuery(n int) string {
	return `SELECT p.collection, p.id, p.created_at FROM record_photos p CROSS JOIN records r ON r.collection = p.collection AND r.id = p.id
		WHERE p.photo = ? AND p.collection IN (` + placeholders(n) + `) AND r.deleted = 0
		ORDER BY p.created_at, p.collection, p.id LIMIT ?`
}

// placeholders is "?, ?, …" with n question marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
