package blobs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/blobtest"
)

// TestPut is the upload's contract against every object store: what is kept, what is refused
// (and then nothing is kept), how much of the body is read.
func TestPut(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		photo := blobtest.JPEG(64, 48, blobtest.EXIF{GPS: true, Lat: 34.7466, Lon: 113.6254}, "put")
		h := blobtest.Sum(photo)
		b, created, err := e.svc.Put(ctx, techA, h, bytes.NewReader(photo), int64(len(photo)))
		if err != nil || !created {
			t.Fatalf("Put = %v, created %v", err, created)
		}
		if b.Hash != h || b.Size != int64(len(photo)) || b.ContentType != blobs.TypeJPEG || b.Uploader != techA.UserID || b.Team != "team-a" {
			t.Errorf("Put returned %+v", b)
		}
		if b.GPS == nil || math.Abs(b.GPS.Lat-34.7466) > 1e-4 || math.Abs(b.GPS.Lon-113.6254) > 1e-4 {
			t.Errorf("GPS = %+v, want 34.7466, 113.6254", b.GPS)
		}
		rc, obj, err := e.objects.Get(ctx, blobs.OriginalKey(h))
		if err != nil {
			t.Fatalf("original: %v", err)
		}
		stored, _ := io.ReadAll(rc)
		_ = rc.Close()
		if !bytes.Equal(stored, photo) || obj.ContentType != blobs.TypeJPEG {
			t.Errorf("stored %d bytes of type %s, want the photo as image/jpeg", len(stored), obj.ContentType)
		}

		t.Run("resend reads nothing", func(t *testing.T) {
			body := &failReader{t: t}
			got, created, err := e.svc.Put(ctx, techA2, h, body, int64(len(photo)))
			if err != nil || created || got.Uploader != techA.UserID {
				t.Fatalf("resend = %+v, created %v, %v; want the first upload's photo, not new", got, created, err)
			}
		})

		text := []byte("这不是照片 — plain text pretending to be a JPEG")
		big := append(blobtest.JPEG(8, 8, blobtest.EXIF{}, "big"), bytes.Repeat([]byte{0}, testLimit)...)
		cases := []struct {
			name     string
			hash     string
			body     func() io.Reader
			size     int64
			code     domain.Code
			field    string
			maxRead  int64 // most bytes the service may read; -1: no limit checked
			readNone bool
		}{
			{"hash mismatch", blobtest.Sum([]byte("other")), func() io.Reader { return bytes.NewReader(blobtest.PNG(4, 4)) }, -1,
				domain.CodeInvalid, "sha256", -1, false},
			{"lying type", blobtest.Sum(text), func() io.Reader { return bytes.NewReader(text) }, int64(len(text)),
				domain.CodeUnsupported, "body", -1, false},
			{"too large, size unknown", blobtest.Sum(big), func() io.Reader { return bytes.NewReader(big) }, -1,
				domain.CodeTooLarge, "", testLimit + 1, false},
			{"too large, size declared", blobtest.Sum(big), nil, int64(len(big)), domain.CodeTooLarge, "", 0, true},
			{"cut short", blobtest.Sum(big[:1000]), func() io.Reader { return cutReader(big, 600) }, 1000,
				domain.CodeInvalid, "body", -1, false},
			{"not a hash", strings.ToUpper(h), func() io.Reader { return bytes.NewReader(photo) }, -1,
				domain.CodeInvalid, "sha256", -1, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var body io.Reader = &failReader{t: t}
				if !tc.readNone {
					body = tc.body()
				}
				counted := &countingReader{r: body}
				_, _, err := e.svc.Put(ctx, techA, tc.hash, counted, tc.size)
				if domain.ErrorCode(err) != tc.code {
					t.Fatalf("Put = %v, want code %s", err, tc.code)
				}
				if tc.field != "" && fieldOf(err, tc.field) == "" {
					t.Errorf("error fields %v, want %q named", domain.ErrorFields(err), tc.field)
				}
				if tc.maxRead >= 0 && counted.n > tc.maxRead {
					t.Errorf("read %d bytes, want at most %d", counted.n, tc.maxRead)
				}
				if left := e.keys(t, blobs.TempPrefix); len(left) > 0 {
					t.Errorf("temporary objects left: %v", left)
				}
				if _, err := e.meta.Get(ctx, tc.hash); !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("metadata of a refused photo: %v", err)
				}
				if _, err := e.objects.Stat(ctx, blobs.OriginalKey(tc.hash)); !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("object of a refused photo: %v", err)
				}
			})
		}
		if got := e.keys(t, "blobs/"); !slices.Equal(got, []string{blobs.OriginalKey(h)}) {
			t.Errorf("originals %v, want only the accepted photo", got)
		}
	})
}

// TestAdopt checks a finished resumable upload becoming a photo, and being refused.
func TestAdopt(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		pdf := blobtest.PDF("adopt")
		if err := e.objects.Put(ctx, blobs.TusPrefix+"u1", bytes.NewReader(pdf), int64(len(pdf)), "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Adopt(ctx, techA, blobtest.Sum([]byte("x")), blobs.TusPrefix+"u1"); fieldOf(err, "sha256") != blobs.FieldHashMismatch {
			t.Fatalf("Adopt with the wrong hash = %v, want hash_mismatch", err)
		}
		b, created, err := e.svc.Adopt(ctx, techA, blobtest.Sum(pdf), blobs.TusPrefix+"u1")
		if err != nil || !created || b.ContentType != blobs.TypePDF || b.Size != int64(len(pdf)) {
			t.Fatalf("Adopt = %+v, %v, %v", b, created, err)
		}
		if _, _, err := e.svc.Adopt(ctx, techA, blobtest.Sum(pdf), blobs.TusPrefix+"gone"); err != nil {
			t.Fatalf("Adopt of a photo already held = %v, want no error (nothing to read)", err)
		}
	})
}

// TestMissing checks the question a phone asks before uploading.
func TestMissing(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		photo := blobtest.PNG(3, 3)
		if _, _, err := e.svc.Put(ctx, techA, blobtest.Sum(photo), bytes.NewReader(photo), -1); err != nil {
			t.Fatal(err)
		}
		a, b := blobtest.Sum([]byte("a")), blobtest.Sum([]byte("b"))
		got, err := e.svc.Missing(ctx, []string{a, blobtest.Sum(photo), b, a})
		if err != nil || !slices.Equal(got, []string{a, b}) {
			t.Fatalf("Missing = %v, %v; want [a b] in order, once each", got, err)
		}
		if _, err := e.svc.Missing(ctx, []string{a, "not-a-hash"}); fieldOf(err, "hashes[1]") != blobs.FieldNotSHA256 {
			t.Errorf("Missing with a bad hash = %v", err)
		}
		if _, err := e.svc.Missing(ctx, make([]string, blobs.MaxMissingQuery+1)); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("Missing with too many hashes = %v", err)
		}
	})
}

// TestConcurrentUploads races two uploads of one address, one with the right bytes and one with
// wrong ones: the slow one stops half-way, either after it took the address's claim (a big photo:
// the first bytes are read) or before (a small one), while the other runs. Whichever wins, the
// photo ends up with the right bytes and the wrong ones are never kept.
func TestConcurrentUploads(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cases := []struct {
			name        string
			slowIsRight bool
			pad         int // bytes after the JPEG: above 3 KiB the slow upload claims before it stops
		}{
			{"slow right upload holds the claim", true, 64 << 10},
			{"slow wrong upload holds the claim", false, 64 << 10},
			{"slow wrong upload stops before it claims", false, 0},
			{"slow right upload stops before it claims", true, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				right := append(blobtest.JPEG(40, 30, blobtest.EXIF{}, tc.name), make([]byte, tc.pad)...)
				wrong := append(blobtest.JPEG(40, 30, blobtest.EXIF{}, tc.name+" forged"), make([]byte, tc.pad)...)
				h := blobtest.Sum(right)
				slow, fast := wrong, right
				if tc.slowIsRight {
					slow, fast = right, wrong
				}
				gate := make(chan struct{})
				done, fastDone := make(chan error, 1), make(chan error, 1)
				go func() {
					_, _, err := e.svc.Put(ctx, techA, h, io.MultiReader(bytes.NewReader(slow[:len(slow)/2]),
						gatedReader{gate: gate, r: bytes.NewReader(slow[len(slow)/2:])}), -1)
					done <- err
				}()
				time.Sleep(200 * time.Millisecond)
				go func() {
					_, _, err := e.svc.Put(ctx, techA2, h, bytes.NewReader(fast), int64(len(fast)))
					fastDone <- err
				}()
				time.Sleep(200 * time.Millisecond) // the fast one is done, or waits for the claim
				close(gate)
				slowErr, fastErr := <-done, <-fastDone
				if tc.slowIsRight && slowErr != nil || !tc.slowIsRight && fastErr != nil {
					t.Fatalf("the right upload failed: slow %v, fast %v", slowErr, fastErr)
				}
				rc, _, err := e.objects.Get(ctx, blobs.OriginalKey(h))
				if err != nil {
					t.Fatalf("the photo: %v", err)
				}
				stored, _ := io.ReadAll(rc)
				_ = rc.Close()
				if !bytes.Equal(stored, right) {
					t.Error("the photo's address holds the wrong bytes")
				}
				if _, err := e.meta.Get(ctx, h); err != nil {
					t.Errorf("metadata: %v", err)
				}
				if left := e.keys(t, blobs.TempPrefix); len(left) > 0 {
					t.Errorf("temporary objects left: %v", left)
				}
			})
		}
	})
}

// gatedReader blocks its first Read until gate is closed.
type gatedReader struct {
	gate chan struct{}
	r    io.Reader
}

func (g gatedReader) Read(p []byte) (int, error) {
	<-g.gate
	return g.r.Read(p)
}
