package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// DevClock is the development clock behind /v1/dev/clock (mongostore.DevClock, wrapped by
// cmd/fieldsync to start a rules pass when it moves). Only wired when FIELDSYNC_DEV_CLOCK is on.
type DevClock interface {
	// Reading returns the clock's time and whether it was set (false: it reads the real clock).
	Reading(ctx context.Context) (now time.Time, set bool, err error)
	// Set moves the clock to now and returns its reading; a time before the current reading is
	// a conflict (fields.now) unless reset.
	Set(ctx context.Context, now time.Time, reset bool) (time.Time, error)
}

// devClockRoutes registers GET and PUT /v1/dev/clock (docs/fieldsim.md). Without Deps.DevClock
// they do not exist: 404.
func (s *Server) devClockRoutes() {
	s.app.Get("/v1/dev/clock", s.requireAuth, s.getDevClock)
	s.app.Put("/v1/dev/clock", s.requireAuth, s.putDevClock)
}

// devClockJSON is the answer of both endpoints: the clock's reading, whether it was set (false:
// it reads the real clock), and the real clock, all RFC 3339 UTC.
type devClockJSON struct {
	Now  string `json:"now"`
	Set  bool   `json:"set"`
	Real string `json:"real"`
}

// devClockRequest is PUT /v1/dev/clock: the new time (RFC 3339), and reset to allow going back.
type devClockRequest struct {
	Now   string `json:"now" validate:"required"`
	Reset bool   `json:"reset"`
}

func toDevClockJSON(now time.Time, set bool) devClockJSON {
	return devClockJSON{Now: now.UTC().Format(time.RFC3339Nano), Set: set, Real: time.Now().UTC().Format(time.RFC3339Nano)}
}

// getDevClock handles GET /v1/dev/clock → {now, set, real} (admin only; 403 otherwise).
func (s *Server) getDevClock(c *fiber.Ctx) error {
	if p := principalOf(c); p.Role != domain.RoleAdmin {
		return domain.Errorf(domain.CodeForbidden, "a %s may not read the dev clock", p.Role)
	}
	now, set, err := s.deps.DevClock.Reading(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(toDevClockJSON(now, set))
}

// putDevClock handles PUT /v1/dev/clock {now, reset} → {now, set, real} (admin only). Errors:
// 403; 400 {"now": "datetime"}; 409 {"now": "gte=<current>"} for a time before the clock's
// reading without reset.
func (s *Server) putDevClock(c *fiber.Ctx) error {
	if p := principalOf(c); p.Role != domain.RoleAdmin {
		return domain.Errorf(domain.CodeForbidden, "a %s may not set the dev clock", p.Role)
	}
	var req devClockRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	now, err := time.Parse(time.RFC3339Nano, req.Now)
	if err != nil {
		return domain.Invalid("invalid time", map[string]string{"now": "datetime"})
	}
	reading, err := s.deps.DevClock.Set(c.UserContext(), now, req.Reset)
	if err != nil {
		return err
	}
	s.cfg.Logger.Warn("dev clock set", slog.String("now", now.UTC().Format(time.RFC3339)), slog.Bool("reset", req.Reset))
	return c.JSON(toDevClockJSON(reading, true))
}
