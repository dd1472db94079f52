package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

func newTestServer(t *testing.T, deps Deps) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	s := New(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), BodyLimit: 1 << 20}, deps)
	return s, &logs
}

func do(t *testing.T, s *Server, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return resp.StatusCode, resp.Header, body
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestErrorHandlerMapsCodes(t *testing.T) {
	s, logs := newTestServer(t, Deps{})
	cases := []struct {
		name    string
		err     error
		status  int
		code    string
		message string
	}{
		{"invalid with fields", domain.Invalid("bad input", map[string]string{"amount": "must be >= 0"}), 400, "invalid", "bad input"},
		{"wrapped not found", fmt.Errorf("load service form abc: %w", domain.ErrNotFound), 404, "not_found", "load service form abc: not_found"},
		{"conflict", domain.Errorf(domain.CodeConflict, "record is locked"), 409, "conflict", "record is locked"},
		{"too large", domain.Errorf(domain.CodeTooLarge, "batch above 500 mutations"), 413, "too_large", "batch above 500 mutations"},
		{"gone", domain.Errorf(domain.CodeGone, "cursor expired"), 410, "gone", "cursor expired"},
		{"unknown error hides details", errors.New("mongo: secret connection string"), 500, "internal", "internal error"},
		{"fiber error", fiber.ErrMethodNotAllowed, 405, "not_found", "Method Not Allowed"},
	}
	for i, tc := range cases {
		path := fmt.Sprintf("/test/%d", i)
		s.App().Get(path, func(*fiber.Ctx) error { return tc.err })
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := do(t, s, httptest.NewRequest(http.MethodGet, path, nil))
			if status != tc.status || errorCode(body) != tc.code {
				t.Fatalf("status %d code %q, want %d %q (%v)", status, errorCode(body), tc.status, tc.code, body)
			}
			e := body["error"].(map[string]any)
			if e["message"] != tc.message {
				t.Errorf("message %q, want %q", e["message"], tc.message)
			}
			if e["requestId"] != hdr.Get("X-Request-ID") || hdr.Get("X-Request-ID") == "" {
				t.Errorf("requestId %v, header %q", e["requestId"], hdr.Get("X-Request-ID"))
			}
		})
	}
	if n := strings.Count(logs.String(), `"msg":"internal error"`); n != 1 {
		t.Errorf("internal errors logged %d times, want exactly once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "secret connection string") {
		t.Errorf("the internal error's cause must reach the log")
	}
}

func TestInvalidFieldsReachTheClient(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	s.App().Get("/f", func(*fiber.Ctx) error {
		return domain.Invalid("invalid record", map[string]string{"amountFen": "must be >= 0"})
	})
	_, _, body := do(t, s, httptest.NewRequest(http.MethodGet, "/f", nil))
	fields := body["error"].(map[string]any)["fields"].(map[string]any)
	if fields["amountFen"] != "must be >= 0" {
		t.Fatalf("fields = %v", fields)
	}
}

func TestRequestID(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	cases := []struct {
		name, incoming string
		kept           bool
	}{
		{"generated when absent", "", false},
		{"kept when well formed", "lb-1234_abc.def", true},
		{"replaced when it could inject", "abc\"}\n{\"x", false},
		{"replaced when too long", strings.Repeat("a", 65), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			if tc.incoming != "" {
				req.Header.Set("X-Request-ID", tc.incoming)
			}
			_, hdr, _ := do(t, s, req)
			got := hdr.Get("X-Request-ID")
			if got == "" || (got == tc.incoming) != tc.kept {
				t.Fatalf("X-Request-ID %q for incoming %q (kept=%v)", got, tc.incoming, tc.kept)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	s.App().Post("/echo", func(c *fiber.Ctx) error { return c.SendStatus(204) })
	_, addr := listen(t, s)
	// Announce a body above the limit; the server must answer 413 from the headers alone.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 2<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(raw), `"code":"too_large"`) {
		t.Fatalf("status %d body %s, want 413 too_large", resp.StatusCode, raw)
	}
}

func TestReadyz(t *testing.T) {
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return fmt.Errorf("ping: %w", domain.ErrUnavailable) }
	cases := []struct {
		name   string
		ready  map[string]Check
		status int
		failed []string
	}{
		{"all up", map[string]Check{"mongo": up, "objectstore": up}, 200, nil},
		{"object store down", map[string]Check{"mongo": up, "objectstore": down}, 503, []string{"objectstore"}},
		{"both down", map[string]Check{"mongo": down, "objectstore": down}, 503, []string{"mongo", "objectstore"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, Deps{Ready: tc.ready})
			status, _, body := do(t, s, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.failed == nil {
				return
			}
			if errorCode(body) != "unavailable" {
				t.Fatalf("code %q", errorCode(body))
			}
			fields := body["error"].(map[string]any)["fields"].(map[string]any)
			for _, name := range tc.failed {
				if fields[name] != "unavailable" {
					t.Errorf("fields %v do not name %s", fields, name)
				}
			}
			if len(fields) != len(tc.failed) {
				t.Errorf("fields %v, want only %v", fields, tc.failed)
			}
		})
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	s.App().Get("/v1/things/:id", func(c *fiber.Ctx) error { return c.SendStatus(204) })
	for _, p := range []string{"/v1/things/a", "/v1/things/b", "/nowhere/customer-name"} {
		do(t, s, httptest.NewRequest(http.MethodGet, p, nil))
	}
	resp, err := s.App().Test(httptest.NewRequest(http.MethodGet, "/metrics", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	text := string(raw)
	for _, want := range []string{
		`fieldsync_http_requests_total{method="GET",route="/v1/things/:id",status="204"} 2`,
		`fieldsync_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`fieldsync_http_request_duration_seconds_bucket{method="GET",route="/v1/things/:id",status="204"`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "customer-name") {
		t.Errorf("raw paths must not become metric labels")
	}
}

func TestLogsCarryNoQueryOrBody(t *testing.T) {
	s, logs := newTestServer(t, Deps{})
	s.App().Post("/v1/x", func(c *fiber.Ctx) error { return c.SendStatus(204) })
	req := httptest.NewRequest(http.MethodPost, "/v1/x?phone=13800138000", strings.NewReader(`{"customerName":"张三"}`))
	do(t, s, req)
	for _, secret := range []string{"13800138000", "张三", "customerName"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs.String(), `"route":"/v1/x"`) {
		t.Errorf("log lacks the route:\n%s", logs)
	}
}

func TestShutdownFinishesInFlightRequests(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	started := make(chan struct{})
	s.App().Get("/slow", func(c *fiber.Ctx) error {
		close(started)
		time.Sleep(300 * time.Millisecond)
		return c.SendString("done")
	})
	_, addr := listen(t, s)
	type answer struct {
		status int
		body   string
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- answer{status: resp.StatusCode, body: string(b)}
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	a := <-got
	if a.err != nil || a.status != 200 || a.body != "done" {
		t.Fatalf("in-flight request during shutdown: %+v", a)
	}
	if _, err := http.Get("http://" + addr + "/slow"); err == nil {
		t.Fatal("the server still accepts after shutdown")
	}
}
