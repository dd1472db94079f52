package server

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// ConsoleCSP is the Content-Security-Policy of every /console response: scripts, styles, fonts
// and the manifest from the server itself only (no inline code), images also from blob: and
// data: URLs (photos fetched with the bearer token), requests to the server only, and the
// console may not be framed.
const ConsoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// apiCSP is the Content-Security-Policy of every other response: nothing of ours is framed.
const apiCSP = "frame-ancestors 'none'"

// securityHeaders sets the headers every response carries: no MIME sniffing, no framing. The
// console's routes replace the policy with ConsoleCSP (consoleHeaders).
func securityHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderContentSecurityPolicy, apiCSP)
	return c.Next()
}

// consoleHeaders sets the console's security headers on every /console response, errors and
// redirects included.
func consoleHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentSecurityPolicy, ConsoleCSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	return c.Next()
}

// consoleFile is one file of the console, read once at start: its bytes, strong ETag and type.
type consoleFile struct {
	body  []byte
	etag  string
	ctype string
}

// consoleTypes are the content types of the console's files, fixed here rather than read from
// the machine's mime.types (which may call JavaScript application/javascript, or miss .webmanifest).
var consoleTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".txt":         "text/plain; charset=utf-8",
	".md":          "text/plain; charset=utf-8",
}

// contentTypeOf is the Content-Type of a console file by its extension.
func contentTypeOf(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := consoleTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// loadConsole reads every file of fsys (the console's web/ directory) into memory, keyed by its
// slash path ("index.html", "js/api.js"). The console is a few hundred kilobytes.
func loadConsole(fsys fs.FS) (map[string]consoleFile, error) {
	files := map[string]consoleFile{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		files[name] = consoleFile{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, ctype: contentTypeOf(name)}
		return nil
	})
	return files, err
}

// consoleRoutes registers the web console (issue 8, docs/console-api.md):
//
//	GET /console     → 301 Location: /console/
//	GET /console/    → index.html
//	GET /console/<p> → the file web/<p>; 404 not_found for anything else (the console routes by
//	                   URL hash, so there is no fallback to index.html)
//
// Every answer carries ConsoleCSP, nosniff, Referrer-Policy no-referrer, X-Frame-Options DENY
// and Cross-Origin-Opener-Policy same-origin; files carry a strong ETag (If-None-Match → 304)
// and Cache-Control: no-cache (the browser revalidates, so a new release shows at once).
func (s *Server) consoleRoutes() {
	files, err := loadConsole(s.deps.Console)
	if err != nil {
		s.cfg.Logger.Warn("the web console's files cannot be read: /console is not served", slog.String("error", err.Error()))
		return
	}
	s.app.Use("/console", consoleHeaders)
	serve := func(c *fiber.Ctx) error { return serveConsoleFile(c, files) }
	s.app.Get("/console", serve)
	s.app.Get("/console/*", serve)
}

// serveConsoleFile answers one GET or HEAD under /console.
func serveConsoleFile(c *fiber.Ctx, files map[string]consoleFile) error {
	p := c.Path()
	if p == "/console" {
		return c.Redirect("/console/", fiber.StatusMovedPermanently)
	}
	name := strings.TrimPrefix(p, "/console/")
	if name == "" {
		name = "index.html"
	}
	f, ok := files[name]
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "no such console page")
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderETag, f.etag)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), f.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	return c.Send(f.body)
}
