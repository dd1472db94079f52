// Package console holds the leader's web console (issue 8): the static files of a single-page
// application under web/ (index.html, js/, css/, vendor/, images), embedded into the fieldsync
// binary and served by the server under /console/ (server/console.go). The console is a client
// of the same /v1 API as the phones; it signs in through /v1/console/session
// (docs/console-api.md).
package console

import "embed"

// Files is the web/ directory as embedded at build time: paths are "web/index.html",
// "web/js/api.js", ... (use fs.Sub(Files, "web") for a tree rooted at the console). Files whose
// names start with '.' or '_' are not embedded (go:embed's rule).
//
//go:embed web
var Files embed.FS
