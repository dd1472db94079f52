package server

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fieldsync/fieldsync/server/console"
)

// consoleFS is a stand-in for the console's web/ directory: the contract of the static routes
// does not depend on the front end's files.
var consoleFS = fstest.MapFS{
	"index.html":           {Data: []byte("<!doctype html><title>控制台</title>")},
	"js/app.js":            {Data: []byte("export const x = 1;\n")},
	"css/app.css":          {Data: []byte("body{}\n")},
	"img/logo.svg":         {Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
	"img/icon.png":         {Data: []byte("\x89PNG\r\n\x1a\n")},
	"i18n/zh.json":         {Data: []byte(`{"hello":"你好"}`)},
	"manifest.webmanifest": {Data: []byte(`{}`)},
}

// consoleHeadersWanted are the headers every /console answer carries.
var consoleHeadersWanted = map[string]string{
	"Content-Security-Policy":    ConsoleCSP,
	"X-Content-Type-Options":     "nosniff",
	"Referrer-Policy":            "no-referrer",
	"X-Frame-Options":            "DENY",
	"Cross-Origin-Opener-Policy": "same-origin",
}

func TestConsoleStatic(t *testing.T) {
	s, _ := newTestServer(t, Deps{Console: consoleFS})
	cases := []struct {
		name, path, ifNoneMatch string
		status                  int
		ctype, location, body   string
	}{
		{"bare path redirects", "/console", "", 301, "", "/console/", ""},
		{"root is index.html", "/console/", "", 200, "text/html; charset=utf-8", "", "控制台"},
		{"index.html by name", "/console/index.html", "", 200, "text/html; charset=utf-8", "", "控制台"},
		{"javascript", "/console/js/app.js", "", 200, "text/javascript; charset=utf-8", "", "export"},
		{"css", "/console/css/app.css", "", 200, "text/css; charset=utf-8", "", "body"},
		{"svg", "/console/img/logo.svg", "", 200, "image/svg+xml", "", "<svg"},
		{"png", "/console/img/icon.png", "", 200, "image/png", "", "PNG"},
		{"json", "/console/i18n/zh.json", "", 200, "application/json", "", "你好"},
		{"manifest", "/console/manifest.webmanifest", "", 200, "application/manifest+json", "", "{}"},
		{"unknown file", "/console/nope.js", "", 404, "", "", ""},
		{"no SPA fallback", "/console/review", "", 404, "", "", ""},
		{"directory", "/console/js/", "", 404, "", "", ""},
		{"traversal", "/console/../server.go", "", 404, "", "", ""},
		{"revalidated", "/console/js/app.js", "*", 304, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			resp, err := s.App().Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, raw)
			}
			for k, v := range consoleHeadersWanted {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
			}
			if tc.location != "" && resp.Header.Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tc.location)
			}
			if !strings.Contains(string(raw), tc.body) {
				t.Errorf("body %q lacks %q", raw, tc.body)
			}
			if tc.status == 200 {
				if resp.Header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(resp.Header.Get("ETag"), `"`) {
					t.Errorf("caching headers: Cache-Control %q, ETag %q", resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
				}
			}
		})
	}
}

func TestConsoleETagRevalidates(t *testing.T) {
	s, _ := newTestServer(t, Deps{Console: consoleFS})
	_, h, _ := do(t, s, httptest.NewRequest(http.MethodGet, "/console/", nil))
	etag := h.Get("ETag")
	req := httptest.NewRequest(http.MethodGet, "/console/", nil)
	req.Header.Set("If-None-Match", etag)
	if status, _, _ := do(t, s, req); status != http.StatusNotModified {
		t.Fatalf("If-None-Match %s: status %d, want 304", etag, status)
	}
	req = httptest.NewRequest(http.MethodGet, "/console/js/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	if status, _, _ := do(t, s, req); status != http.StatusOK {
		t.Fatalf("another file's ETag: status %d, want 200", status)
	}
}

func TestAPIResponsesRefuseFramingAndSniffing(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	_, h, _ := do(t, s, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("Content-Security-Policy") != "frame-ancestors 'none'" {
		t.Fatalf("headers %v", h)
	}
}

// TestConsoleEmbeddedFiles checks the console the binary embeds: scripts are served as
// JavaScript, and index.html is there once the front end is.
func TestConsoleEmbeddedFiles(t *testing.T) {
	sub, err := fs.Sub(console.Files, "web")
	if err != nil {
		t.Fatal(err)
	}
	files, err := loadConsole(sub)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range files {
		if strings.HasSuffix(name, ".js") && f.ctype != "text/javascript; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", name, f.ctype)
		}
	}
	if _, ok := files["index.html"]; !ok {
		t.Skip("the front end has no index.html yet")
	}
	s, _ := newTestServer(t, Deps{Console: sub})
	if status, _, _ := do(t, s, httptest.NewRequest(http.MethodGet, "/console/", nil)); status != 200 {
		t.Fatalf("GET /console/: %d", status)
	}
}
