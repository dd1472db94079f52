package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldsync/fieldsync/sync/storetest"
)

// testPNG is a small real PNG and its SHA-256 (hex).
func testPNG(t *testing.T) ([]byte, string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(3, 4, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:])
}

// pullOne pulls the first page as token and returns the change of id (nil when absent).
func pullOne(t *testing.T, addr, token, id string) map[string]any {
	t.Helper()
	status, body := call(t, http.MethodGet, "http://"+addr+"/v1/sync/pull", token, nil)
	if status != 200 {
		t.Fatalf("pull: %d %v", status, body)
	}
	for _, c := range body["changes"].([]any) {
		if ch := c.(map[string]any); ch["id"] == id {
			return ch
		}
	}
	return nil
}

// TestBackupDumpRestoreBesideTheServer is the operator's story of moving data: with the
// server running on the embedded store, `admin backup DIR` and `admin dump` copy it;
// each copy, served by a new server, gives the technician the same record (same seq and
// version) and the same photo. A restore into a store that is not empty is refused.
func TestBackupDumpRestoreBesideTheServer(t *testing.T) {
	storetest.ReserveObjectGateway(t)
	dir := t.TempDir()
	env := adminEnv(dir, "FIELDSYNC_LISTEN", freeAddr(t))
	addr, stop := startServe(t, env)
	for _, args := range [][]string{
		{"create-team", "--name", "售后一组"},
		{"create-user", "--username", "li.ming", "--role", "technician", "--team", "售后一组"},
	} {
		if _, stderr, err := runAdmin(t, env, "a long enough password\n", args...); err != nil {
			t.Fatalf("admin %v: %v %s", args, err, stderr)
		}
	}
	token := login(t, addr, "li.ming", "a long enough password")
	photo, hash := testPNG(t)
	req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/v1/blobs/"+hash, bytes.NewReader(photo))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT photo: %v %v", resp, err)
	}
	resp.Body.Close()
	status, body := call(t, http.MethodPost, "http://"+addr+"/v1/sync/push", token, map[string]any{"mutations": []any{map[string]any{
		"mutationId": "m-1", "collection": "service_forms", "id": "form-1", "op": "upsert", "baseVersion": 0,
		"fields":     map[string]any{"workDone": "换压缩机", "feeCollectedFen": 12000, "photos": []any{hash}},
		"clientTime": "2026-11-02T09:00:00+08:00"}}})
	if status != 200 || body["results"].([]any)[0].(map[string]any)["status"] != "applied" {
		t.Fatalf("push: %d %v", status, body)
	}
	want := pullOne(t, addr, token, "form-1")
	if want == nil {
		t.Fatal("form-1 not pulled before the copies")
	}

	backupDir := filepath.Join(t.TempDir(), "backup")
	if out, stderr, err := runAdmin(t, env, "", "backup", backupDir); err != nil || !strings.Contains(out, "backed up") {
		t.Fatalf("backup beside the server: %q %v %s", out, err, stderr)
	}
	if _, _, err := runAdmin(t, env, "", "backup", backupDir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("backup into a full directory: %v", err)
	}
	besideFile := filepath.Join(t.TempDir(), "beside.jsonl")
	if _, stderr, err := runAdmin(t, env, "", "dump", "--out", besideFile); err != nil || !strings.Contains(stderr, "record") {
		t.Fatalf("dump beside the server: %v %s", err, stderr)
	}
	if _, _, err := runAdmin(t, env, "", "restore", "--in", besideFile); err == nil || !strings.Contains(err.Error(), "new data directory") {
		t.Errorf("restore into the running server's store: %v", err)
	}
	stop()
	// With the photos (this test process can run one embedded gateway at a time: the server's
	// is stopped; a real admin command is a process of its own).
	dumpFile := filepath.Join(t.TempDir(), "fieldsync.jsonl")
	if _, stderr, err := runAdmin(t, env, "", "dump", "--photos", "--out", dumpFile); err != nil || !strings.Contains(stderr, "object") {
		t.Fatalf("dump --photos: %v %s", err, stderr)
	}

	restoredDir := t.TempDir()
	restoredEnv := adminEnv(restoredDir, "FIELDSYNC_LISTEN", freeAddr(t))
	if out, stderr, err := runAdmin(t, restoredEnv, "", "restore", "--photos", "--in", dumpFile); err != nil || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %q %v %s", out, err, stderr)
	}
	for name, e := range map[string]func(string) string{
		"backup":   adminEnv(backupDir, "FIELDSYNC_LISTEN", freeAddr(t)),
		"restored": restoredEnv,
	} {
		addr, stop := startServe(t, e)
		token := login(t, addr, "li.ming", "a long enough password")
		got := pullOne(t, addr, token, "form-1")
		if got == nil || got["seq"] != want["seq"] || got["version"] != want["version"] {
			t.Errorf("%s: form-1 = %v; want seq %v version %v", name, got, want["seq"], want["version"])
		}
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/blobs/"+hash, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: GET photo: %v", name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(b, photo) {
			t.Errorf("%s: GET photo = %d, %d bytes; want 200 and the original", name, resp.StatusCode, len(b))
		}
		stop()
	}
}

// TestDumpOutRefusesAnExistingFile: a dump never overwrites a file, and backup wants its DIR.
func TestDumpOutRefusesAnExistingFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "exists.jsonl")
	if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runAdmin(t, adminEnv(dir), "", "dump", "--out", out); err == nil {
		t.Fatal("dump over an existing file succeeded")
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Errorf("the existing file was changed: %q", b)
	}
	if _, _, err := runAdmin(t, adminEnv(dir), "", "backup"); err == nil || !strings.Contains(err.Error(), "name the DIR") {
		t.Errorf("backup without DIR: %v", err)
	}
}
