package blobs_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/blobtest"
)

// TestPhotosPending follows a receipt pushed before its photo: it syncs at once with the photo
// pending, and the upload refreshes it. A photo uploaded before its record is never pending.
func TestPhotosPending(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		photo := blobtest.JPEG(16, 16, blobtest.EXIF{}, "pending")
		h := blobtest.Sum(photo)
		e.push(t, techA, domain.CollReceipts, "r1", map[string]any{"photo": h, "amountFen": 3000})
		first := e.record(t, domain.CollReceipts, "r1")
		if got := first.Fields[sync.FieldPhotosPending]; !sync.EqualValues(got, []any{h}) {
			t.Fatalf("photosPending before the upload = %v, want [%s]", got, h)
		}
		if _, _, err := e.svc.Put(ctx, techA, h, bytes.NewReader(photo), -1); err != nil {
			t.Fatal(err)
		}
		after := e.record(t, domain.CollReceipts, "r1")
		if got := after.Fields[sync.FieldPhotosPending]; !sync.EqualValues(got, []any{}) {
			t.Errorf("photosPending after the upload = %v, want []", got)
		}
		if after.Seq <= first.Seq || after.Version != first.Version+1 {
			t.Errorf("refreshed record at seq %d v%d, was seq %d v%d: a pull would miss it", after.Seq, after.Version, first.Seq, first.Version)
		}
		if b, _ := e.meta.Get(ctx, h); !b.Referenced {
			t.Error("the arrived photo is not marked referenced")
		}

		e.push(t, techA, domain.CollServiceForms, "f1", map[string]any{"signaturePhoto": h, "photos": []any{h}})
		if got := e.record(t, domain.CollServiceForms, "f1").Fields[sync.FieldPhotosPending]; !sync.EqualValues(got, []any{}) {
			t.Errorf("photo before its record: photosPending = %v, want []", got)
		}
		e.push(t, techA, domain.CollWeeklyReports, "w1", map[string]any{"workCompleted": "3 单"})
		if _, ok := e.record(t, domain.CollWeeklyReports, "w1").Fields[sync.FieldPhotosPending]; ok {
			t.Error("a record without photo fields got photosPending")
		}
	})
}

// TestDuplicateClaim is R16: the same photo on a second receipt or purchase request names the
// first claim; the first stays unflagged.
func TestDuplicateClaim(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		h := blobtest.Sum([]byte("one receipt photo"))
		e.push(t, techA, domain.CollReceipts, "first", map[string]any{"photo": h, "amountFen": 5000})
		e.push(t, techA, domain.CollReceipts, "second", map[string]any{"photo": h, "amountFen": 5000})
		e.push(t, techA, domain.CollPurchaseRequests, "pr", map[string]any{"photos": []any{blobtest.Sum([]byte("x")), h}})
		want := map[string]any{"collection": domain.CollReceipts, "id": "first"}
		for _, k := range []sync.RecordKey{{Collection: domain.CollReceipts, ID: "second"}, {Collection: domain.CollPurchaseRequests, ID: "pr"}} {
			if got := e.record(t, k.Collection, k.ID).Fields[sync.FieldDuplicateOf]; !sync.EqualValues(got, want) {
				t.Errorf("%s duplicateOf = %v, want %v", k, got, want)
			}
		}
		if got, ok := e.record(t, domain.CollReceipts, "first").Fields[sync.FieldDuplicateOf]; ok {
			t.Errorf("the first claim is flagged: %v", got)
		}
		// A service form is no claim: its photos are not paid.
		e.push(t, techA, domain.CollServiceForms, "form", map[string]any{"photos": []any{h}})
		if _, ok := e.record(t, domain.CollServiceForms, "form").Fields[sync.FieldDuplicateOf]; ok {
			t.Error("a service form got duplicateOf")
		}
	})
}

// TestSweep walks the janitor: orphans past the retention window go (metadata, original,
// thumbnails), referenced photos stay, leftovers of uploads go, and records pushed in one batch
// with the same photo, or waiting for a photo that arrived without refreshing them, are fixed.
func TestSweep(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		orphan, kept := blobtest.PNG(5, 5), blobtest.PNG(6, 6)
		for _, p := range [][]byte{orphan, kept} {
			if _, _, err := e.svc.Put(ctx, techA, blobtest.Sum(p), bytes.NewReader(p), -1); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := e.svc.Thumbnail(ctx, techA, blobtest.Sum(orphan), 160); err != nil {
			t.Fatal(err)
		}
		e.push(t, techA, domain.CollServiceForms, "f", map[string]any{"photos": []any{blobtest.Sum(kept)}})
		if err := e.objects.Put(ctx, blobs.TempPrefix+"crashed", strings.NewReader("x"), 1, ""); err != nil {
			t.Fatal(err)
		}

		// Two receipts with one photo in one batch: neither sees the other while it is derived.
		dup := blobtest.Sum([]byte("batch"))
		res, err := e.engine.Push(ctx, techA, "127.0.0.1", []sync.Mutation{
			{MutationID: uuid.NewString(), Collection: domain.CollReceipts, ID: "b1", Op: sync.OpUpsert, Fields: map[string]any{"photo": dup}},
			{MutationID: uuid.NewString(), Collection: domain.CollReceipts, ID: "b2", Op: sync.OpUpsert, Fields: map[string]any{"photo": dup}}})
		if err != nil || res[1].Status != sync.StatusApplied {
			t.Fatalf("batch: %v %+v", err, res)
		}
		// A photo whose metadata arrived without the refresh (as after a failed one).
		late := blobtest.Sum([]byte("late"))
		e.push(t, techA, domain.CollReceipts, "late", map[string]any{"photo": late})
		if _, err := e.meta.Insert(ctx, blobs.Blob{Hash: late, Size: 4, ContentType: blobs.TypePNG, CreatedAt: e.now, IdleSince: e.now}); err != nil {
			t.Fatal(err)
		}

		before := time.Now()
		rep, err := e.svc.Sweep(ctx, e.now.Add(31*24*time.Hour))
		if err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		if rep.Orphans != 1 || rep.Kept < 1 || rep.Temps != 1 || rep.Refreshed < 2 {
			t.Errorf("report %+v, want 1 orphan, the referenced ones kept, 1 leftover, the batch and the late receipt refreshed", rep)
		}
		if _, err := e.meta.Get(ctx, blobtest.Sum(orphan)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("orphan metadata: %v", err)
		}
		if left := e.keys(t, "thumbs/"+blobtest.Sum(orphan)); len(left) > 0 {
			t.Errorf("orphan thumbnails left: %v", left)
		}
		if got := e.keys(t, "blobs/"); !slices.Equal(got, []string{blobs.OriginalKey(blobtest.Sum(kept))}) {
			t.Errorf("originals after the sweep %v, want the referenced one", got)
		}
		if b, err := e.meta.Get(ctx, blobtest.Sum(kept)); err != nil || b.IdleSince.Before(before) {
			t.Errorf("kept photo %+v, %v: its window did not restart", b, err)
		}
		if got := e.record(t, domain.CollReceipts, "b2").Fields[sync.FieldDuplicateOf]; !sync.EqualValues(got,
			map[string]any{"collection": domain.CollReceipts, "id": "b1"}) {
			t.Errorf("b2 duplicateOf = %v, want b1 (same batch: same creation time, ids decide)", got)
		}
		if got := e.record(t, domain.CollReceipts, "late").Fields[sync.FieldPhotosPending]; !sync.EqualValues(got, []any{}) {
			t.Errorf("late receipt photosPending = %v, want [] after the repair pass", got)
		}
	})
}
