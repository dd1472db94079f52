package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/sync/storetest"
	"github.com/fieldsync/fieldsync/sync/versitygw"
)

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServe runs `fieldsync serve` with env until the returned stop is called (or cleanup),
// and waits until /readyz answers 200, failing after 10 s.
func startServe(t *testing.T, env func(string) string) (addr string, stop func() string) {
	t.Helper()
	addr = env("FIELDSYNC_LISTEN")
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncWriter
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run(ctx, nil, env, strings.NewReader(""), io.Discard, &logs) }()
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
		return logs.String()
	}
	t.Cleanup(func() { stop() })
	for time.Since(start) < 10*time.Second {
		if status, _ := get(t, "http://"+addr+"/readyz"); status == 200 {
			t.Logf("ready after %s", time.Since(start).Round(time.Millisecond))
			return addr, stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended at start: %v\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("/readyz not 200 within 10 s\n%s", logs.String())
	return "", nil
}

type syncWriter struct{ buf bytes.Buffer }

func (w *syncWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *syncWriter) String() string              { return w.buf.String() }

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// call sends a JSON request (body nil: none) with a bearer token (empty: none) and decodes the answer.
func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func login(t *testing.T, addr, username, password string) string {
	t.Helper()
	status, body := call(t, http.MethodPost, "http://"+addr+"/v1/auth/login", "", map[string]any{
		"username": username, "password": password, "deviceId": "phone-" + username, "deviceName": "test phone"})
	if status != 200 {
		t.Fatalf("login %s: %d %v", username, status, body)
	}
	return body["accessToken"].(string)
}

// TestEmbeddedServerKeepsDataAcrossRestarts is the first-run story: set up accounts with the
// command line, start the server on the embedded stores, sync a record, restart, find it again.
func TestEmbeddedServerKeepsDataAcrossRestarts(t *testing.T) {
	storetest.ReserveObjectGateway(t) // the app starts its own embedded gateway
	dir := t.TempDir()
	env := adminEnv(dir, "FIELDSYNC_LISTEN", freeAddr(t))
	for _, args := range [][]string{
		{"create-team", "--name", "售后一组"},
		{"create-user", "--username", "li.ming", "--role", "technician", "--team", "售后一组"},
	} {
		if _, stderr, err := runAdmin(t, env, "a long enough password\n", args...); err != nil {
			t.Fatalf("admin %v: %v %s", args, err, stderr)
		}
	}

	addr, stop := startServe(t, env)
	token := login(t, addr, "li.ming", "a long enough password")
	status, body := call(t, http.MethodPost, "http://"+addr+"/v1/sync/push", token, map[string]any{"mutations": []any{map[string]any{
		"mutationId": "m-1", "collection": "service_forms", "id": "form-1", "op": "upsert", "baseVersion": 0,
		"fields": map[string]any{"workDone": "换压缩机", "feeCollectedFen": 12000}, "clientTime": "2026-11-02T09:00:00+08:00"}}})
	if status != 200 || body["results"].([]any)[0].(map[string]any)["status"] != "applied" {
		t.Fatalf("push: %d %v", status, body)
	}
	logs := stop()
	if !strings.Contains(logs, "embedded SQLite") || !strings.Contains(logs, "embedded versitygw") {
		t.Errorf("the log does not say which mode runs:\n%s", logs)
	}

	addr, _ = startServe(t, env)
	token = login(t, addr, "li.ming", "a long enough password")
	status, body = call(t, http.MethodGet, "http://"+addr+"/v1/sync/pull", token, nil)
	changes, _ := body["changes"].([]any)
	var rec map[string]any
	for _, c := range changes {
		if ch := c.(map[string]any); ch["collection"] == "service_forms" && ch["id"] == "form-1" {
			rec = ch["record"].(map[string]any)
		}
	}
	if status != 200 || rec == nil {
		t.Fatalf("pull after restart: %d %v", status, body)
	}
	if rec["workDone"] != "换压缩机" || rec["feeCollectedFen"] != float64(12000) {
		t.Fatalf("record after restart: %v", rec)
	}
}

// TestReadyzFollowsTheObjectStore stops the object store under a running server: /readyz
// answers 503 naming it, then 200 again once it is back.
func TestReadyzFollowsTheObjectStore(t *testing.T) {
	storetest.ReserveObjectGateway(t)
	gw, err := versitygw.Start(context.Background(), versitygw.Options{Dir: t.TempDir(), ListenAddr: freeAddr(t),
		AccessKey: "readyz-test-access", SecretKey: "readyz-test-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Stop(context.Background()) })
	env := adminEnv(t.TempDir(), "FIELDSYNC_LISTEN", freeAddr(t), "FIELDSYNC_S3_ENDPOINT", gw.Endpoint(),
		"FIELDSYNC_S3_ACCESS_KEY", "readyz-test-access", "FIELDSYNC_S3_SECRET_KEY", "readyz-test-secret-0123456789")
	addr, _ := startServe(t, env)
	url := "http://" + addr + "/readyz"

	if err := gw.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	status, body := get(t, url)
	e, _ := body["error"].(map[string]any)
	fields, _ := e["fields"].(map[string]any)
	if status != 503 || e["code"] != "unavailable" || fields["objectstore"] != "unavailable" || fields["mongo"] != nil {
		t.Fatalf("with the object store down: %d %v", status, body)
	}
	if !strings.Contains(fmt.Sprint(e["message"]), "objectstore") {
		t.Errorf("message %q does not name the store", e["message"])
	}

	gw, err = versitygw.Start(context.Background(), gw.Options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Stop(context.Background()) })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if status, _ := get(t, url); status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover after the object store came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestProductionRulesFlagDuplicateReceipts pushes, through the wiring of the real binary, two
// receipts of one image (R16): both are accepted, the second names the first.
func TestProductionRulesFlagDuplicateReceipts(t *testing.T) {
	storetest.ReserveObjectGateway(t)
	dir := t.TempDir()
	env := adminEnv(dir, "FIELDSYNC_LISTEN", freeAddr(t))
	for _, args := range [][]string{
		{"create-team", "--name", "售后一组"},
		{"create-user", "--username", "li.ming", "--role", "technician", "--team", "售后一组"},
	} {
		if _, stderr, err := runAdmin(t, env, "a long enough password\n", args...); err != nil {
			t.Fatalf("admin %v: %v %s", args, err, stderr)
		}
	}
	addr, _ := startServe(t, env)
	token := login(t, addr, "li.ming", "a long enough password")
	photo := strings.Repeat("ab", 32)
	receipt := func(id string) map[string]any {
		return map[string]any{"mutationId": "m-" + id, "collection": "receipts", "id": id, "op": "upsert", "baseVersion": 0,
			"fields": map[string]any{"photo": photo, "amountFen": 3500, "date": "2026-11-02", "category": "taxi",
				"tripLogId": "trip-1"},
			"clientTime": "2026-11-02T09:00:00+08:00"}
	}
	for _, id := range []string{"r-1", "r-2"} {
		status, body := call(t, http.MethodPost, "http://"+addr+"/v1/sync/push", token, map[string]any{"mutations": []any{receipt(id)}})
		if r := body["results"].([]any)[0].(map[string]any); status != 200 || r["status"] != "applied" {
			t.Fatalf("push %s: %d %v", id, status, body)
		}
	}
	_, body := call(t, http.MethodGet, "http://"+addr+"/v1/sync/pull", token, nil)
	for _, c := range body["changes"].([]any) {
		ch := c.(map[string]any)
		if ch["id"] != "r-2" {
			continue
		}
		dup, _ := ch["record"].(map[string]any)["duplicateOf"].(map[string]any)
		if dup["id"] != "r-1" || dup["collection"] != "receipts" {
			t.Fatalf("second receipt: %v", ch["record"])
		}
		return
	}
	t.Fatalf("r-2 not pulled: %v", body)
}
