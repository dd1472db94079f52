package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	stdsync "sync"
	"testing"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

// keysOf returns the keys of ids in coll.
func keysOf(coll string, ids ...string) []fsync.RecordKey {
	out := make([]fsync.RecordKey, len(ids))
	for i, id := range ids {
		out[i] = fsync.RecordKey{Collection: coll, ID: id}
	}
	return out
}

func TestRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := NewRecords(s)
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	want := &fsync.Record{Collection: "forms", ID: "a", Owner: "u1", Team: "t1",
		Audience: []string{"u:1", "team:t1"}, Revoked: []string{"u:2"}, Photos: []string{"abc"}, Seq: 5,
		CreatedAt: at, UpdatedAt: at.Add(time.Second),
		State: fsync.State{Version: 3, Fields: map[string]any{"i": int64(42), "f": 1.5, "s": "x",
			"o": map[string]any{"k": int64(1)}, "l": []any{"a", int64(2)}, "nil": nil},
			FieldVersions: map[string]int64{"i": 3}, FieldWriters: map[string]string{"i": "u1/d1"}},
		Conflicts: []fsync.ConflictEntry{{MutationID: "m1", Field: "i", ServerValue: int64(1), ClientValue: "two", At: at}},
		Receipts: []fsync.Receipt{{Key: "k1", ContentHash: "h", At: at,
			Result: fsync.Result{MutationID: "m1", Status: fsync.StatusApplied, Version: 3}}},
	}
	put(t, r, want)
	got, err := r.GetMany(ctx, append(keysOf("forms", "a", "missing"), fsync.RecordKey{Collection: "other", ID: "a"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("GetMany returned %d records, want 1 (missing keys absent)", len(got))
	}
	if g := got[keysOf("forms", "a")[0]]; !reflect.DeepEqual(g, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", g, want)
	}
}

func TestUpdateManyPassesCurrentAndWritesSubset(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := NewRecords(s)
	put(t, r, rec("forms", "a", 1, "u:1"))
	var seen map[fsync.RecordKey]*fsync.Record
	err := r.UpdateMany(ctx, keysOf("forms", "a", "b"), func(cur map[fsync.RecordKey]*fsync.Record) (map[fsync.RecordKey]*fsync.Record, error) {
		seen = cur
		return map[fsync.RecordKey]*fsync.Record{keysOf("forms", "b")[0]: rec("forms", "b", 2, "u:1")}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := seen[keysOf("forms", "a")[0]]; !ok || a == nil || a.Seq != 1 {
		t.Fatalf("fn got a = %v, want the stored record", a)
	}
	if b, ok := seen[keysOf("forms", "b")[0]]; !ok || b != nil {
		t.Fatalf("fn got b = %v (present %v), want a nil entry", b, ok)
	}
	boom := errors.New("boom")
	err = r.UpdateMany(ctx, keysOf("forms", "c"), func(map[fsync.RecordKey]*fsync.Record) (map[fsync.RecordKey]*fsync.Record, error) {
		return map[fsync.RecordKey]*fsync.Record{keysOf("forms", "c")[0]: rec("forms", "c", 3)}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateMany = %v, want fn's error", err)
	}
	got, _ := r.GetMany(ctx, keysOf("forms", "a", "b", "c"))
	if len(got) != 2 {
		t.Fatalf("%d records stored, want a and b only", len(got))
	}
}

func TestChanges(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := NewRecords(s)
	del := rec("forms", "d", 4, "u:1")
	del.Deleted = true
	revoked := rec("forms", "r", 5, "u:2")
	revoked.Revoked = []string{"u:1"}
	put(t, r, rec("forms", "a", 1, "u:1", "team:t"), rec("trips", "b", 2, "team:t"), rec("forms", "c", 3, "u:2"),
		del, revoked, rec("forms", "e", 6, "u:1"))
	// A rewrite moves the record to its new seq; the old one must not match any more.
	put(t, r, rec("forms", "a", 7, "u:1", "team:t"))

	tests := []struct {
		name string
		q    fsync.ChangeQuery
		want []string
	}{
		{"all of u:1 in seq order", fsync.ChangeQuery{Tokens: []string{"u:1"}, Through: 100, Limit: 10}, []string{"d", "r", "e", "a"}},
		{"two tokens, no duplicates", fsync.ChangeQuery{Tokens: []string{"u:1", "team:t"}, Through: 100, Limit: 10}, []string{"b", "d", "r", "e", "a"}},
		{"other audience", fsync.ChangeQuery{Tokens: []string{"u:2"}, Through: 100, Limit: 10}, []string{"c", "r"}},
		{"limit", fsync.ChangeQuery{Tokens: []string{"u:1", "team:t"}, Through: 100, Limit: 2}, []string{"b", "d"}},
		{"cursor after", fsync.ChangeQuery{Tokens: []string{"u:1", "team:t"}, After: 4, Through: 100, Limit: 2}, []string{"r", "e"}},
		{"through", fsync.ChangeQuery{Tokens: []string{"u:1", "team:t"}, After: 1, Through: 5, Limit: 10}, []string{"b", "d", "r"}},
		{"collection", fsync.ChangeQuery{Tokens: []string{"u:1", "team:t"}, Collection: "trips", Through: 100, Limit: 10}, []string{"b"}},
		{"skip deleted drops tombstones and revocations", fsync.ChangeQuery{Tokens: []string{"u:1"}, Through: 100, Limit: 10, SkipDeleted: true}, []string{"e", "a"}},
		{"no tokens", fsync.ChangeQuery{Through: 100, Limit: 10}, nil},
		{"empty range", fsync.ChangeQuery{Tokens: []string{"u:1"}, After: 5, Through: 5, Limit: 10}, nil},
		{"unknown token", fsync.ChangeQuery{Tokens: []string{"u:9"}, Through: 100, Limit: 10}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Changes(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
				if g.Receipts != nil {
					t.Fatalf("%s: receipts delivered by Changes", g.ID)
				}
			}
			if !reflect.DeepEqual(ids, tc.want) {
				t.Fatalf("Changes = %v, want %v", ids, tc.want)
			}
		})
	}
}

// TestConcurrentUpdateMany runs read-modify-writes of one shared record from several goroutines
// (plus one record of their own each): no increment may be lost.
func TestConcurrentUpdateMany(t *testing.T) {
	const writers, each = 8, 25
	ctx := context.Background()
	s, _ := openTest(t)
	r := NewRecords(s)
	seq := NewSequencer(s, time.Now)
	shared := keysOf("counters", "c")[0]
	var wg stdsync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			own := fsync.RecordKey{Collection: "counters", ID: fmt.Sprintf("w%d", w)}
			for range each {
				first, release, err := seq.Reserve(ctx, 2, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				err = r.UpdateMany(ctx, []fsync.RecordKey{shared, own}, func(cur map[fsync.RecordKey]*fsync.Record) (map[fsync.RecordKey]*fsync.Record, error) {
					next := map[fsync.RecordKey]*fsync.Record{}
					for i, k := range []fsync.RecordKey{shared, own} {
						n := int64(0)
						if c := cur[k]; c != nil {
							n = c.Fields["n"].(int64)
						}
						x := rec(k.Collection, k.ID, first+int64(i), "u:1")
						x.Fields["n"] = n + 1
						next[k] = x
					}
					return next, nil
				})
				if err != nil {
					errs <- err
				}
				if err := release(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	got, err := r.GetMany(ctx, []fsync.RecordKey{shared})
	if err != nil {
		t.Fatal(err)
	}
	if n := got[shared].Fields["n"].(int64); n != writers*each {
		t.Fatalf("n = %d after %d updates: %d lost", n, writers*each, writers*each-n)
	}
	h, err := seq.Horizon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Allocated != 2*writers*each || h.Stable != h.Allocated {
		t.Fatalf("Horizon = %+v, want all %d numbers allocated and stable", h, 2*writers*each)
	}
	changes, err := r.Changes(ctx, fsync.ChangeQuery{Tokens: []string{"u:1"}, Through: h.Stable, Limit: 1000})
	if err != nil || len(changes) != writers+1 {
		t.Fatalf("Changes = %d records, %v; want %d", len(changes), err, writers+1)
	}
}

func TestPurgeTombstones(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := NewRecords(s)
	seq := NewSequencer(s, time.Now)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	old, recent := now.Add(-100*24*time.Hour), now.Add(-time.Hour)
	tomb := func(id string, seq int64, at time.Time) *fsync.Record {
		x := rec("forms", id, seq, "u:1")
		x.Deleted, x.UpdatedAt = true, at
		return x
	}
	live := rec("forms", "live", 1, "u:1")
	live.UpdatedAt = old
	put(t, r, live, tomb("old1", 2, old), tomb("old2", 3, old), tomb("new", 4, recent))
	if _, _, err := seq.Reserve(ctx, 10, time.Minute); err != nil {
		t.Fatal(err)
	}

	n, err := fsync.PurgeTombstones(ctx, r, seq, now, 90*24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("PurgeTombstones = %d, %v; want 2", n, err)
	}
	got, _ := r.GetMany(ctx, keysOf("forms", "live", "old1", "old2", "new"))
	if len(got) != 2 || got[keysOf("forms", "live")[0]] == nil || got[keysOf("forms", "new")[0]] == nil {
		t.Fatalf("after purge: %v; want live and new", got)
	}
	// The stable point is held at 0 by the unreleased reservation, so Purged reads 0 even
	// though it was raised to 3; MarkPurged never lowers it.
	if err := seq.MarkPurged(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var purged int64
	if err := s.reader.QueryRow(`SELECT purged FROM sequence`).Scan(&purged); err != nil || purged != 3 {
		t.Fatalf("purged = %d, %v; want 3", purged, err)
	}
	changes, err := r.Changes(ctx, fsync.ChangeQuery{Tokens: []string{"u:1"}, Through: 100, Limit: 10})
	if err != nil || len(changes) != 2 {
		t.Fatalf("Changes after purge = %d, %v; want 2 (tokens of purged tombstones gone)", len(changes), err)
	}
	if n, err := fsync.PurgeTombstones(ctx, r, seq, now, 90*24*time.Hour); err != nil || n != 0 {
		t.Fatalf("second purge = %d, %v; want 0", n, err)
	}
}
