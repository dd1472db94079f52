package server

import (
	"bufio"
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/blobtest"
)

// TestBlobUpload is PUT /v1/blobs/{sha256}, request → status → code, against every object store;
// after every refusal nothing is kept.
func TestBlobUpload(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		photo := blobtest.JPEG(64, 48, blobtest.EXIF{}, "upload")
		text := []byte("plain text, sent as a JPEG")
		cases := []struct {
			name        string
			hash        string
			body        []byte
			contentType string
			status      int
			code        string
		}{
			{"new photo", blobtest.Sum(photo), photo, "application/octet-stream", 201, ""},
			{"resend", blobtest.Sum(photo), photo, "image/jpeg", 200, ""},
			{"hash mismatch", blobtest.Sum([]byte("something else")), blobtest.PNG(8, 8), "image/png", 400, "invalid"},
			{"lying content type", blobtest.Sum(text), text, "image/jpeg", 415, "unsupported"},
			{"malformed address", "abc", photo, "image/jpeg", 400, "invalid"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				status, body := bf.put("techA", tc.hash, tc.body, tc.contentType)
				if status != tc.status || (tc.code != "" && errorCode(body) != tc.code) {
					t.Fatalf("status %d %v, want %d %s", status, body, tc.status, tc.code)
				}
				if tc.code == "" && (body["sha256"] != tc.hash || body["contentType"] != "image/jpeg") {
					t.Errorf("answer %v", body)
				}
			})
		}
		t.Run("over the size limit", func(t *testing.T) {
			big := append(blobtest.JPEG(8, 8, blobtest.EXIF{}, "big"), bytes.Repeat([]byte{1}, blobTestLimit)...)
			// Declared: refused from the headers, the body never sent.
			status, raw := rawExchange(t, bf.addr, fmt.Sprintf("PUT /v1/blobs/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
				"Content-Length: %d\r\n\r\n", blobtest.Sum(big), bf.token("techA"), len(big)))
			if status != 413 || !strings.Contains(raw, `"code":"too_large"`) {
				t.Errorf("declared: %d %s, want 413 too_large", status, raw)
			}
			// Chunked: refused once the limit is crossed.
			req, _ := http.NewRequest(http.MethodPut, "http://"+bf.addr+"/v1/blobs/"+blobtest.Sum(big), io.MultiReader(bytes.NewReader(big)))
			req.Header.Set("Authorization", "Bearer "+bf.token("techA"))
			req.ContentLength = -1
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 413 || !strings.Contains(string(out), `"code":"too_large"`) {
				t.Errorf("chunked: %d %s, want 413 too_large", resp.StatusCode, out)
			}
		})
		if got := bf.kept("blobs/"); len(got) != 1 || got[0] != blobs.OriginalKey(blobtest.Sum(photo)) {
			t.Errorf("originals kept %v, want only the accepted photo", got)
		}
		if got := bf.kept(blobs.TempPrefix); len(got) > 0 {
			t.Errorf("temporary objects left: %v", got)
		}

		status, _, body := bf.call("techA", http.MethodPost, "/v1/blobs/missing", map[string]any{
			"hashes": []string{blobtest.Sum(photo), blobtest.Sum(text)}})
		if status != 200 || fmt.Sprint(body["missing"]) != fmt.Sprint([]any{blobtest.Sum(text)}) {
			t.Errorf("missing: %d %v", status, body)
		}
		status, _, body = bf.call("techA", http.MethodPost, "/v1/blobs/missing", map[string]any{"hashes": []string{"nope"}})
		if status != 400 || body["error"].(map[string]any)["fields"].(map[string]any)["hashes[0]"] != "sha256" {
			t.Errorf("missing with a bad hash: %d %v", status, body)
		}
	})
}

// TestBlobResendReadsNoBody sends a photo the server has over a real connection, with a body
// that gives the first 8 KiB (what the server prefetches with the headers) and then blocks: the
// answer must come anyway, so the server did not wait for the rest.
func TestBlobResendReadsNoBody(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		photo := append(blobtest.JPEG(32, 32, blobtest.EXIF{}, "resend"), bytes.Repeat([]byte{7}, 1<<20)...)
		if status, body := bf.put("techA", blobtest.Sum(photo), photo, "image/jpeg"); status != 201 {
			t.Fatalf("first upload: %d %v", status, body)
		}
		body := &stallingReader{data: photo, allow: 8 << 10, release: make(chan struct{})}
		defer close(body.release)
		req, _ := http.NewRequest(http.MethodPut, "http://"+bf.addr+"/v1/blobs/"+blobtest.Sum(photo), body)
		req.ContentLength = int64(len(photo))
		req.Header.Set("Authorization", "Bearer "+bf.token("leaderA"))
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("resend: %v (the server waited for the body)", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("resend: status %d, want 200", resp.StatusCode)
		}
		if n := body.served(); n > 8<<10 {
			t.Errorf("%d bytes of the body read, want at most the 8 KiB prefetch", n)
		}
	})
}

// stallingReader gives allow bytes of data, then blocks until release is closed.
type stallingReader struct {
	mu      stdsync.Mutex
	data    []byte
	n       int
	allow   int
	release chan struct{}
}

func (r *stallingReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	if r.n >= r.allow {
		r.mu.Unlock()
		<-r.release
		return 0, io.ErrClosedPipe
	}
	n := copy(p, r.data[r.n:r.allow])
	r.n += n
	r.mu.Unlock()
	return n, nil
}

func (r *stallingReader) served() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// rawExchange writes head (a request without its body) on a new connection and reads the
// answer: the status and the body.
func rawExchange(t *testing.T, addr, head string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestBlobThumbnailOverHTTP fetches the thumbnail of a photo taken with the phone turned: it is
// upright (width and height swapped), carries no EXIF, and caches like the original.
func TestBlobThumbnailOverHTTP(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		photo := blobtest.JPEG(400, 200, blobtest.EXIF{Orientation: 6, GPS: true, Lat: 34.75, Lon: 113.62}, "turned")
		h := blobtest.Sum(photo)
		if status, body := bf.put("techA", h, photo, "image/jpeg"); status != 201 {
			t.Fatalf("upload: %d %v", status, body)
		}
		status, hdr, out := bf.raw("techA", http.MethodGet, "/v1/blobs/"+h+"/thumbnail?w=160", nil, nil)
		if status != 200 || hdr.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("thumbnail: %d %s", status, hdr.Get("Content-Type"))
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width != 160 || cfg.Height != 320 {
			t.Errorf("thumbnail %dx%d (%v), want 160x320: turned upright", cfg.Width, cfg.Height, err)
		}
		if blobtest.HasAPP1(out) {
			t.Error("thumbnail has an EXIF (APP1) segment")
		}
		etag := hdr.Get("ETag")
		if etag != `"`+h+`-w160"` || !strings.Contains(hdr.Get("Cache-Control"), "immutable") {
			t.Errorf("ETag %q Cache-Control %q", etag, hdr.Get("Cache-Control"))
		}
		if status, _, _ := bf.raw("techA", http.MethodGet, "/v1/blobs/"+h+"/thumbnail?w=160", nil, map[string]string{"If-None-Match": etag}); status != 304 {
			t.Errorf("If-None-Match: %d, want 304", status)
		}
		if status, _, _ := bf.raw("techA", http.MethodGet, "/v1/blobs/"+h+"/thumbnail?w=100", nil, nil); status != 400 {
			t.Errorf("width 100: %d, want 400", status)
		}
		status, hdr, out = bf.raw("techA", http.MethodGet, "/v1/blobs/"+h, nil, nil)
		if status != 200 || !bytes.Equal(out, photo) || hdr.Get("ETag") != `"`+h+`"` || hdr.Get("Content-Type") != "image/jpeg" {
			t.Errorf("original: %d, %d bytes, ETag %q, type %q", status, len(out), hdr.Get("ETag"), hdr.Get("Content-Type"))
		}
		if status, _, _ := bf.raw("techA", http.MethodGet, "/v1/blobs/"+h, nil, map[string]string{"If-None-Match": `"` + h + `"`}); status != 304 {
			t.Errorf("original If-None-Match: %d, want 304", status)
		}
	})
}

// TestBlobAccess: the uploader and whoever sees a referring record read a photo; a stranger and
// another team's leader get 404, the same answer as for a photo that does not exist, even when
// they send its ETag.
func TestBlobAccess(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		photo := blobtest.JPEG(48, 32, blobtest.EXIF{GPS: true, Lat: 34.7466, Lon: 113.6254}, "access")
		h := blobtest.Sum(photo)
		if status, body := bf.put("techA", h, photo, "image/jpeg"); status != 201 {
			t.Fatalf("upload: %d %v", status, body)
		}
		bf.pushOne("techA", "receipts", "rcpt-access", map[string]any{"photo": h, "amountFen": 1800})
		absent := blobtest.Sum([]byte("absent"))
		cases := []struct {
			who, path string
			header    map[string]string
			status    int
		}{
			{"techA", "/v1/blobs/" + h, nil, 200},
			{"leaderA", "/v1/blobs/" + h, nil, 200},
			{"leaderA", "/v1/blobs/" + h + "/thumbnail", nil, 200},
			{"techB", "/v1/blobs/" + h, nil, 404},
			{"techB", "/v1/blobs/" + h, map[string]string{"If-None-Match": `"` + h + `"`}, 404},
			{"techB", "/v1/blobs/" + h + "/thumbnail", nil, 404},
			{"leaderB", "/v1/blobs/" + h, nil, 404},
			{"leaderB", "/v1/blobs/" + h + "/meta", nil, 404},
			{"techA", "/v1/blobs/" + absent, nil, 404},
			{"techA", "/v1/blobs/" + h + "/meta", nil, 403},
			{"leaderA", "/v1/blobs/" + h + "/meta", nil, 200},
			{"none", "/v1/blobs/" + h, nil, 401},
		}
		for _, tc := range cases {
			t.Run(tc.who+" "+strings.Replace(tc.path, h, "{h}", 1), func(t *testing.T) {
				status, _, out := bf.raw(tc.who, http.MethodGet, tc.path, nil, tc.header)
				if status != tc.status {
					t.Fatalf("status %d %s, want %d", status, out, tc.status)
				}
				if tc.status == 404 && !strings.Contains(string(out), `"code":"not_found","message":"no such photo"`) {
					t.Errorf("404 body %s: must not differ from a missing photo's", out)
				}
				if strings.HasSuffix(tc.path, "/meta") && tc.status == 200 && !strings.Contains(string(out), `"gps":{"lat":34.746`) {
					t.Errorf("leader's meta %s, want the GPS position", out)
				}
			})
		}
	})
}
