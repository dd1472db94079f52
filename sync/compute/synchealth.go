package compute

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// SyncHealthWindow is how far back sync health counts rejected mutations, and how long a
// revoked device stays on the report.
const SyncHealthWindow = 7 * 24 * time.Hour

// DeviceActivity is one device with the last time a push and a pull of it succeeded (zero:
// never, or not since the server records it).
type DeviceActivity struct {
	Device     domain.Device
	LastPushAt time.Time
	LastPullAt time.Time
}

// UserDevice names one device (its server id, domain.Device.ID) of one user.
type UserDevice struct {
	UserID   string
	DeviceID string
}

// SyncActivity is what sync health reads besides records (sync/mongostore.SyncActivity).
type SyncActivity interface {
	// TeamDevices returns every device signed in to team (at login), revoked ones included.
	TeamDevices(ctx context.Context, team string) ([]DeviceActivity, error)
	// RejectedSince counts the mutation-log entries with status rejected stored at or after
	// since, per user and device (entries from before the log named them are not counted).
	RejectedSince(ctx context.Context, since time.Time) (map[UserDevice]int, error)
}

// SyncHealthConfig wires a SyncHealth. Every field is required but Now (time.Now).
type SyncHealthConfig struct {
	Activity SyncActivity
	Records  Records
	Users    Users
	Teams    Teams
	Now      func() time.Time
}

// SyncHealth reports, for a leader, how the team's devices sync (issue 8): when each last
// pushed and pulled, how many of its user's records wait for photos, and how many of its
// mutations were rejected in the last SyncHealthWindow. It reads on request (no stored state):
// the team's devices, the team's live records, and the mutation log.
type SyncHealth struct{ cfg SyncHealthConfig }

// NewSyncHealth returns the sync health service.
func NewSyncHealth(cfg SyncHealthConfig) *SyncHealth {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &SyncHealth{cfg: cfg}
}

// DeviceHealth is one device's line of the report: the user (only ID set when the account is
// gone), the device, its last successful push and pull (zero: never), PendingPhotos (live
// records of the user with a non-empty photosPending) and Rejected (rejected mutations of this
// device in the window).
type DeviceHealth struct {
	User          domain.User
	Device        domain.Device
	LastPushAt    time.Time
	LastPullAt    time.Time
	PendingPhotos int
	Rejected      int
}

// SyncHealthReport is a team's devices, by display name then device name, active ones and those
// revoked within the window (console devices, ClientID "console-…", included), as of
// GeneratedAt.
type SyncHealthReport struct {
	Team        domain.Team
	Devices     []DeviceHealth
	GeneratedAt time.Time
}

// Report returns the sync health of team: a leader's own (team "" or theirs; another team's is
// not_found); an admin names it. Errors: forbidden for other roles; invalid {"team":
// "required"}; not_found; unavailable.
func (s *SyncHealth) Report(ctx context.Context, caller domain.Principal, team string) (SyncHealthReport, error) {
	switch {
	case caller.Role == domain.RoleLeader && caller.TeamID != "":
		if team != "" && team != caller.TeamID {
			return SyncHealthReport{}, domain.Errorf(domain.CodeNotFound, "no such team")
		}
		team = caller.TeamID
	case caller.Role == domain.RoleAdmin && team == "":
		return SyncHealthReport{}, domain.Invalid("name the team", map[string]string{"team": "required"})
	case caller.Role != domain.RoleAdmin:
		return SyncHealthReport{}, domain.Errorf(domain.CodeForbidden, "a %s may not see a team's sync health", caller.Role)
	}
	t, err := s.cfg.Teams.TeamByID(ctx, team)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return SyncHealthReport{}, domain.Errorf(domain.CodeNotFound, "no such team")
	}
	if err != nil {
		return SyncHealthReport{}, err
	}
	now := s.cfg.Now()
	since := now.Add(-SyncHealthWindow)
	devices, err := s.cfg.Activity.TeamDevices(ctx, t.ID)
	if err != nil {
		return SyncHealthReport{}, err
	}
	rejected, err := s.cfg.Activity.RejectedSince(ctx, since)
	if err != nil {
		return SyncHealthReport{}, err
	}
	pending, err := s.pendingPhotos(ctx, t.ID)
	if err != nil {
		return SyncHealthReport{}, err
	}
	users, err := s.cfg.Users.ListUsers(ctx, t.ID)
	if err != nil {
		return SyncHealthReport{}, err
	}
	byID := map[string]domain.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	out := SyncHealthReport{Team: t, GeneratedAt: now, Devices: []DeviceHealth{}}
	for _, d := range devices {
		if !d.Device.Active() && d.Device.RevokedAt.Before(since) {
			continue
		}
		u, ok := byID[d.Device.UserID]
		if !ok {
			u = domain.User{ID: d.Device.UserID, Username: d.Device.UserID, DisplayName: d.Device.UserID}
		}
		out.Devices = append(out.Devices, DeviceHealth{User: u, Device: d.Device, LastPushAt: d.LastPushAt,
			LastPullAt: d.LastPullAt, PendingPhotos: pending[strings.ToLower(u.ID)],
			Rejected: rejected[UserDevice{UserID: d.Device.UserID, DeviceID: d.Device.ID}]})
	}
	slices.SortFunc(out.Devices, func(a, b DeviceHealth) int {
		return cmp.Or(cmp.Compare(a.User.DisplayName, b.User.DisplayName), cmp.Compare(a.Device.Name, b.Device.Name),
			cmp.Compare(a.Device.ID, b.Device.ID))
	})
	return out, nil
}

// pendingPhotos counts, per lower-case owner id, the team's live records whose photosPending
// is not empty.
func (s *SyncHealth) pendingPhotos(ctx context.Context, team string) (map[string]int, error) {
	out := map[string]int{}
	after := int64(0)
	for {
		page, err := s.cfg.Records.Changes(ctx, sync.ChangeQuery{Tokens: teamTokens(team), After: after,
			Through: math.MaxInt64, Limit: pageSize, SkipDeleted: true})
		if err != nil {
			return nil, err
		}
		for _, rec := range page {
			if p, _ := rec.Fields[sync.FieldPhotosPending].([]any); len(p) > 0 && !rec.Deleted {
				out[strings.ToLower(rec.Owner)]++
			}
		}
		if len(page) < pageSize {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
}

// The kinds of sync activity a device records (the adapters' SyncActivity.Touch).
const (
	ActivityPush = "push"
	ActivityPull = "pull"
)

// ActivityName returns push or pull, the storage's name (column, field) for kind ActivityPush or
// ActivityPull. Errors: an unknown kind (touching device id).
func ActivityName(id, kind, push, pull string) (string, error) {
	switch kind {
	case ActivityPush:
		return push, nil
	case ActivityPull:
		return pull, nil
	}
	return "", fmt.Errorf("touch device %s: unknown activity %q", id, kind)
}
