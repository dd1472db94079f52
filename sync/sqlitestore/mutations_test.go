package sqlitestore

import (
	"context"
	"reflect"
	"testing"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

func TestMutationLog(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	l := NewMutationLog(s)
	at := time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
	a := fsync.Receipt{Key: "k1", ContentHash: "h1", At: at, UserID: "u1", DeviceID: "d1",
		Result: fsync.Result{MutationID: "m1", Status: fsync.StatusApplied, Version: 2,
			Conflicts: []fsync.FieldConflict{{Field: "n", ServerValue: int64(1), ClientValue: 2.5}}}}
	b := fsync.Receipt{Key: "k2", ContentHash: "h2", At: at,
		Result: fsync.Result{MutationID: "m2", Status: fsync.StatusRejected,
			Error: &fsync.ResultError{Code: "invalid", Message: "bad", Fields: map[string]string{"fields.x": "required"}}}}
	if err := l.PutMany(ctx, []fsync.Receipt{a, b}); err != nil {
		t.Fatal(err)
	}
	// A resend with a stored key, and a key repeated within one call, are no error; the first
	// receipt stays.
	changed := a
	changed.ContentHash = "other"
	c := fsync.Receipt{Key: "k3", ContentHash: "h3", At: at, Result: fsync.Result{MutationID: "m3", Status: fsync.StatusApplied}}
	if err := l.PutMany(ctx, []fsync.Receipt{changed, c, c}); err != nil {
		t.Fatalf("PutMany with duplicate keys: %v", err)
	}
	got, err := l.GetMany(ctx, []string{"k1", "k2", "k3", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]fsync.Receipt{"k1": a, "k2": b, "k3": c}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetMany:\n got %+v\nwant %+v", got, want)
	}
	if err := l.PutMany(ctx, nil); err != nil {
		t.Fatal(err)
	}

	n, err := l.DeleteBefore(ctx, at.Add(time.Nanosecond))
	if err != nil || n != 3 {
		t.Fatalf("DeleteBefore = %d, %v; want 3", n, err)
	}
}
