package server

import (
	"fmt"
	"testing"

	"github.com/fieldsync/fieldsync/sync/blobs/blobtest"
)

// TestBlobRecordBeforePhoto: a receipt pushed before its photo syncs with photosPending; the
// upload updates it, and the next pull (from the cursor) delivers it with nothing pending. A
// service form pushed after its photos arrived has nothing pending at once.
func TestBlobRecordBeforePhoto(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		photo := blobtest.JPEG(24, 24, blobtest.EXIF{}, "record first")
		h := blobtest.Sum(photo)
		bf.pushOne("techA", "receipts", "r-first", map[string]any{"photo": h, "amountFen": 4200, "category": "fuel"})
		got, cursor := bf.pulled("techA", "")
		if rec := got["r-first"]; rec == nil || fmt.Sprint(rec["photosPending"]) != fmt.Sprint([]any{h}) {
			t.Fatalf("before the upload: %v, want photosPending [%s]", rec, h)
		}
		if status, body := bf.put("techA", h, photo, "image/jpeg"); status != 201 {
			t.Fatalf("upload: %d %v", status, body)
		}
		got, _ = bf.pulled("techA", cursor)
		rec := got["r-first"]
		if rec == nil {
			t.Fatal("the next pull did not deliver the receipt whose photo arrived")
		}
		if pending, ok := rec["photosPending"].([]any); !ok || len(pending) != 0 {
			t.Errorf("after the upload photosPending = %v, want []", rec["photosPending"])
		}

		second := blobtest.PNG(9, 9)
		if status, body := bf.put("techA", blobtest.Sum(second), second, "image/png"); status != 201 {
			t.Fatalf("upload: %d %v", status, body)
		}
		bf.pushOne("techA", "service_forms", "f-after", map[string]any{"workDone": "换压缩机", "signaturePhoto": blobtest.Sum(second)})
		got, _ = bf.pulled("techA", "")
		if pending, ok := got["f-after"]["photosPending"].([]any); !ok || len(pending) != 0 {
			t.Errorf("photo before its record: photosPending = %v, want []", got["f-after"]["photosPending"])
		}
	})
}

// TestBlobDuplicateReceipt is R16 end to end: the second receipt with the same photo is flagged
// for the leader with the first claim; the first is not.
func TestBlobDuplicateReceipt(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		h := blobtest.Sum([]byte("the same taxi receipt"))
		bf.pushOne("techA", "receipts", "taxi-1", map[string]any{"photo": h, "amountFen": 3500, "category": "taxi"})
		bf.pushOne("techA", "receipts", "taxi-2", map[string]any{"photo": h, "amountFen": 3500, "category": "taxi"})
		got, _ := bf.pulled("leaderA", "")
		if dup, _ := got["taxi-2"]["duplicateOf"].(map[string]any); dup["collection"] != "receipts" || dup["id"] != "taxi-1" {
			t.Errorf("second receipt duplicateOf = %v, want receipts/taxi-1", got["taxi-2"]["duplicateOf"])
		}
		if dup, ok := got["taxi-1"]["duplicateOf"]; ok {
			t.Errorf("the first claim is flagged: %v", dup)
		}
		// The flag is the server's: a phone cannot clear it.
		status, _, body := bf.call("techA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{
			mutation("receipts", "taxi-2", 1, map[string]any{"duplicateOf": nil})}})
		if r := resultsOf(t, body)[0]; status != 200 || r["status"] != "rejected" {
			t.Errorf("writing duplicateOf: %d %v, want rejected", status, r)
		}
	})
}
