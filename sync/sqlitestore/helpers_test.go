package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

// openTest opens a fresh database file in t's temporary directory, closed at cleanup.
func openTest(t testing.TB, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fieldsync.db")
	s, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

// rec builds a record with one field and the given audience.
func rec(coll, id string, seq int64, aud ...string) *fsync.Record {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	return &fsync.Record{Collection: coll, ID: id, Owner: "u1", Team: "t1", Audience: aud, Seq: seq,
		CreatedAt: at, UpdatedAt: at,
		State: fsync.State{Version: 1, Fields: map[string]any{"n": int64(seq)}, FieldVersions: map[string]int64{"n": 1}}}
}

// put writes recs with one UpdateMany.
func put(t testing.TB, r *Records, recs ...*fsync.Record) {
	t.Helper()
	keys := make([]fsync.RecordKey, len(recs))
	next := map[fsync.RecordKey]*fsync.Record{}
	for i, x := range recs {
		keys[i] = fsync.RecordKey{Collection: x.Collection, ID: x.ID}
		next[keys[i]] = x
	}
	err := r.UpdateMany(context.Background(), keys, func(map[fsync.RecordKey]*fsync.Record) (map[fsync.RecordKey]*fsync.Record, error) {
		return next, nil
	})
	if err != nil {
		t.Fatalf("UpdateMany: %v", err)
	}
}
