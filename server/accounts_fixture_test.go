package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	stdsync "sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

const (
	fxKey      = "fixture-signing-key-0123456789abcdef012345"
	fxPassword = "correct horse battery"
)

// fixture is a server with accounts on a fresh database: two teams, and one signed-in user of
// every kind the table needs, plus the broken credentials (expired, foreign key, revoked,
// reused, disabled).
type fixture struct {
	t        *testing.T
	srv      *Server
	svc      *accounts.Service
	store    *mongostore.Store
	logs     *syncBuffer
	teamA    domain.Team
	teamB    domain.Team
	users    map[string]domain.User      // by fixture name
	sessions map[string]accounts.Session // by fixture name
	reused   string                      // a refresh token that was rotated, then presented again
	n        int                         // counter for unique names
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  stdsync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixturePolicy is the default policy with a fast password hash.
func fixturePolicy() accounts.Policy {
	p := accounts.DefaultPolicy()
	p.PasswordCost = 4
	return p
}

// newTestEngine is the real sync engine on store.
func newTestEngine(store *mongostore.Store) *sync.Engine {
	return sync.New(sync.Config{Records: mongostore.NewRecords(store), Sequencer: mongostore.NewSequencer(store, time.Now),
		Log: mongostore.NewMutationLog(store), Rules: sync.DomainRules{}, Audit: mongostore.NewAuditLog(store),
		CursorKey: []byte("fixture-cursor-key-0123456789abcdef0123")})
}

// newAccountsServer wires a server with accounts on store, logging everything to logs.
func newAccountsServer(t *testing.T, store *mongostore.Store, policy accounts.Policy, logs io.Writer) (*Server, *accounts.Service) {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := accounts.New(accounts.Config{Store: mongostore.NewAccounts(store), Audit: mongostore.NewAuditLog(store),
		SigningKey: []byte(fxKey), Policy: policy, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	engine := newTestEngine(store)
	srv := New(Config{Logger: log, BodyLimit: 1 << 20}, withScoring(t, store, engine, time.Now,
		Deps{Accounts: svc, LoginLimits: mongostore.NewLimiterStorage(store), Sync: engine}))
	return srv, svc
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, store: storetest.Mongo(t), logs: &syncBuffer{},
		users: map[string]domain.User{}, sessions: map[string]accounts.Session{}}
	f.srv, f.svc = newAccountsServer(t, f.store, fixturePolicy(), f.logs)
	ctx := context.Background()
	var err error
	if f.teamA, err = f.svc.CreateTeam(ctx, accounts.CommandLine, "", "team-a"); err != nil {
		t.Fatal(err)
	}
	if f.teamB, err = f.svc.CreateTeam(ctx, accounts.CommandLine, "", "team-b"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name string
		role domain.Role
		team string
	}{
		{"admin", domain.RoleAdmin, ""},
		{"leaderA", domain.RoleLeader, f.teamA.ID},
		{"leaderB", domain.RoleLeader, f.teamB.ID},
		{"techA", domain.RoleTechnician, f.teamA.ID},
		{"techB", domain.RoleTechnician, f.teamB.ID},
		{"buyer", domain.RolePurchasing, ""},
		{"gm", domain.RoleGM, ""},
		{"hr", domain.RoleHR, ""},
		{"disabled", domain.RoleTechnician, f.teamA.ID},
		{"revoked", domain.RoleTechnician, f.teamA.ID},
		{"reused", domain.RoleTechnician, f.teamA.ID},
	} {
		f.users[u.name] = f.createUser(u.name, u.role, u.team)
		f.sessions[u.name] = f.login(u.name)
	}
	// Break the broken ones.
	if _, err := f.svc.DisableUser(ctx, accounts.CommandLine, "", f.users["disabled"].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RevokeDevice(ctx, accounts.CommandLine, "", f.sessions["revoked"].DeviceID); err != nil {
		t.Fatal(err)
	}
	first := f.sessions["reused"]
	second, err := f.svc.Refresh(ctx, first.RefreshToken, "")
	if err != nil {
		t.Fatal(err)
	}
	f.sessions["reused"] = second
	if _, err := f.svc.Refresh(ctx, first.RefreshToken, ""); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("reuse not refused: %v", err)
	}
	f.reused = first.RefreshToken
	return f
}

// fixtureUsername is the username of a fixture user: "u." and its fixture name, lower-cased.
func fixtureUsername(name string) string { return "u." + domain.NormalizeUsername(name) }

// createUser creates a user named after its fixture name with fxPassword.
func (f *fixture) createUser(name string, role domain.Role, team string) domain.User {
	f.t.Helper()
	u := domain.User{Username: fixtureUsername(name), Role: role, TeamID: team}
	u, err := f.svc.CreateUser(context.Background(), accounts.CommandLine, "", u, fxPassword)
	if err != nil {
		f.t.Fatalf("create %s: %v", name, err)
	}
	return u
}

// login signs the fixture user in on a new device.
func (f *fixture) login(name string) accounts.Session {
	f.t.Helper()
	f.n++
	s, err := f.svc.Login(context.Background(), accounts.LoginInput{Username: fixtureUsername(name),
		Password: fxPassword, DeviceID: uuid.NewString(), DeviceName: "phone"})
	if err != nil {
		f.t.Fatalf("login %s: %v", name, err)
	}
	return s
}

// victim creates a fresh technician of team and signs them in: a target that a case may
// disable, reset or revoke without disturbing the others.
func (f *fixture) victim(team string) (domain.User, accounts.Session) {
	f.t.Helper()
	f.n++
	name := "victim" + uuid.NewString()[:8]
	u := f.createUser(name, domain.RoleTechnician, team)
	return u, f.login(name)
}

// forged signs an access token for the fixture user name with key, expiring at exp.
func (f *fixture) forged(name string, key string, exp time.Time) string {
	f.t.Helper()
	claims := jwt.MapClaims{"sub": f.users[name].ID, "device": f.sessions[name].DeviceID, "role": "admin",
		"iss": accounts.Issuer, "exp": exp.Unix(), "jti": uuid.NewString()}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// token returns the bearer token of a caller kind: a fixture user's session, or one of the
// broken credentials.
func (f *fixture) token(who string) string {
	switch who {
	case "none":
		return ""
	case "expired":
		return f.forged("techA", fxKey, time.Now().Add(-time.Minute))
	case "otherKey":
		return f.forged("techA", "another-signing-key-0123456789abcdef0123", time.Now().Add(time.Hour))
	}
	s, ok := f.sessions[who]
	if !ok {
		f.t.Fatalf("no caller %q", who)
	}
	return s.AccessToken
}

// call sends a JSON request as who and returns the status and decoded body.
func (f *fixture) call(who, method, path string, body any) (int, http.Header, map[string]any) {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	if tok := f.token(who); tok != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+tok)
	}
	return do(f.t, f.srv, req)
}
