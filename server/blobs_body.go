package server

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/fieldsync/fieldsync/domain"
)

// Request bodies (docs/photos.md, "Streaming"). The server runs with Fiber's StreamRequestBody:
// a handler is called after the headers (and at most the first 8 KiB of the body), and the body
// is read from the connection as the handler goes. Photo uploads (PUT /v1/blobs/{sha256}, and
// the tus requests under /v1/uploads) consume that stream directly — hashed into object storage
// without holding the photo in memory, answered at once when the photo exists already, refused
// as soon as it passes the size limit. Every other request is read into memory by bufferBody,
// up to Config.BodyLimit, before its handler runs, as without streaming.

// declaredTooLarge is the request header that marks a request whose declared Content-Length is
// above its route's limit (set by the server itself in limitDeclaredBodies, never trusted from
// the client: it is removed from every incoming request first).
const declaredTooLarge = "X-Fieldsync-Declared-Too-Large"

// bodyIdleTimeout is how long an upload may go without a byte arriving; every byte that
// arrives extends the connection's read deadline by it (so a slow phone can take minutes for a
// photo, a dead one is dropped after this).
const bodyIdleTimeout = 60 * time.Second

// isStreamed reports whether the request's body goes to its handler as a stream.
func isStreamed(method, path string) bool {
	switch method {
	case fiber.MethodPut:
		return strings.HasPrefix(path, "/v1/blobs/")
	case fiber.MethodPost, fiber.MethodPatch:
		return path == "/v1/uploads" || strings.HasPrefix(path, "/v1/uploads/")
	}
	return false
}

// limitDeclaredBodies installs a fasthttp hook that runs after the headers: a request whose
// Content-Length is above its limit (Config.BodyLimit; the photo size limit for uploads) is
// marked and its body declared empty, so that the refusal (413 in bufferBody) is answered from
// the headers alone, without waiting for a body it will never read; the connection is then
// closed.
func (s *Server) limitDeclaredBodies() {
	s.app.Server().HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		h.Del(declaredTooLarge)
		n := int64(h.ContentLength())
		limit := int64(s.cfg.BodyLimit)
		if s.deps.Blobs == nil && n <= limit {
			return fasthttp.RequestConfig{}
		}
		path, _, _ := strings.Cut(string(h.RequestURI()), "?")
		if isStreamed(string(h.Method()), path) && s.deps.Blobs != nil {
			limit = s.deps.Blobs.MaxBytes()
		}
		if n > limit {
			h.Set(declaredTooLarge, strconv.FormatInt(limit, 10))
			h.SetContentLength(0)
			h.Del(fiber.HeaderExpect)
		}
		return fasthttp.RequestConfig{}
	}
}

// bufferBody refuses a body declared above its limit (413 too_large, connection closed), passes
// upload bodies on as streams, and reads every other body into memory up to Config.BodyLimit
// (413 too_large beyond it).
func (s *Server) bufferBody(c *fiber.Ctx) error {
	if limit := c.Request().Header.Peek(declaredTooLarge); len(limit) > 0 {
		c.Context().SetConnectionClose()
		return domain.Errorf(domain.CodeTooLarge, "the request body is above the limit of %s bytes", limit)
	}
	stream := c.Context().RequestBodyStream()
	if stream == nil || c.Request().Header.ContentLength() == 0 || isStreamed(c.Method(), c.Path()) {
		return c.Next()
	}
	body, err := io.ReadAll(io.LimitReader(stream, int64(s.cfg.BodyLimit)+1))
	if err != nil {
		c.Context().SetConnectionClose()
		return domain.Invalid("the request body could not be read", nil)
	}
	if len(body) > s.cfg.BodyLimit {
		c.Context().SetConnectionClose()
		return domain.Errorf(domain.CodeTooLarge, "the request body is above the limit of %d bytes", s.cfg.BodyLimit)
	}
	c.Request().SetBodyRaw(body)
	return c.Next()
}

// requestBody reads a streamed request body for an upload handler. It reports a body cut short
// of its Content-Length as io.ErrUnexpectedEOF (fasthttp reports a client that went away as a
// plain EOF), remembers whether the body was read to its end (if not, the connection must be
// closed after the answer: the unread rest would be taken for the next request), and, with
// idle > 0, extends the connection's read deadline as bytes arrive.
type requestBody struct {
	r        io.Reader
	conn     net.Conn
	declared int64 // Content-Length; -1 when unknown (chunked)
	n        int64
	done     bool
	idle     time.Duration
	deadline time.Time
}

// newRequestBody returns the body of c as a stream (the buffered body when the server does not
// stream it, as under app.Test without a body).
func newRequestBody(c *fiber.Ctx, idle time.Duration) *requestBody {
	b := &requestBody{declared: int64(c.Request().Header.ContentLength()), idle: idle, conn: c.Context().Conn()}
	if b.declared < 0 {
		b.declared = -1
	}
	if stream := c.Context().RequestBodyStream(); stream != nil {
		b.r = stream
	} else {
		b.r = bytes.NewReader(c.Body())
	}
	if b.declared == 0 {
		b.done = true
	}
	return b
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.declared >= 0 && int64(len(p)) > b.declared-b.n {
		p = p[:b.declared-b.n]
	}
	if b.idle > 0 && b.conn != nil && time.Until(b.deadline) < b.idle-time.Second {
		b.deadline = time.Now().Add(b.idle)
		_ = b.conn.SetReadDeadline(b.deadline)
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case b.declared >= 0 && b.n == b.declared:
		b.done = true
		if err == nil {
			err = io.EOF
		}
	case err == io.EOF && b.declared >= 0:
		err = io.ErrUnexpectedEOF
	case err == io.EOF:
		b.done = true
	}
	return n, err
}

// Close implements io.Closer (net/http request bodies); the stream belongs to the connection.
func (b *requestBody) Close() error { return nil }

// finish marks the connection to be closed after the answer when the body was not read to its
// end.
func (b *requestBody) finish(c *fiber.Ctx) {
	if !b.done {
		c.Context().SetConnectionClose()
	}
}
