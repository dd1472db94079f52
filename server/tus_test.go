package server

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/blobtest"
)

// tusCall sends one tus request as who over the real connection and returns the response with
// its body read.
func (bf *blobFixture) tusCall(who, method, path string, header map[string]string, body []byte) (*http.Response, string) {
	bf.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = "http://" + bf.addr + path
	}
	req, err := http.NewRequest(method, path, bytes.NewReader(body))
	if err != nil {
		bf.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+bf.token(who))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		bf.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// createUpload starts a tus upload of size bytes for the photo h and returns its URL.
func (bf *blobFixture) createUpload(who, h string, size int) string {
	bf.t.Helper()
	resp, body := bf.tusCall(who, http.MethodPost, "/v1/uploads/", map[string]string{
		"Upload-Length":   strconv.Itoa(size),
		"Upload-Metadata": "sha256 " + base64.StdEncoding.EncodeToString([]byte(h)) + ",filename " + base64.StdEncoding.EncodeToString([]byte("收据.jpg")),
	}, nil)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") == "" {
		bf.t.Fatalf("create upload: %d %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// offset asks HEAD for the upload's offset.
func (bf *blobFixture) offset(who, url string) (int, int) {
	bf.t.Helper()
	resp, _ := bf.tusCall(who, http.MethodHead, url, nil, nil)
	n, _ := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	return resp.StatusCode, n
}

func patchHeaders(offset int) map[string]string {
	return map[string]string{"Upload-Offset": strconv.Itoa(offset), "Content-Type": "application/offset+octet-stream"}
}

// TestTusInterruptedAndResumed cuts a PATCH half-way (the connection closes mid-body), asks HEAD
// for the offset, and resumes from there; the finished upload is the photo at its address. The
// upload spans a 5 MiB S3 part, so both the completed parts and the kept remainder are
// exercised.
func TestTusInterruptedAndResumed(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		photo := append(blobtest.JPEG(32, 32, blobtest.EXIF{}, "tus"), make([]byte, 7<<20)...)
		_, _ = rand.Read(photo[200:])
		h := blobtest.Sum(photo)
		url := bf.createUpload("techA", h, len(photo))
		path := strings.TrimPrefix(url, "http://"+bf.addr)

		cut := 6 << 20
		conn, err := net.Dial("tcp", bf.addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"+
			"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
			path, bf.addr, bf.token("techA"), len(photo))
		if _, err := conn.Write(photo[:cut]); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close() // the phone loses its signal

		// The HEAD asks the cut PATCH, if the server still runs it, to stop and save what it
		// has read: the offset is what was saved, at most what was sent.
		status, offset := bf.offset("techA", url)
		if status != 200 || offset <= 0 || offset > cut {
			t.Fatalf("HEAD after the cut: %d offset %d, want 200 and 0 < offset <= %d", status, offset, cut)
		}
		t.Logf("resuming at %d of %d bytes (%d sent before the cut)", offset, len(photo), cut)
		if status, _ := bf.offset("techB", url); status != 404 {
			t.Errorf("another user's HEAD: %d, want 404", status)
		}
		if got := bf.kept("blobs/"); len(got) > 0 {
			t.Fatalf("a photo exists before its upload finished: %v", got)
		}

		resp, body := bf.tusCall("techA", http.MethodPatch, url, patchHeaders(offset), photo[offset:])
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.Itoa(len(photo)) {
			t.Fatalf("resume: %d offset %s %s", resp.StatusCode, resp.Header.Get("Upload-Offset"), body)
		}
		status, _, stored := bf.raw("techA", http.MethodGet, "/v1/blobs/"+h, nil, nil)
		if status != 200 || !bytes.Equal(stored, photo) {
			t.Fatalf("the finished upload: %d, %d bytes, want the %d bytes of the photo", status, len(stored), len(photo))
		}
		if status, _ := bf.offset("techA", url); status != 404 {
			t.Errorf("HEAD of the finished upload: %d, want 404 (it became the photo)", status)
		}
		if left := bf.kept(blobs.TusPrefix); len(left) > 0 {
			t.Errorf("tus objects left after the finish: %v", left)
		}
	})
}

// TestTusRefusals: what a resumable upload refuses, and that a refused finish keeps nothing.
func TestTusRefusals(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, bf *blobFixture) {
		t.Run("no sha256 in the metadata", func(t *testing.T) {
			resp, body := bf.tusCall("techA", http.MethodPost, "/v1/uploads/", map[string]string{"Upload-Length": "10"}, nil)
			if resp.StatusCode != 400 || !strings.Contains(body, `"code":"invalid"`) {
				t.Errorf("%d %s, want 400 invalid", resp.StatusCode, body)
			}
		})
		t.Run("over the size limit", func(t *testing.T) {
			resp, body := bf.tusCall("techA", http.MethodPost, "/v1/uploads/", map[string]string{
				"Upload-Length":   strconv.Itoa(blobTestLimit + 1),
				"Upload-Metadata": "sha256 " + base64.StdEncoding.EncodeToString([]byte(blobtest.Sum([]byte("x"))))}, nil)
			if resp.StatusCode != 413 || !strings.Contains(body, `"code":"too_large"`) {
				t.Errorf("%d %s, want 413 too_large", resp.StatusCode, body)
			}
		})
		t.Run("bytes that do not hash to the address", func(t *testing.T) {
			photo := blobtest.PNG(10, 10)
			h := blobtest.Sum([]byte("claimed"))
			url := bf.createUpload("techA", h, len(photo))
			resp, body := bf.tusCall("techA", http.MethodPatch, url, patchHeaders(0), photo)
			if resp.StatusCode != 400 || !strings.Contains(body, `"hash_mismatch"`) {
				t.Errorf("finish: %d %s, want 400 hash_mismatch", resp.StatusCode, body)
			}
			if status, _ := bf.offset("techA", url); status != 404 {
				t.Errorf("refused upload still there: HEAD %d", status)
			}
			if got := bf.kept("blobs/"); len(got) > 0 {
				t.Errorf("kept %v", got)
			}
		})
		t.Run("unauthenticated", func(t *testing.T) {
			resp, _ := bf.tusCall("none", http.MethodPost, "/v1/uploads/", map[string]string{"Upload-Length": "10"}, nil)
			if resp.StatusCode != 401 {
				t.Errorf("%d, want 401", resp.StatusCode)
			}
		})
	})
}
