// Package accounts is who is who in fieldsync: users, teams, passwords, devices (sessions),
// access and refresh tokens, and the account audit trail. It authorizes every operation with the
// one grant table of domain/access.go and keeps its state in a Store (sync/mongostore).
//
// Tokens: an access token is a JWT (HS256, issuer "fieldsync", Policy.AccessTTL) naming the user
// and the device; every request checks the device and the user in the store, so a revoked device
// or a disabled user is refused at once on every server instance. A refresh token is 32 random
// bytes (base64url) stored only as its SHA-256, bound to one device, rotated on every use and
// valid for Policy.RefreshTTL after its issue, i.e. after the device last refreshed; presenting an
// already-rotated token revokes the device (stolen-token detection).
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// Policy holds every number of the account rules. DefaultPolicy has the production values.
type Policy struct {
	// AccessTTL is how long an access token is valid.
	AccessTTL time.Duration
	// RefreshTTL is how long a refresh token is valid after it was issued, which is the last time
	// its device refreshed: an offline phone stays signed in while it refreshes at least once in
	// every RefreshTTL.
	RefreshTTL time.Duration
	// PasswordCost is the bcrypt cost (bcrypt.MinCost..MaxCost; 4 in tests).
	PasswordCost int
	// MinPasswordLen is the shortest password accepted, in bytes; bcrypt's limit, 72 bytes, is
	// the longest.
	MinPasswordLen int
	// LoginPerUsername and LoginPerAddress limit failed logins per username and per client
	// address in a window, across every server instance.
	LoginPerUsername RateLimit
	LoginPerAddress  RateLimit
	// PurgeEvery is how often expired refresh tokens are deleted (at most once per interval).
	PurgeEvery time.Duration
}

// RateLimit allows Max failed attempts in each Window.
type RateLimit struct {
	Max    int
	Window time.Duration
}

// DefaultPolicy returns the production policy: 15-minute access tokens, refresh tokens that
// live 30 days after the last use, bcrypt cost 11, passwords of 8..72 bytes, and at most 10
// failed logins per username and 50 per address in 15 minutes.
func DefaultPolicy() Policy {
	return Policy{
		AccessTTL:        15 * time.Minute,
		RefreshTTL:       30 * 24 * time.Hour,
		PasswordCost:     11,
		MinPasswordLen:   8,
		LoginPerUsername: RateLimit{Max: 10, Window: 15 * time.Minute},
		LoginPerAddress:  RateLimit{Max: 50, Window: 15 * time.Minute},
		PurgeEvery:       time.Hour,
	}
}

// Issuer is the iss claim of every access token.
const Issuer = "fieldsync"

// MinSigningKeyLen is the shortest signing key accepted, in bytes (HS256 wants >= 32).
const MinSigningKeyLen = 32

// CommandLine is the principal of `fieldsync admin` commands: an admin without a user id or
// device. Its username cannot be a real username, so the audit log tells it apart.
var CommandLine = domain.Principal{Username: "(command line)", Role: domain.RoleAdmin}

// Config wires a Service.
type Config struct {
	Store Store
	Audit AuditLog
	// SigningKey signs access tokens (at least MinSigningKeyLen bytes, the same on every
	// instance; see LoadSigningKey).
	SigningKey []byte
	Policy     Policy
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives security events (a revoked device, a detected token reuse) with ids only:
	// never a password, a token or customer data. slog.Default() when nil.
	Logger *slog.Logger
}

// Service is the accounts service. It is safe for concurrent use.
type Service struct {
	store     Store
	audit     AuditLog
	key       []byte
	policy    Policy
	now       func() time.Time
	log       *slog.Logger
	dummy     func() []byte // a hash to compare against when the username is unknown (same cost, same time)
	lastPurge atomic.Int64  // unix seconds of the last refresh-token purge
}

// New returns a service. Errors: a missing store or audit log, a short signing key, or a
// password cost bcrypt refuses.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil {
		return nil, errors.New("accounts: Store and Audit are required")
	}
	if len(cfg.SigningKey) < MinSigningKeyLen {
		return nil, fmt.Errorf("accounts: the signing key must be at least %d bytes", MinSigningKeyLen)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := checkCost(cfg.Policy.PasswordCost); err != nil {
		return nil, err
	}
	// Made on the first unknown username, not at start: the command line never needs it.
	dummy := stdsync.OnceValue(func() []byte { return dummyHash(cfg.Policy.PasswordCost) })
	return &Service{store: cfg.Store, audit: cfg.Audit, key: cfg.SigningKey, policy: cfg.Policy,
		now: cfg.Now, log: cfg.Logger, dummy: dummy}, nil
}

// Policy returns the service's policy (the server reads its login limits from it).
func (s *Service) Policy() Policy { return s.policy }

// LoadSigningKey returns the access-token signing key: configured when it is set (from
// FIELDSYNC_JWT_SECRET), otherwise the key stored in settings, generated and stored on the first
// start (insert-if-absent, so that every instance shares it). Errors: a configured key shorter
// than MinSigningKeyLen, or the store's.
func LoadSigningKey(ctx context.Context, settings Settings, configured string) ([]byte, error) {
	if configured != "" {
		if len(configured) < MinSigningKeyLen {
			return nil, fmt.Errorf("the JWT secret must be at least %d bytes", MinSigningKeyLen)
		}
		return []byte(configured), nil
	}
	candidate, err := randomBytes(32)
	if err != nil {
		return nil, err
	}
	key, err := settings.SigningKey(ctx, candidate)
	if err != nil {
		return nil, fmt.Errorf("load the signing key: %w", err)
	}
	if len(key) < MinSigningKeyLen {
		return nil, fmt.Errorf("the stored signing key is %d bytes, want at least %d", len(key), MinSigningKeyLen)
	}
	return key, nil
}

// record appends one audit entry at the service's clock.
func (s *Service) record(ctx context.Context, e domain.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if err := s.audit.Record(ctx, e); err != nil {
		return fmt.Errorf("record %s in the audit log: %w", e.Action, err)
	}
	return nil
}

// purgeExpired deletes expired refresh tokens, at most once per Policy.PurgeEvery across the
// life of this service. Failures are logged, never returned: the purge is housekeeping.
func (s *Service) purgeExpired(ctx context.Context) {
	now := s.now()
	last := s.lastPurge.Load()
	if now.Unix()-last < int64(s.policy.PurgeEvery/time.Second) || !s.lastPurge.CompareAndSwap(last, now.Unix()) {
		return
	}
	if _, err := s.store.PurgeRefreshTokens(ctx, now); err != nil {
		s.log.Warn("purge expired refresh tokens", slog.String("error", err.Error()))
	}
}
