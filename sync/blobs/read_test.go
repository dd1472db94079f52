package blobs_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"testing"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/blobtest"
)

// TestThumbnail renders a photo taken with the phone turned (EXIF orientation 6: the pixels are
// stored landscape, the picture is portrait), then a PDF's placeholder.
func TestThumbnail(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		photo := blobtest.JPEG(400, 200, blobtest.EXIF{Orientation: 6, GPS: true, Lat: 34.7, Lon: 113.6}, "thumb")
		h := blobtest.Sum(photo)
		if _, _, err := e.svc.Put(ctx, techA, h, bytes.NewReader(photo), -1); err != nil {
			t.Fatal(err)
		}
		out := thumbnail(t, e, techA, h, 160)
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("decode the thumbnail: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 320 {
			t.Errorf("thumbnail is %dx%d, want 160x320 (turned upright, then scaled)", b.Dx(), b.Dy())
		}
		// Orientation 6 turns the picture 90° clockwise: the left (red) half goes on top.
		if !reddish(img.At(80, 40)) || reddish(img.At(80, 280)) {
			t.Errorf("top %v bottom %v: want red on top, blue below", img.At(80, 40), img.At(80, 280))
		}
		if blobtest.HasAPP1(out) {
			t.Error("the thumbnail carries an APP1 (EXIF) segment: GPS would leak")
		}
		if _, err := e.objects.Stat(ctx, blobs.ThumbnailKey(h, 160)); err != nil {
			t.Errorf("thumbnail not kept in object storage: %v", err)
		}
		// Rendered once: with the original gone, the kept thumbnail still answers.
		if err := e.objects.Delete(ctx, blobs.OriginalKey(h)); err != nil {
			t.Fatal(err)
		}
		if again := thumbnail(t, e, techA, h, 160); !bytes.Equal(again, out) {
			t.Error("second request rendered again instead of reading the kept thumbnail")
		}

		pdf := blobtest.PDF("thumb")
		if _, _, err := e.svc.Put(ctx, techA, blobtest.Sum(pdf), bytes.NewReader(pdf), -1); err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumbnail(t, e, techA, blobtest.Sum(pdf), 320)))
		if err != nil || cfg.Width != 320 || cfg.Height != 240 {
			t.Errorf("PDF placeholder: %+v, %v; want a 320x240 JPEG", cfg, err)
		}
		if _, _, err := e.svc.Thumbnail(ctx, techA, h, 333); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("width 333 = %v, want invalid", err)
		}
	})
}

func thumbnail(t *testing.T, e *env, p domain.Principal, h string, w int) []byte {
	t.Helper()
	rc, size, err := e.svc.Thumbnail(context.Background(), p, h, w)
	if err != nil {
		t.Fatalf("Thumbnail(%d): %v", w, err)
	}
	defer rc.Close()
	out, err := io.ReadAll(rc)
	if err != nil || int64(len(out)) != size {
		t.Fatalf("read thumbnail: %d bytes of %d, %v", len(out), size, err)
	}
	return out
}

func reddish(c interface{ RGBA() (r, g, b, a uint32) }) bool {
	r, _, b, _ := c.RGBA()
	return r > 2*b
}

// TestAccess is who may read a photo: its uploader, and whoever sees a record referring to it.
// Everybody else is told it does not exist, exactly as for a photo that does not.
func TestAccess(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		photo := blobtest.JPEG(32, 32, blobtest.EXIF{GPS: true, Lat: 34.75, Lon: 113.62}, "access")
		h := blobtest.Sum(photo)
		if _, _, err := e.svc.Put(ctx, techA, h, bytes.NewReader(photo), -1); err != nil {
			t.Fatal(err)
		}
		absent := blobtest.Sum([]byte("never uploaded"))
		_, missingErr := e.svc.Readable(ctx, techA, absent)
		check := func(name string, p domain.Principal, want domain.Code) {
			t.Helper()
			_, err := e.svc.Readable(ctx, p, h)
			if domain.ErrorCode(err) != want {
				t.Errorf("%s: Readable = %v, want %q", name, err, want)
			}
			if want == domain.CodeNotFound && err.Error() != missingErr.Error() {
				t.Errorf("%s: %q differs from the answer for a missing photo %q", name, err, missingErr)
			}
		}
		check("uploader", techA, "")
		check("team mate, no record", techA2, domain.CodeNotFound)
		check("own leader, no record", leaderA, domain.CodeNotFound)
		check("other team's leader", leaderB, domain.CodeNotFound)

		e.push(t, techA, domain.CollReceipts, "r-access", map[string]any{"photo": h, "amountFen": 1200})
		check("own leader, through the receipt", leaderA, "")
		check("team mate, receipt not theirs", techA2, domain.CodeNotFound)
		check("other team's leader, receipt of team a", leaderB, domain.CodeNotFound)

		if d, err := e.svc.Details(ctx, leaderA, h); err != nil || d.GPS == nil || d.Uploader != techA.UserID {
			t.Errorf("leader's details = %+v, %v; want uploader and GPS", d, err)
		}
		if _, err := e.svc.Details(ctx, techA, h); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("uploader's details = %v, want forbidden (the leader's view)", err)
		}
		if _, err := e.svc.Details(ctx, leaderB, h); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("other leader's details = %v, want not_found", err)
		}
		if rc, _, err := e.svc.Open(ctx, leaderB, h); domain.ErrorCode(err) != domain.CodeNotFound {
			if rc != nil {
				_ = rc.Close()
			}
			t.Errorf("other leader's Open = %v, want not_found", err)
		}
	})
}
