package contract

import (
	"context"
	"errors"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// accountStores is the accounts store of one adapter as the scenarios use it.
type accountStores struct {
	accounts.Users
	accounts.Teams
	accounts.Devices
	accounts.RefreshTokens
}

func accountsOf(s Stores) accountStores {
	return accountStores{Users: s.Users, Teams: s.Teams, Devices: s.Devices, RefreshTokens: s.RefreshTokens}
}

func newTeam(t *testing.T, a accounts.Teams, name string) domain.Team {
	t.Helper()
	team, err := domain.NewTeam(uuid.NewString(), name)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.InsertTeam(context.Background(), team, t0); err != nil {
		t.Fatalf("insert team: %v", err)
	}
	return team
}

func newUser(t *testing.T, a accounts.Users, username string, role domain.Role, team string) domain.User {
	t.Helper()
	u, err := domain.NewUser(domain.User{ID: uuid.NewString(), Username: username, Role: role, TeamID: team,
		HireDate: domain.Date{Year: 2022, Month: time.May, Day: 4}, MonthlyPayFen: 400000})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.InsertUser(context.Background(), u, "$2a$04$hash-of-"+username, t0); err != nil {
		t.Fatalf("insert user: %v", err)
	}
	return u
}

// UsersAndTeams: users and teams are stored once by id and by name, listed, disabled and
// re-hashed; a taken username or team name is domain.ErrConflict, an unknown id domain.ErrNotFound.
func UsersAndTeams(t *testing.T, open func(t *testing.T) Stores) {
	s := openFor(t, open, "no accounts store", func(s Stores) bool { return s.Users != nil && s.Teams != nil })
	ctx := context.Background()
	a := accountsOf(s)
	team := newTeam(t, a, "售后一组")
	u := newUser(t, a, "zhang.wei", domain.RoleTechnician, team.ID)

	got, hash, err := a.UserByUsername(ctx, "zhang.wei")
	if err != nil || got != u || hash != "$2a$04$hash-of-zhang.wei" {
		t.Fatalf("UserByUsername = %+v %q %v, want %+v", got, hash, err, u)
	}
	if got, err := a.UserByID(ctx, u.ID); err != nil || got != u {
		t.Fatalf("UserByID = %+v %v", got, err)
	}
	dup := u
	dup.ID = uuid.NewString()
	if err := a.InsertUser(ctx, dup, "x", t0); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a second zhang.wei: %v, want conflict", err)
	}
	if _, err := a.UserByID(ctx, uuid.NewString()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown user: %v, want not found", err)
	}
	other := newTeam(t, a, "售后二组")
	newUser(t, a, "li.na", domain.RoleTechnician, other.ID)
	newUser(t, a, "hr.one", domain.RoleHR, "")
	if list, err := a.ListUsers(ctx, team.ID); err != nil || len(list) != 1 || list[0].ID != u.ID {
		t.Errorf("ListUsers(team) = %+v %v", list, err)
	}
	if list, err := a.ListUsers(ctx, ""); err != nil || len(list) != 3 || list[0].Username != "hr.one" {
		t.Errorf("ListUsers(all) = %+v %v", list, err)
	}
	if err := a.SetUserDisabled(ctx, u.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPasswordHash(ctx, u.ID, "new-hash", t0); err != nil {
		t.Fatal(err)
	}
	if got, hash, _ := a.UserByUsername(ctx, "zhang.wei"); !got.Disabled || hash != "new-hash" {
		t.Errorf("after disable and reset: %+v %q", got, hash)
	}
	if err := a.SetUserDisabled(ctx, uuid.NewString(), t0); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("disable unknown: %v", err)
	}

	if err := a.InsertTeam(ctx, domain.Team{ID: uuid.NewString(), Name: "售后一组"}, t0); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a second 售后一组: %v, want conflict", err)
	}
	if got, err := a.TeamByName(ctx, "售后二组"); err != nil || got.ID != other.ID {
		t.Errorf("TeamByName = %+v %v", got, err)
	}
	if list, err := a.ListTeams(ctx, ""); err != nil || len(list) != 2 {
		t.Errorf("ListTeams = %+v %v", list, err)
	}
}

// SetTeamLeaderIsCompareAndSet starts several appointments at once: exactly one wins.
func SetTeamLeaderIsCompareAndSet(t *testing.T, open func(t *testing.T) Stores) {
	s := openFor(t, open, "no teams store", func(s Stores) bool { return s.Teams != nil })
	ctx := context.Background()
	a := s.Teams
	team := newTeam(t, a, "t1")
	var wins, conflicts int
	var mu stdsync.Mutex
	var wg stdsync.WaitGroup
	for range 6 {
		wg.Go(func() {
			err := a.SetTeamLeader(ctx, team.ID, "", uuid.NewString())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, domain.ErrConflict):
				conflicts++
			default:
				t.Errorf("SetTeamLeader: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != 5 {
		t.Fatalf("%d appointments won, %d conflicted; want 1 and 5", wins, conflicts)
	}
	if err := a.SetTeamLeader(ctx, uuid.NewString(), "", "x"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown team: %v", err)
	}
}

// DevicesAndRefreshTokens: a device is reopened by client id until revoked; one token rotates
// once under concurrent use and never after expiry; revocation reaches the device's tokens only.
func DevicesAndRefreshTokens(t *testing.T, open func(t *testing.T) Stores) {
	s := openFor(t, open, "no device or refresh-token store", func(s Stores) bool {
		return s.Users != nil && s.Teams != nil && s.Devices != nil && s.RefreshTokens != nil
	})
	ctx := context.Background()
	a := accountsOf(s)
	team := newTeam(t, a, "t")
	u := newUser(t, a, "tech", domain.RoleTechnician, team.ID)

	openDevice := func(client, name string, at time.Time) domain.Device {
		t.Helper()
		d, err := a.OpenDevice(ctx, domain.Device{ID: uuid.NewString(), UserID: u.ID, TeamID: team.ID, ClientID: client,
			Name: name, CreatedAt: at, LastSeenAt: at})
		if err != nil {
			t.Fatalf("OpenDevice: %v", err)
		}
		return d
	}
	phone := openDevice("phone-1", "Mate 60", t0)
	again := openDevice("phone-1", "Mate 60 Pro", t0.Add(time.Hour))
	if again.ID != phone.ID || again.Name != "Mate 60 Pro" || !again.LastSeenAt.Equal(t0.Add(time.Hour)) || !again.CreatedAt.Equal(t0) {
		t.Fatalf("reopened device %+v, want the same device %s renamed", again, phone.ID)
	}
	tablet := openDevice("tablet", "Pad", t0)

	token := domain.RefreshToken{Hash: "h1", UserID: u.ID, DeviceID: phone.ID, State: domain.RefreshActive,
		IssuedAt: t0, ExpiresAt: t0.Add(30 * 24 * time.Hour)}
	if err := a.InsertRefreshToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	// Concurrent uses of one token: exactly one rotates it.
	var rotated int
	var mu stdsync.Mutex
	var wg stdsync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := a.RotateRefreshToken(ctx, "h1", t0.Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				rotated++
			} else if !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("rotate: %v", err)
			}
		})
	}
	wg.Wait()
	if rotated != 1 {
		t.Fatalf("%d rotations of one token, want 1", rotated)
	}
	if got, err := a.RefreshTokenByHash(ctx, "h1"); err != nil || got.State != domain.RefreshRotated || !got.RotatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("rotated token = %+v %v", got, err)
	}
	// An expired token does not rotate.
	expired := token
	expired.Hash, expired.ExpiresAt = "h2", t0
	if err := a.InsertRefreshToken(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RotateRefreshToken(ctx, "h2", t0); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("expired token rotated: %v", err)
	}

	// Revoking the phone revokes its tokens, not the tablet.
	if err := a.RevokeDevice(ctx, phone.ID, "admin", domain.RevokeByUser, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.DeviceByID(ctx, phone.ID); got.Active() || got.RevokeReason != domain.RevokeByUser || got.RevokedBy != "admin" {
		t.Errorf("revoked phone = %+v", got)
	}
	if got, _ := a.RefreshTokenByHash(ctx, "h1"); got.State != domain.RefreshRevoked {
		t.Errorf("phone token after revocation: %s", got.State)
	}
	if err := a.RevokeDevice(ctx, phone.ID, "other", domain.RevokeLogout, t0.Add(3*time.Hour)); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if got, _ := a.DeviceByID(ctx, phone.ID); got.RevokedBy != "admin" {
		t.Errorf("a second revocation overwrote the first: %+v", got)
	}
	if err := a.RevokeDevice(ctx, uuid.NewString(), "", "", t0); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	// A new login on the revoked phone opens a new device.
	if fresh := openDevice("phone-1", "Mate 60", t0.Add(4*time.Hour)); fresh.ID == phone.ID || !fresh.Active() {
		t.Errorf("login after revocation reused the revoked device: %+v", fresh)
	}

	active, err := a.ListDevices(ctx, accounts.DeviceQuery{UserID: u.ID})
	if err != nil || len(active) != 2 {
		t.Fatalf("active devices %+v %v, want the tablet and the new phone", active, err)
	}
	all, _ := a.ListDevices(ctx, accounts.DeviceQuery{TeamID: team.ID, IncludeRevoked: true})
	if len(all) != 3 {
		t.Errorf("all devices of the team: %d, want 3", len(all))
	}
	if err := a.RevokeUserDevices(ctx, u.ID, "", domain.RevokeUserDisabled, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.DeviceByID(ctx, tablet.ID); got.Active() || got.RevokeReason != domain.RevokeUserDisabled {
		t.Errorf("tablet after RevokeUserDevices: %+v", got)
	}
	if n, err := a.PurgeRefreshTokens(ctx, t0.Add(time.Second)); err != nil || n != 1 {
		t.Errorf("purge: %d %v, want the expired token only", n, err)
	}
}

// AuditLogPagesNewestFirst: paging by Before neither skips nor repeats an entry, even among equal
// timestamps; filters by team and record; long usernames are cut.
func AuditLogPagesNewestFirst(t *testing.T, open func(t *testing.T) Stores) {
	s := openFor(t, open, "no audit log", func(s Stores) bool { return s.Audit != nil })
	ctx := context.Background()
	log := s.Audit
	teamA, teamB := uuid.NewString(), uuid.NewString()
	var entries []domain.AuditEntry
	for i := range 7 {
		team := teamA
		if i%3 == 2 {
			team = teamB
		}
		// Entries 3 and 4 share a timestamp: paging must still neither skip nor repeat one.
		at := t0.Add(time.Duration(min(i, 3)+max(0, i-4)) * time.Minute)
		entries = append(entries, domain.AuditEntry{At: at, UserID: "u", TeamID: team, Action: domain.AuditLogin,
			Collection: domain.CollDevices, RecordID: "d" + string(rune('0'+i))})
	}
	if err := log.Record(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	if err := log.Record(ctx, domain.AuditEntry{Action: domain.AuditLoginFailed, Username: string(make([]byte, 300))}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var last time.Time
	before := ""
	for page := 0; ; page++ {
		got, err := log.List(ctx, domain.AuditQuery{TeamID: teamA, Limit: 2, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for _, e := range got {
			if seen[e.ID] || e.TeamID != teamA {
				t.Fatalf("page %d: entry %+v repeated or of another team", page, e)
			}
			if !last.IsZero() && e.At.After(last) {
				t.Fatalf("page %d: %v after %v: not newest first", page, e.At, last)
			}
			seen[e.ID], last = true, e.At
		}
		before = got[len(got)-1].ID
	}
	if len(seen) != 5 {
		t.Errorf("paged %d entries of team A, want 5", len(seen))
	}
	if got, _ := log.List(ctx, domain.AuditQuery{Collection: domain.CollDevices, RecordID: "d2"}); len(got) != 1 || got[0].TeamID != teamB {
		t.Errorf("by record: %+v", got)
	}
	if got, _ := log.List(ctx, domain.AuditQuery{}); len(got) != 8 || len(got[0].Username) > domain.MaxAuditUsernameLen {
		t.Errorf("all entries: %d, newest username %d bytes", len(got), len(got[0].Username))
	}
	if _, err := log.List(ctx, domain.AuditQuery{Before: uuid.NewString()}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown before: %v", err)
	}
}

// SigningKeyIsSharedByEveryInstance: the first stored signing key wins over later candidates.
func SigningKeyIsSharedByEveryInstance(t *testing.T, open func(t *testing.T) Stores) {
	s := openFor(t, open, "no settings store", func(s Stores) bool { return s.Settings != nil })
	ctx := context.Background()
	settings := s.Settings
	first, err := settings.SigningKey(ctx, []byte("candidate-one-0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := settings.SigningKey(ctx, []byte("candidate-two-0123456789abcdef0123"))
	if err != nil || string(first) != string(second) || string(first) != "candidate-one-0123456789abcdef0123" {
		t.Fatalf("keys %q and %q (%v): the first stored key must win", first, second, err)
	}
}
