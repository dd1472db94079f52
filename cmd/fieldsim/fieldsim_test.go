package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	stdsync "sync"
	"syscall"
	"testing"
	"time"
)

const testAdminPassword = "fieldsim test admin password"

var (
	buildOnce stdsync.Once
	buildBin  string
	buildErr  error
	buildOut  []byte
)

// serverBinary builds the fieldsync server once per test run (the release build) into a
// temporary directory.
func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fieldsim-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "fieldsync")
		cmd := exec.Command("go", "build", "-o", buildBin, "github.com/fieldsync/fieldsync/cmd/fieldsync")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build fieldsync: %v\n%s", buildErr, buildOut)
	}
	return buildBin
}

// startServer runs the real fieldsync binary with the dev clock on, on a fresh data directory
// (plus env), with an admin created beforehand by `fieldsync admin create-user`, and returns its
// URL. The server is stopped (SIGTERM) at cleanup; its log is shown when the test failed.
func startServer(t *testing.T, env ...string) string {
	t.Helper()
	bin := serverBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := append(os.Environ(), "FIELDSYNC_DATA_DIR="+t.TempDir(), "FIELDSYNC_PASSWORD_COST=4", "FIELDSYNC_LOG_LEVEL=warn",
		"FIELDSYNC_LISTEN="+addr, "FIELDSYNC_DEV_CLOCK=true")
	base = append(base, env...)

	admin := exec.Command(bin, "admin", "create-user", "--username", "admin", "--role", "admin")
	admin.Env, admin.Stdin = base, strings.NewReader(testAdminPassword+"\n")
	if out, err := admin.CombinedOutput(); err != nil {
		t.Fatalf("create the admin: %v\n%s", err, out)
	}
	var logs bytes.Buffer
	srv := exec.Command(bin)
	srv.Env, srv.Stdout, srv.Stderr = base, &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", tail(logs.String(), 4000))
		}
	})
	url := "http://" + addr
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
	}
	t.Fatalf("the server was not ready within 30 s\n%s", logs.String())
	return ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// shortConfig is the README's short simulation: one week (the last of October 2026, so that the
// month closes the morning after), 3 technicians, small photos.
func shortConfig(url string) Config {
	cfg := defaultConfig()
	cfg.URL, cfg.AdminPassword = url, testAdminPassword
	cfg.Start, cfg.Days, cfg.Technicians = "2026-10-26", 7, 3
	cfg.PhotoMinBytes, cfg.PhotoMaxBytes = 20_000, 200_000
	cfg.Progress, cfg.Settle, cfg.Timeout = "off", time.Second, 5*time.Minute
	return cfg
}

func simulate(t *testing.T, cfg Config) {
	t.Helper()
	var out bytes.Buffer
	res, err := Simulate(context.Background(), cfg, &out, func(int, int) {})
	t.Log(out.String())
	if err != nil {
		t.Fatalf("the simulation did not run: %v", err)
	}
	if len(res.Failures) > 0 {
		t.Fatalf("%d invariant checks failed (the report above lists them)", len(res.Failures))
	}
	if res.Mutations < 100 || res.Resent == 0 || res.Photos < 20 {
		t.Errorf("a thin simulation: %d mutations, %d resent, %d photos", res.Mutations, res.Resent, res.Photos)
	}
}

// TestShortSimulationEmbedded runs a week of three technicians against the server on its
// embedded stores (SQLite, versitygw) and requires every invariant check to pass.
func TestShortSimulationEmbedded(t *testing.T) {
	simulate(t, shortConfig(startServer(t)))
}

// TestShortSimulationMinIO is the same week with the photos on MinIO (FIELDSYNC_TEST_MINIO_*,
// set by scripts/test.sh); skipped without it.
func TestShortSimulationMinIO(t *testing.T) {
	endpoint, key, secret := os.Getenv("FIELDSYNC_TEST_MINIO_ENDPOINT"), os.Getenv("FIELDSYNC_TEST_MINIO_ACCESS_KEY"),
		os.Getenv("FIELDSYNC_TEST_MINIO_SECRET_KEY")
	if endpoint == "" || key == "" || secret == "" {
		t.Skip("FIELDSYNC_TEST_MINIO_ENDPOINT, _ACCESS_KEY and _SECRET_KEY are not set")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	simulate(t, shortConfig(startServer(t, "FIELDSYNC_S3_ENDPOINT="+endpoint, "FIELDSYNC_S3_ACCESS_KEY="+key,
		"FIELDSYNC_S3_SECRET_KEY="+secret, "FIELDSYNC_S3_BUCKET=fieldsim-"+hex.EncodeToString(b[:]))))
}

// TestPeriodAfterAnEarlierRun: a second default run against the same server cannot go back in
// time, so it simulates the month after the server's clock (names prefixed by the run).
func TestPeriodAfterAnEarlierRun(t *testing.T) {
	url := startServer(t)
	cfg := shortConfig(url)
	s := &sim{cfg: cfg, hc: http.DefaultClient}
	s.admin = newClient(url, s.hc, cfg.AdminUser, cfg.AdminPassword, "period-test")
	if err := s.admin.login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.setClock(context.Background(), time.Date(2026, 10, 28, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, start string
		wantStart   string
		wantErr     bool
	}{
		{"explicit start before the clock", "2026-10-26", "", true},
		{"explicit start after the clock", "2026-11-02", "2026-11-02", false},
		{"default: the month after the clock", "", "2026-11-01", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.cfg.Start = tc.start
			err := s.period(context.Background())
			if (err != nil) != tc.wantErr {
				t.Fatalf("period: %v, want error %v", err, tc.wantErr)
			}
			if err == nil && s.start.Format(time.DateOnly) != tc.wantStart {
				t.Errorf("start %s, want %s", s.start.Format(time.DateOnly), tc.wantStart)
			}
		})
	}
	// The clock only moves forward, and a disabled clock answers 404.
	err := s.admin.call(context.Background(), http.MethodPut, "/v1/dev/clock", map[string]any{"now": "2026-10-01T00:00:00Z"}, nil)
	if statusOf(err) != http.StatusConflict {
		t.Errorf("setting the clock back: %v, want 409", err)
	}
	if err := s.admin.call(context.Background(), http.MethodPut, "/v1/dev/clock", map[string]any{"now": "2026-10-01T00:00:00Z", "reset": true}, nil); err != nil {
		t.Errorf("reset: %v", err)
	}
}

// TestServerWithoutDevClock: a server started without FIELDSYNC_DEV_CLOCK has no clock routes
// (404), and the simulator refuses to run rather than judge a past month on today's clock.
func TestServerWithoutDevClock(t *testing.T) {
	url := startServer(t, "FIELDSYNC_DEV_CLOCK=false")
	cfg := shortConfig(url)
	_, err := Simulate(context.Background(), cfg, io.Discard, func(int, int) {})
	if err == nil || !strings.Contains(err.Error(), "FIELDSYNC_DEV_CLOCK") {
		t.Fatalf("Simulate without a dev clock: %v, want an error naming FIELDSYNC_DEV_CLOCK", err)
	}
}
