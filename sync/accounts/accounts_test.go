package accounts_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	stdsync "sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

const testKey = "test-signing-key-0123456789abcdef0123456789"

// clock is a settable test clock.
type clock struct {
	mu  stdsync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a service on a fresh database with one team, its leader and a technician (password
// "correct horse").
type env struct {
	svc    *accounts.Service
	store  *mongostore.Accounts
	audit  *mongostore.AuditLog
	clock  *clock
	team   domain.Team
	leader domain.User
	tech   domain.User
}

const password = "correct horse"

func newEnv(t testing.TB) *env { return newEnvCost(t, 4) }

// newEnvCost is newEnv with a bcrypt cost.
func newEnvCost(t testing.TB, cost int) *env {
	t.Helper()
	st := storetest.Mongo(t)
	e := &env{store: mongostore.NewAccounts(st), audit: mongostore.NewAuditLog(st),
		clock: &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}}
	policy := accounts.DefaultPolicy()
	policy.PasswordCost = cost
	svc, err := accounts.New(accounts.Config{Store: e.store, Audit: e.audit, SigningKey: []byte(testKey),
		Policy: policy, Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	ctx := context.Background()
	if e.team, err = svc.CreateTeam(ctx, accounts.CommandLine, "", "售后一组"); err != nil {
		t.Fatal(err)
	}
	e.leader = e.mustCreate(t, accounts.CommandLine, domain.User{Username: "leader", Role: domain.RoleLeader, TeamID: e.team.ID})
	e.tech = e.mustCreate(t, accounts.CommandLine, domain.User{Username: "tech", Role: domain.RoleTechnician, TeamID: e.team.ID})
	return e
}

func (e *env) mustCreate(t testing.TB, p domain.Principal, u domain.User) domain.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), p, "", u, password)
	if err != nil {
		t.Fatalf("create %s: %v", u.Username, err)
	}
	return u
}

func (e *env) login(t *testing.T, username, device string) accounts.Session {
	t.Helper()
	s, err := e.svc.Login(context.Background(), accounts.LoginInput{Username: username, Password: password,
		DeviceID: device, DeviceName: "phone", Address: "10.0.0.1"})
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return s
}

func isUnauthorized(err error) bool { return domain.ErrorCode(err) == domain.CodeUnauthorized }

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct{ name, username, password string }{
		{"unknown user", "nobody", password},
		{"wrong password", "tech", "wrong password"},
		{"empty password", "tech", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.Login(ctx, accounts.LoginInput{Username: tc.username, Password: tc.password, DeviceID: "d"})
			if !isUnauthorized(err) || domain.ErrorMessage(err) != "invalid username or password" {
				t.Fatalf("Login: %v", err)
			}
		})
	}
	entries, _ := e.audit.List(ctx, domain.AuditQuery{})
	failed := 0
	for _, en := range entries {
		if en.Action == domain.AuditLoginFailed {
			failed++
		}
	}
	if failed != len(cases) {
		t.Errorf("%d failed logins audited, want %d", failed, len(cases))
	}
	// Usernames are matched case-insensitively.
	if _, err := e.svc.Login(ctx, accounts.LoginInput{Username: " TECH ", Password: password, DeviceID: "d"}); err != nil {
		t.Errorf("login as TECH: %v", err)
	}
}

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.login(t, "tech", "phone-1")
	other := e.login(t, "tech", "phone-2")

	second, err := e.svc.Refresh(ctx, first.RefreshToken, "10.0.0.2")
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == first.RefreshToken || second.DeviceID != first.DeviceID {
		t.Fatalf("refresh must rotate the token on the same device: %+v", second)
	}
	if _, err := e.svc.Authenticate(ctx, second.AccessToken); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	// The rotated token comes back: stolen. The device is revoked, every token of it dies.
	if _, err := e.svc.Refresh(ctx, first.RefreshToken, "10.9.9.9"); !isUnauthorized(err) {
		t.Fatalf("reuse: %v, want unauthorized", err)
	}
	if _, err := e.svc.Refresh(ctx, second.RefreshToken, "10.0.0.2"); !isUnauthorized(err) {
		t.Errorf("the newest token of a revoked device still refreshes: %v", err)
	}
	for _, tok := range []string{first.AccessToken, second.AccessToken} {
		if _, err := e.svc.Authenticate(ctx, tok); !isUnauthorized(err) {
			t.Errorf("access token of the revoked device: %v", err)
		}
	}
	if _, err := e.svc.Authenticate(ctx, other.AccessToken); err != nil {
		t.Errorf("the user's other device must keep working: %v", err)
	}
	d, _ := e.store.DeviceByID(ctx, first.DeviceID)
	if d.Active() || d.RevokeReason != domain.RevokeTokenReuse {
		t.Errorf("device after reuse: %+v", d)
	}
	entries, _ := e.audit.List(ctx, domain.AuditQuery{Collection: domain.CollDevices, RecordID: first.DeviceID})
	if len(entries) == 0 || entries[0].Action != domain.AuditRefreshReuse || entries[0].Address != "10.9.9.9" {
		t.Errorf("reuse not audited: %+v", entries)
	}
	// Presenting it a third time changes nothing more (no second alarm).
	if _, err := e.svc.Refresh(ctx, first.RefreshToken, ""); !isUnauthorized(err) {
		t.Errorf("third use: %v", err)
	}
	if again, _ := e.audit.List(ctx, domain.AuditQuery{Collection: domain.CollDevices, RecordID: first.DeviceID}); len(again) != len(entries) {
		t.Errorf("a revoked token raised the alarm again")
	}
	// Signing in again on the phone opens a new session.
	fresh := e.login(t, "tech", "phone-1")
	if fresh.DeviceID == first.DeviceID {
		t.Errorf("login after revocation reused the revoked device")
	}
	if _, err := e.svc.Refresh(ctx, "not-a-token", ""); !isUnauthorized(err) {
		t.Errorf("unknown token: %v", err)
	}
}

func TestRefreshLivesThirtyDaysFromLastUse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ttl := e.svc.Policy().RefreshTTL
	s := e.login(t, "tech", "phone")
	// An offline phone that refreshes every 29 days stays signed in for months.
	for i := range 4 {
		e.clock.Add(ttl - 24*time.Hour)
		next, err := e.svc.Refresh(ctx, s.RefreshToken, "")
		if err != nil {
			t.Fatalf("refresh %d after %v: %v", i, ttl-24*time.Hour, err)
		}
		s = next
	}
	// Unused for longer than the TTL: gone.
	e.clock.Add(ttl + time.Second)
	if _, err := e.svc.Refresh(ctx, s.RefreshToken, ""); !isUnauthorized(err) {
		t.Fatalf("refresh after %v unused: %v, want unauthorized", ttl+time.Second, err)
	}
	// An expired token is not a reuse: the device is not revoked for it.
	if d, _ := e.store.DeviceByID(ctx, s.DeviceID); !d.Active() {
		t.Errorf("an expired token revoked the device")
	}
}

func TestAccessTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.login(t, "tech", "phone")
	p, err := e.svc.Authenticate(ctx, s.AccessToken)
	if err != nil || p.UserID != e.tech.ID || p.Role != domain.RoleTechnician || p.TeamID != e.team.ID || p.DeviceID != s.DeviceID {
		t.Fatalf("Authenticate = %+v %v", p, err)
	}
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	now := e.clock.Now()
	good := jwt.MapClaims{"sub": e.tech.ID, "device": s.DeviceID, "iss": "fieldsync", "exp": now.Add(time.Minute).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	cases := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not.a.jwt"},
		{"another key", sign(jwt.SigningMethodHS256, []byte("another-key-0123456789abcdef0123456789"), good)},
		{"another algorithm", sign(jwt.SigningMethodHS512, []byte(testKey), good)},
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good)},
		{"another issuer", sign(jwt.SigningMethodHS256, []byte(testKey), with("iss", "evil"))},
		{"no expiry", sign(jwt.SigningMethodHS256, []byte(testKey), with("exp", nil))},
		{"expired", sign(jwt.SigningMethodHS256, []byte(testKey), with("exp", now.Add(-time.Second).Unix()))},
		{"no device", sign(jwt.SigningMethodHS256, []byte(testKey), with("device", nil))},
		{"unknown device", sign(jwt.SigningMethodHS256, []byte(testKey), with("device", "nope"))},
		{"device of another user", sign(jwt.SigningMethodHS256, []byte(testKey), with("sub", e.leader.ID))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.svc.Authenticate(ctx, tc.token); !isUnauthorized(err) {
				t.Fatalf("Authenticate: %v, want unauthorized", err)
			}
		})
	}
	e.clock.Add(e.svc.Policy().AccessTTL + time.Second)
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); !isUnauthorized(err) || domain.ErrorMessage(err) != "the access token has expired: refresh it" {
		t.Errorf("after AccessTTL: %v", err)
	}
}

func TestRevocationAndDisableTakeEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	leaderP, _ := e.svc.Authenticate(ctx, e.login(t, "leader", "lp").AccessToken)
	phone := e.login(t, "tech", "phone")
	tablet := e.login(t, "tech", "tablet")

	if _, err := e.svc.RevokeDevice(ctx, leaderP, "", phone.DeviceID); err != nil {
		t.Fatalf("leader revokes the phone: %v", err)
	}
	if _, err := e.svc.Authenticate(ctx, phone.AccessToken); !isUnauthorized(err) {
		t.Errorf("revoked phone's access token: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, phone.RefreshToken, ""); !isUnauthorized(err) {
		t.Errorf("revoked phone's refresh token: %v", err)
	}
	if _, err := e.svc.Authenticate(ctx, tablet.AccessToken); err != nil {
		t.Fatalf("tablet: %v", err)
	}
	if _, err := e.svc.DisableUser(ctx, leaderP, "", e.tech.ID); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if _, err := e.svc.Authenticate(ctx, tablet.AccessToken); !isUnauthorized(err) {
		t.Errorf("disabled user's token: %v", err)
	}
	_, err := e.svc.Login(ctx, accounts.LoginInput{Username: "tech", Password: password, DeviceID: "tablet"})
	if !isUnauthorized(err) || domain.ErrorMessage(err) != "this account is disabled" {
		t.Errorf("disabled user's login: %v", err)
	}
	if _, err := e.svc.DisableUser(ctx, leaderP, "", e.leader.ID); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a leader disabling themselves: %v", err)
	}
}

func TestResetPasswordSignsOut(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.login(t, "tech", "phone")
	if err := e.svc.ResetPassword(ctx, accounts.CommandLine, "", e.tech.ID, "short"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("short password: %v", err)
	}
	if err := e.svc.ResetPassword(ctx, accounts.CommandLine, "", e.tech.ID, "a new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); !isUnauthorized(err) {
		t.Errorf("token after reset: %v", err)
	}
	if _, err := e.svc.Login(ctx, accounts.LoginInput{Username: "tech", Password: password, DeviceID: "d"}); !isUnauthorized(err) {
		t.Errorf("old password: %v", err)
	}
	if _, err := e.svc.Login(ctx, accounts.LoginInput{Username: "tech", Password: "a new password", DeviceID: "d"}); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestTeamHasOneLeader(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if e.leader.TeamID != e.team.ID {
		t.Fatalf("leader's team %q", e.leader.TeamID)
	}
	teams, _ := e.svc.ListTeams(ctx, accounts.CommandLine)
	if len(teams) != 1 || teams[0].LeaderID != e.leader.ID {
		t.Fatalf("teams %+v: the leader must lead the team", teams)
	}
	_, err := e.svc.CreateUser(ctx, accounts.CommandLine, "", domain.User{Username: "second", Role: domain.RoleLeader, TeamID: e.team.ID}, password)
	if domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("a second leader: %v, want conflict", err)
	}
	if _, _, err := e.store.UserByUsername(ctx, "second"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the refused leader was stored: %v", err)
	}
	// Disabling the leader frees the team for a new one.
	if _, err := e.svc.DisableUser(ctx, accounts.CommandLine, "", e.leader.ID); err != nil {
		t.Fatal(err)
	}
	next := e.mustCreate(t, accounts.CommandLine, domain.User{Username: "second", Role: domain.RoleLeader, TeamID: e.team.ID})
	if team, _ := e.store.TeamByID(ctx, e.team.ID); team.LeaderID != next.ID {
		t.Errorf("new leader not appointed: %+v", team)
	}
}

func TestLoadSigningKey(t *testing.T) {
	ctx := context.Background()
	settings := mongostore.NewSettings(storetest.Mongo(t))
	if _, err := accounts.LoadSigningKey(ctx, settings, "too short"); err == nil {
		t.Error("a short configured key must be refused")
	}
	if k, err := accounts.LoadSigningKey(ctx, settings, testKey); err != nil || string(k) != testKey {
		t.Errorf("configured key: %q %v", k, err)
	}
	a, err := accounts.LoadSigningKey(ctx, settings, "")
	if err != nil || len(a) < accounts.MinSigningKeyLen {
		t.Fatalf("generated key: %d bytes, %v", len(a), err)
	}
	if b, _ := accounts.LoadSigningKey(ctx, settings, ""); string(a) != string(b) {
		t.Error("a second instance must load the same generated key")
	}
}
