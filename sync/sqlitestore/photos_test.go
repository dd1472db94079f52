package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/blobs"
)

var (
	h1 = strings.Repeat("a1", 32)
	h2 = strings.Repeat("b2", 32)
	h3 = strings.Repeat("c3", 32)
)

// photoRec is a record of coll referring to photos, created at minute created.
func photoRec(coll, id string, seq int64, created int, photos []string, aud ...string) *fsync.Record {
	r := rec(coll, id, seq, aud...)
	r.CreatedAt = time.Date(2026, 1, 2, 3, created, 5, 6, time.UTC)
	r.Photos = photos
	return r
}

func keyIDs(keys []fsync.RecordKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Collection+"/"+k.ID)
	}
	return out
}

func claimIDs(cs []fsync.PhotoClaim) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Key.Collection+"/"+c.Key.ID)
	}
	return out
}

// photoAnswers asks every photo query about h1, h2 and h3, as lines.
func photoAnswers(t *testing.T, r *Records) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, h := range []string{h1, h2, h3} {
		refs, err := r.Referring(ctx, h, 10)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := r.Claims(ctx, h, []string{"receipts"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		vis := map[string]bool{}
		for _, tok := range []string{"u:1", "u:2", "team:t1"} {
			v, err := r.PhotoVisible(ctx, h, []string{tok})
			if err != nil {
				t.Fatal(err)
			}
			vis[tok] = v
		}
		out = append(out, fmt.Sprintf("%s: referring %v claims %v visible %v", h[:2], keyIDs(refs), claimIDs(claims), vis))
	}
	return out
}

func TestPhotoQueries(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := NewRecords(s)
	put(t, r,
		photoRec("receipts", "r1", 1, 10, []string{h1}, "u:1", "team:t1"),
		photoRec("receipts", "r2", 2, 5, []string{h1, h1}, "u:2"), // created first; a duplicate hash
		photoRec("receipts", "r3", 3, 5, []string{h2}, "u:2"),
		photoRec("forms", "f1", 4, 1, []string{h1, h2}, "u:1"), // not a claiming collection
	)
	tomb := photoRec("receipts", "r4", 5, 0, []string{h3}, "u:1")
	tomb.Deleted, tomb.Revoked, tomb.Audience = true, []string{"u:1"}, nil
	put(t, r, tomb)

	want := []string{
		"a1: referring [forms/f1 receipts/r1 receipts/r2] claims [receipts/r2 receipts/r1] visible map[team:t1:true u:1:true u:2:true]",
		"b2: referring [forms/f1 receipts/r3] claims [receipts/r3] visible map[team:t1:false u:1:true u:2:true]",
		"c3: referring [receipts/r4] claims [] visible map[team:t1:false u:1:false u:2:false]",
	}
	if got := photoAnswers(t, r); !slices.Equal(got, want) {
		t.Fatalf("created:\n got %q\nwant %q", got, want)
	}

	// r2 moves from h1 to h2 and r1 is deleted: the rows of a record are replaced with it.
	r2 := photoRec("receipts", "r2", 6, 5, []string{h2}, "u:2")
	r1 := photoRec("receipts", "r1", 7, 10, []string{h1}, "team:t1")
	r1.Deleted, r1.Revoked, r1.Audience = true, []string{"u:1"}, nil
	put(t, r, r2, r1)
	want = []string{
		"a1: referring [forms/f1 receipts/r1] claims [] visible map[team:t1:false u:1:true u:2:false]",
		"b2: referring [forms/f1 receipts/r2 receipts/r3] claims [receipts/r2 receipts/r3] visible map[team:t1:false u:1:true u:2:true]",
		"c3: referring [receipts/r4] claims [] visible map[team:t1:false u:1:false u:2:false]",
	}
	if got := photoAnswers(t, r); !slices.Equal(got, want) {
		t.Fatalf("changed:\n got %q\nwant %q", got, want)
	}

	claims, err := r.Claims(ctx, h2, []string{"receipts", "forms"}, 2)
	if err != nil || !slices.Equal(claimIDs(claims), []string{"forms/f1", "receipts/r2"}) {
		t.Fatalf("Claims limit 2 = %v, %v", claimIDs(claims), err)
	}
	if !claims[0].CreatedAt.Equal(time.Date(2026, 1, 2, 3, 1, 5, 6, time.UTC)) {
		t.Errorf("CreatedAt = %v", claims[0].CreatedAt)
	}
	if refs, err := r.Referring(ctx, h2, 1); err != nil || len(refs) != 1 {
		t.Errorf("Referring limit 1 = %v, %v", refs, err)
	}
	if v, err := r.PhotoVisible(ctx, h2, nil); err != nil || v {
		t.Errorf("PhotoVisible without tokens = %v, %v", v, err)
	}

	shared, err := r.SharedPhotos(ctx, []string{"receipts"})
	if err != nil {
		t.Fatal(err)
	}
	if len(shared) != 1 || !slices.Equal(keyIDs(shared[h2]), []string{"receipts/r2", "receipts/r3"}) {
		t.Errorf("SharedPhotos(receipts) = %v", shared)
	}
	shared, err = r.SharedPhotos(ctx, []string{"receipts", "forms"})
	if err != nil {
		t.Fatal(err)
	}
	if len(shared) != 1 || len(shared[h2]) != 3 { // h1: f1 only once r1 is deleted
		t.Errorf("SharedPhotos(receipts, forms) = %v", shared)
	}

	// Purging the tombstones drops their rows (ON DELETE CASCADE).
	if _, err := r.DeleteTombstones(ctx, 100, time.Now()); err != nil {
		t.Fatal(err)
	}
	if refs, err := r.Referring(ctx, h3, 10); err != nil || len(refs) != 0 {
		t.Errorf("Referring after the purge = %v, %v", refs, err)
	}
	var n int
	if err := s.reader.QueryRow(`SELECT count(*) FROM record_photos WHERE id IN ('r1', 'r4')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("record_photos rows of purged tombstones = %d, %v", n, err)
	}
}

func TestPendingPhotos(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := NewRecords(s)
	pending := func(coll, id string, seq int64, list any, deleted bool) *fsync.Record {
		x := rec(coll, id, seq, "u:1")
		if list != nil {
			x.Fields[fsync.FieldPhotosPending] = list
		}
		x.Deleted = deleted
		return x
	}
	put(t, r,
		pending("receipts", "a", 1, []any{h1, h2}, false),
		pending("receipts", "b", 2, []any{}, false),  // all arrived
		pending("receipts", "c", 3, nil, false),      // no photos
		pending("receipts", "d", 4, []any{h1}, true), // tombstone
		pending("forms", "e", 5, []any{h3}, false),
	)
	got, err := r.PendingPhotos(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []blobs.PendingRecord{
		{Key: fsync.RecordKey{Collection: "forms", ID: "e"}, Pending: []string{h3}},
		{Key: fsync.RecordKey{Collection: "receipts", ID: "a"}, Pending: []string{h1, h2}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("PendingPhotos = %v, want %v", got, want)
	}
	if got, err := r.PendingPhotos(ctx, 1); err != nil || len(got) != 1 {
		t.Errorf("PendingPhotos limit 1 = %v, %v", got, err)
	}
}

// TestOpenBackfillsPhotoRefs writes records on a database at version 2 (before record_photos)
// and checks that 0003 indexes their photos.
func TestOpenBackfillsPhotoRefs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	old, err := Open(ctx, path, withVersion(2))
	if err != nil {
		t.Fatal(err)
	}
	// Version 2 has no record_photos, so Records cannot be prepared on it: write rows directly.
	recs := []*fsync.Record{
		photoRec("receipts", "r1", 1, 10, []string{h1}, "u:1", "team:t1"),
		photoRec("receipts", "r2", 2, 5, []string{h1, h1}, "u:2"),
		photoRec("receipts", "r3", 3, 5, []string{h2}, "u:2"),
		photoRec("forms", "f1", 4, 1, []string{h1, h2}, "u:1"),
		photoRec("forms", "none", 5, 1, nil, "u:1"),
	}
	tomb := photoRec("receipts", "r4", 5, 0, []string{h3}, "u:1")
	tomb.Deleted, tomb.Revoked, tomb.Audience = true, []string{"u:1"}, nil
	putV2(t, old, append(recs, tomb)...)

	s := upgrade(t, ctx, old, path)
	want := []string{
		"a1: referring [forms/f1 receipts/r1 receipts/r2] claims [receipts/r2 receipts/r1] visible map[team:t1:true u:1:true u:2:true]",
		"b2: referring [forms/f1 receipts/r3] claims [receipts/r3] visible map[team:t1:false u:1:true u:2:true]",
		"c3: referring [receipts/r4] claims [] visible map[team:t1:false u:1:false u:2:false]",
	}
	r := NewRecords(s)
	if got := photoAnswers(t, r); !slices.Equal(got, want) {
		t.Fatalf("after the backfill:\n got %q\nwant %q", got, want)
	}
	// The backfilled created_at is CreatedAt to the millisecond.
	claims, err := r.Claims(ctx, h2, []string{"forms"}, 1)
	if err != nil || len(claims) != 1 || !claims[0].CreatedAt.Equal(time.Date(2026, 1, 2, 3, 1, 5, 0, time.UTC)) {
		t.Fatalf("backfilled claim = %v, %v", claims, err)
	}
}

// putV2 writes recs as the version 2 schema stores them (records and record_tokens only).
func putV2(t testing.TB, s *Store, recs ...*fsync.Record) {
	t.Helper()
	err := s.Write(context.Background(), func(tx *sql.Tx) error {
		for _, x := range recs {
			doc, err := encodeRecord(x)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(sqlPutRecord, x.Collection, x.ID, x.Seq, x.Deleted, nanos(x.UpdatedAt), doc); err != nil {
				return err
			}
			for _, tok := range x.Audience {
				if _, err := tx.Exec(sqlPutToken, tok, x.Seq, x.Collection, x.ID, 0); err != nil {
					return err
				}
			}
			for _, tok := range x.Revoked {
				if _, err := tx.Exec(sqlPutToken, tok, x.Seq, x.Collection, x.ID, 1); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write version 2 rows: %v", err)
	}
}
