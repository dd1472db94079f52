package server

import (
	"context"
	"log/slog"
	"strings"
	stdsync "sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// SyncHealthService is what GET /v1/sync/health needs (compute.SyncHealth).
type SyncHealthService interface {
	Report(ctx context.Context, caller domain.Principal, team string) (compute.SyncHealthReport, error)
}

// SyncActivityRecorder records a device's successful push or pull (mongostore.SyncActivity;
// kind "push" or "pull"): one small write by the device's _id.
type SyncActivityRecorder interface {
	Touch(ctx context.Context, deviceID, kind string) error
}

// activityEvery is how often one instance records the same device's push (or pull) at most:
// sync health shows minutes, and a phone may pull every second while it streams.
const activityEvery = 30 * time.Second

// syncHealthRoutes registers GET /v1/sync/health. Registered before the sync routes, so that
// the recorder runs around them.
func (s *Server) syncHealthRoutes() {
	if s.deps.SyncActivity != nil {
		t := &activityThrottle{last: map[string]time.Time{}}
		s.app.Use("/v1/sync", s.recordActivity(t))
		s.app.Use("/v1/rxdb", s.recordActivity(t))
	}
	if s.deps.SyncHealth != nil {
		s.app.Get("/v1/sync/health", s.requireAuth, s.syncHealth)
	}
}

// activityThrottle remembers, in this process only, when each device's activity was last
// written. It saves writes, nothing more: without it (another instance, a restart) the store is
// written once more, and the times only move forward.
type activityThrottle struct {
	mu   stdsync.Mutex
	last map[string]time.Time
}

// due reports whether key's activity should be written at now, and notes it if so.
func (t *activityThrottle) due(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at, ok := t.last[key]; ok && now.Sub(at) < activityEvery {
		return false
	}
	if len(t.last) >= 10_000 { // bounded: forgetting costs one write per device
		clear(t.last)
	}
	t.last[key] = now
	return true
}

// recordActivity wraps /v1/sync/* and /v1/rxdb/*: after a push (POST …/push) or a pull
// (GET …/pull) answered 200, it records it for the caller's device. A failure to record is
// logged, never the request's failure.
func (s *Server) recordActivity(t *activityThrottle) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		if err != nil || c.Response().StatusCode() != fiber.StatusOK {
			return err
		}
		kind := ""
		switch path := c.Path(); {
		case c.Method() == fiber.MethodPost && strings.HasSuffix(path, "/push"):
			kind = compute.ActivityPush
		case c.Method() == fiber.MethodGet && strings.HasSuffix(path, "/pull"):
			kind = compute.ActivityPull
		default:
			return nil
		}
		p := principalOf(c)
		if p.DeviceID == "" || !t.due(p.DeviceID+"/"+kind, time.Now()) {
			return nil
		}
		if err := s.deps.SyncActivity.Touch(c.UserContext(), p.DeviceID, kind); err != nil {
			s.cfg.Logger.Warn("record sync activity", slog.String("requestId", requestIDOf(c)), slog.String("error", err.Error()))
		}
		return nil
	}
}

// deviceHealthJSON is one device of GET /v1/sync/health. Times are RFC 3339 (UTC) or null.
type deviceHealthJSON struct {
	UserID        string  `json:"userId"`
	Username      string  `json:"username"`
	DisplayName   string  `json:"displayName"`
	ID            string  `json:"id"`
	DeviceID      string  `json:"deviceId"`
	DeviceName    string  `json:"deviceName"`
	Active        bool    `json:"active"`
	LastSeenAt    *string `json:"lastSeenAt"`
	LastPushAt    *string `json:"lastPushAt"`
	LastPullAt    *string `json:"lastPullAt"`
	PendingPhotos int     `json:"pendingPhotos"`
	Rejected7d    int     `json:"rejected7d"`
}

// rfc3339OrNull is t in RFC 3339 UTC, nil for the zero time.
func rfc3339OrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// syncHealth handles GET /v1/sync/health[?team=<team id>] → {"team", "devices": [{userId,
// username, displayName, id (the server's device id, for POST /v1/devices/:id/revoke),
// deviceId (the app's), deviceName, active, lastSeenAt (last sign-in or refresh), lastPushAt,
// lastPullAt (last successful push, pull; recorded at most every 30 s per device and server
// instance), pendingPhotos (live records of the user waiting for a photo), rejected7d (this
// device's rejected mutations in the last 7 days)}], "generatedAt"}, by display name then
// device name; devices revoked more than 7 days ago are left out; console devices (deviceId
// "console-…") are included. Who: the team's leader; an admin names the team. Errors: 400
// {"team": "required"}; 403 other roles; 404 unknown team, or another team's (a leader).
func (s *Server) syncHealth(c *fiber.Ctx) error {
	r, err := s.deps.SyncHealth.Report(c.UserContext(), principalOf(c), c.Query("team"))
	if err != nil {
		return err
	}
	devices := mapSlice(r.Devices, func(d compute.DeviceHealth) deviceHealthJSON {
		return deviceHealthJSON{UserID: d.User.ID, Username: d.User.Username, DisplayName: d.User.DisplayName,
			ID: d.Device.ID, DeviceID: d.Device.ClientID, DeviceName: d.Device.Name, Active: d.Device.Active(),
			LastSeenAt: rfc3339OrNull(d.Device.LastSeenAt), LastPushAt: rfc3339OrNull(d.LastPushAt),
			LastPullAt: rfc3339OrNull(d.LastPullAt), PendingPhotos: d.PendingPhotos, Rejected7d: d.Rejected}
	})
	return c.JSON(fiber.Map{"team": r.Team.ID, "devices": devices, "generatedAt": r.GeneratedAt.UTC().Format(time.RFC3339)})
}
