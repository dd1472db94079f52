package server

import (
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

const requestIDKey = "requestId"

// safeRequestID accepts a caller's X-Request-ID only when it cannot smuggle anything into logs.
var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID gives every request an id, echoed in the X-Request-ID response header, the logs and
// error bodies. A well-formed incoming X-Request-ID (from a load balancer) is kept.
func requestID(c *fiber.Ctx) error {
	rid := c.Get(fiber.HeaderXRequestID)
	if !safeRequestID.MatchString(rid) {
		rid = uuid.NewString()
	}
	c.Locals(requestIDKey, rid)
	c.Set(fiber.HeaderXRequestID, rid)
	return c.Next()
}

func requestIDOf(c *fiber.Ctx) string {
	rid, _ := c.Locals(requestIDKey).(string)
	return rid
}

// routeOf is the matched route pattern ("/v1/blobs/:sha256"), never the raw path, so that ids
// and customer data in URLs stay out of logs and metric labels.
func routeOf(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || r.Path == "" || (r.Path == "/" && c.Path() != "/") {
		return "unmatched"
	}
	return r.Path
}

// observe writes one structured log line and the request metrics per request: method, route
// pattern, status, duration and request id. Never the query string or the body: they may carry
// customer data.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now so the status below is the final one.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	level := slog.LevelInfo
	if c.Response().StatusCode() >= fiber.StatusInternalServerError {
		level = slog.LevelWarn
	}
	// Fiber's strings point into buffers it reuses: labels and log values must be copies.
	method, route := strings.Clone(c.Method()), strings.Clone(routeOf(c))
	status, elapsed := c.Response().StatusCode(), time.Since(start)
	s.metrics.observe(method, route, status, elapsed)
	s.cfg.Logger.LogAttrs(c.UserContext(), level, "request",
		slog.String("requestId", requestIDOf(c)),
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
	)
	return nil
}
