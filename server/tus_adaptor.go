package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	stdsync "sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// serveHTTP runs a net/http handler (tusd) for a Fiber request, streaming: the request body is
// the connection's stream (newRequestBody) and the response is written into Fiber's response.
// Fiber's own adaptor (middleware/adaptor, over fasthttpadaptor) cannot be used for uploads: it
// reads the whole body into memory first, and with a streamed body it replaces a body cut short
// by the text of the read error — exactly the interrupted upload that tus exists to resume.
func serveHTTP(c *fiber.Ctx, ctx context.Context, h http.Handler) error {
	u, err := url.ParseRequestURI(c.OriginalURL())
	if err != nil {
		return fiber.ErrBadRequest
	}
	// net/http cancels a request's context when its handler returns; tusd waits for that to
	// stop the goroutines and timers it starts per request.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body := newRequestBody(c, 0) // tusd sets its own read deadlines, through the writer below
	r := (&http.Request{
		Method:        c.Method(),
		URL:           u,
		RequestURI:    c.OriginalURL(),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Host:          c.Hostname(),
		RemoteAddr:    c.Context().RemoteAddr().String(),
		ContentLength: body.declared,
		Body:          body,
	}).WithContext(ctx)
	if c.Protocol() == "https" {
		r.TLS = &tls.ConnectionState{}
	}
	c.Request().Header.VisitAll(func(k, v []byte) { r.Header.Add(string(k), string(v)) })
	r.Header.Set(fiber.HeaderXRequestID, requestIDOf(c)) // tusd logs it
	w := &responseWriter{c: c, header: http.Header{}, conn: c.Context().Conn()}
	h.ServeHTTP(w, r)
	w.WriteHeader(http.StatusOK) // no-op when the handler wrote a status
	w.end()
	body.finish(c)
	return nil
}

// responseWriter is an http.ResponseWriter over Fiber's response. It also implements the
// deadline methods that http.ResponseController looks for, on the connection: tusd calls them
// from its own goroutines too (to stop a PATCH whose lock another request asks for), so they
// touch only the connection, under a lock, and do nothing once the request has ended (the
// connection may carry the next request by then).
type responseWriter struct {
	c      *fiber.Ctx
	header http.Header
	wrote  bool

	mu    stdsync.Mutex
	conn  net.Conn
	ended bool
}

// end makes later deadline calls no-ops.
func (w *responseWriter) end() {
	w.mu.Lock()
	w.ended = true
	w.mu.Unlock()
}

func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader copies the headers and the status into Fiber's response, once (later calls and
// later header changes are ignored, as in net/http).
func (w *responseWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	for k, vs := range w.header {
		for i, v := range vs {
			if i == 0 {
				w.c.Set(k, v)
			} else {
				w.c.Append(k, v)
			}
		}
	}
	w.c.Status(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.c.Response().AppendBody(b)
	return len(b), nil
}

// SetReadDeadline sets the connection's read deadline (http.ResponseController).
func (w *responseWriter) SetReadDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended || w.conn == nil {
		return nil
	}
	return w.conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the connection's write deadline (http.ResponseController).
func (w *responseWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended || w.conn == nil {
		return nil
	}
	return w.conn.SetWriteDeadline(t)
}
