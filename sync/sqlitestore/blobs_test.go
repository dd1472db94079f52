package sqlitestore

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/blobs"
)

func TestBlobs(t *testing.T) {
	store, _ := openTest(t)
	b := NewBlobs(store)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)

	if _, err := b.Get(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want not found", err)
	}
	one := blobs.Blob{Hash: "h1", Size: 10, ContentType: "image/jpeg", Uploader: "u1", Team: "t1",
		CreatedAt: t0, GPS: &blobs.GPS{Lat: 1.5, Lon: -2.25}, IdleSince: t0}
	two := blobs.Blob{Hash: "h2", Size: 20, ContentType: "image/png", Uploader: "u2", Team: "t1",
		CreatedAt: t0, IdleSince: t0.Add(time.Hour)}
	for _, x := range []blobs.Blob{one, two} {
		if ok, err := b.Insert(ctx, x); err != nil || !ok {
			t.Fatalf("Insert(%s) = %v, %v", x.Hash, ok, err)
		}
	}
	dup := one
	dup.Size = 99
	if ok, err := b.Insert(ctx, dup); err != nil || ok {
		t.Fatalf("Insert(duplicate) = %v, %v; want false", ok, err)
	}
	got, err := b.Get(ctx, "h1")
	if err != nil || !reflect.DeepEqual(got, one) {
		t.Fatalf("Get(h1) = %+v, %v; want %+v", got, err, one)
	}
	if got, _ := b.Get(ctx, "h2"); got.GPS != nil || !reflect.DeepEqual(got, two) {
		t.Fatalf("Get(h2) = %+v", got)
	}

	ex, err := b.Existing(ctx, []string{"h2", "x", "h1"})
	sort.Strings(ex)
	if err != nil || !reflect.DeepEqual(ex, []string{"h1", "h2"}) {
		t.Fatalf("Existing = %v, %v", ex, err)
	}
	if ex, err := b.Existing(ctx, nil); err != nil || len(ex) != 0 {
		t.Fatalf("Existing(nil) = %v, %v", ex, err)
	}
	many := make([]string, 1200)
	for i := range many {
		many[i] = "m"
	}
	many[1100] = "h2"
	if ex, err := b.Existing(ctx, many); err != nil || !reflect.DeepEqual(ex, []string{"h2"}) {
		t.Fatalf("Existing(1200) = %v, %v", ex, err)
	}

	idle, err := b.IdleBefore(ctx, t0.Add(2*time.Hour), 10)
	if err != nil || len(idle) != 2 || idle[0].Hash != "h1" || idle[1].Hash != "h2" {
		t.Fatalf("IdleBefore = %+v, %v", idle, err)
	}
	if idle, _ := b.IdleBefore(ctx, t0.Add(2*time.Hour), 1); len(idle) != 1 || idle[0].Hash != "h1" {
		t.Fatalf("IdleBefore limit 1 = %+v", idle)
	}
	if idle, _ := b.IdleBefore(ctx, t0, 10); len(idle) != 0 {
		t.Fatalf("IdleBefore(t0) = %+v, want none (strictly before)", idle)
	}

	at := t0.Add(3 * time.Hour)
	if err := b.MarkReferenced(ctx, "h1", at); err != nil {
		t.Fatal(err)
	}
	got, _ = b.Get(ctx, "h1")
	if !got.Referenced || !got.LastReferencedAt.Equal(at) || !got.IdleSince.Equal(at) {
		t.Fatalf("after MarkReferenced: %+v", got)
	}
	if idle, _ := b.IdleBefore(ctx, t0.Add(2*time.Hour), 10); len(idle) != 1 || idle[0].Hash != "h2" {
		t.Fatalf("IdleBefore after MarkReferenced = %+v", idle)
	}

	if err := b.Delete(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "h1"); err != nil {
		t.Fatalf("Delete(missing) = %v", err)
	}
	if _, err := b.Get(ctx, "h1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
}
