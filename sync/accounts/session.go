package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
)

// errBadCredentials is the one answer to a failed login, whether the user exists or not.
var errBadCredentials = &domain.Error{Code: domain.CodeUnauthorized, Message: "invalid username or password"}

// LoginInput is a login attempt: the credentials, the app's id and name for the device, and the
// client's address (for the audit log).
type LoginInput struct {
	Username   string
	Password   string
	DeviceID   string
	DeviceName string
	Address    string
}

// Session is what a login or a refresh hands to the device: an access token valid for
// ExpiresIn, a refresh token (shown once, stored only hashed) and the user.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	User         domain.User
	DeviceID     string // the server's device id
}

// Login checks the credentials and opens (or reopens) the session of the device. Every failure
// is the same unauthorized "invalid username or password" and takes the same time (an unknown
// username is checked against a dummy hash); only a correct password for a disabled account
// says so. Successes and failures are audited (the username, never the password).
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	if err := checkDevice(in.DeviceID, in.DeviceName); err != nil {
		return Session{}, err
	}
	now := s.now()
	s.purgeExpired(ctx)
	username := domain.NormalizeUsername(in.Username)
	u, hash, err := s.store.UserByUsername(ctx, username)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return Session{}, err
	}
	matches := s.passwordMatches(hash, in.Password)
	if !matches || u.Disabled {
		failed := domain.AuditEntry{At: now, UserID: u.ID, Username: domain.CutUTF8(username, domain.MaxAuditUsernameLen),
			Role: u.Role, TeamID: u.TeamID, Address: in.Address, Action: domain.AuditLoginFailed}
		if matches {
			failed.Detail = domain.RevokeUserDisabled
		}
		if err := s.record(ctx, failed); err != nil {
			return Session{}, err
		}
		if matches {
			return Session{}, errUserDisabled
		}
		return Session{}, errBadCredentials
	}
	if s.needsRehash(hash) {
		if newHash, err := s.hashPassword(in.Password); err == nil {
			_ = s.store.SetPasswordHash(ctx, u.ID, newHash, now) // an upgrade; the old hash still works
		}
	}
	dev, err := s.store.OpenDevice(ctx, domain.Device{ID: uuid.NewString(), UserID: u.ID, TeamID: u.TeamID,
		ClientID: in.DeviceID, Name: in.DeviceName, CreatedAt: now, LastSeenAt: now})
	if err != nil {
		return Session{}, fmt.Errorf("open device: %w", err)
	}
	// A new login replaces the device's refresh token chain.
	if err := s.store.RevokeRefreshTokens(ctx, dev.ID, now); err != nil {
		return Session{}, err
	}
	sess, err := s.issue(ctx, u, dev.ID, now)
	if err != nil {
		return Session{}, err
	}
	e := domain.AuditBy(domain.PrincipalOf(u, dev.ID), in.Address, now, domain.AuditLogin)
	e.Collection, e.RecordID = domain.CollDevices, dev.ID
	return sess, s.record(ctx, e)
}

// Refresh exchanges a refresh token for a new session of the same device: the token is rotated
// (it never works again) and the new one is valid for Policy.RefreshTTL from now. An unknown,
// expired or revoked token is unauthorized. An already-rotated token is the sign that it was
// copied: the device is revoked (every token of it, refresh and access), the event is audited,
// and the answer is unauthorized.
func (s *Service) Refresh(ctx context.Context, token, address string) (Session, error) {
	now := s.now()
	hash := hashRefresh(token)
	old, err := s.store.RotateRefreshToken(ctx, hash, now)
	if errors.Is(err, domain.ErrNotFound) {
		return Session{}, s.refusedRefresh(ctx, hash, address, now)
	}
	if err != nil {
		return Session{}, err
	}
	dev, err := s.store.DeviceByID(ctx, old.DeviceID)
	if err != nil || !dev.Active() || dev.UserID != old.UserID {
		return Session{}, errRefreshBad
	}
	u, err := s.store.UserByID(ctx, old.UserID)
	if err != nil {
		return Session{}, errRefreshBad
	}
	if u.Disabled {
		return Session{}, errUserDisabled
	}
	if err := s.store.TouchDevice(ctx, dev.ID, now); err != nil {
		return Session{}, err
	}
	return s.issue(ctx, u, dev.ID, now)
}

// refusedRefresh explains why hash could not be rotated, revoking its device when it was
// rotated already (reuse).
func (s *Service) refusedRefresh(ctx context.Context, hash, address string, now time.Time) error {
	old, err := s.store.RefreshTokenByHash(ctx, hash)
	if errors.Is(err, domain.ErrNotFound) {
		return errRefreshBad
	}
	if err != nil {
		return err
	}
	if old.State != domain.RefreshRotated || !now.Before(old.ExpiresAt) {
		return errRefreshBad
	}
	if err := s.store.RevokeDevice(ctx, old.DeviceID, "", domain.RevokeTokenReuse, now); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, old.UserID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	s.log.Warn("refresh token reuse: device revoked", slog.String("userId", old.UserID), slog.String("deviceId", old.DeviceID))
	e := domain.AuditEntry{At: now, UserID: old.UserID, Username: u.Username, Role: u.Role, TeamID: u.TeamID,
		DeviceID: old.DeviceID, Address: address, Action: domain.AuditRefreshReuse,
		Collection: domain.CollDevices, RecordID: old.DeviceID, Detail: domain.RevokeTokenReuse}
	if err := s.record(ctx, e); err != nil {
		return err
	}
	return errRefreshBad
}

// issue stores a new refresh token for the device and signs an access token.
func (s *Service) issue(ctx context.Context, u domain.User, deviceID string, now time.Time) (Session, error) {
	refresh, hash, err := newRefreshToken()
	if err != nil {
		return Session{}, err
	}
	err = s.store.InsertRefreshToken(ctx, domain.RefreshToken{Hash: hash, UserID: u.ID, DeviceID: deviceID,
		State: domain.RefreshActive, IssuedAt: now, ExpiresAt: now.Add(s.policy.RefreshTTL)})
	if err != nil {
		return Session{}, err
	}
	access, err := s.issueAccess(u, deviceID, now)
	if err != nil {
		return Session{}, fmt.Errorf("sign access token: %w", err)
	}
	return Session{AccessToken: access, RefreshToken: refresh, ExpiresIn: s.policy.AccessTTL, User: u, DeviceID: deviceID}, nil
}

// Logout ends the caller's device session: its refresh token is revoked and its access token
// stops working at once. It is audited.
func (s *Service) Logout(ctx context.Context, p domain.Principal, address string) error {
	now := s.now()
	if err := s.store.RevokeDevice(ctx, p.DeviceID, p.UserID, domain.RevokeLogout, now); err != nil {
		return err
	}
	e := domain.AuditBy(p, address, now, domain.AuditLogout)
	e.Collection, e.RecordID = domain.CollDevices, p.DeviceID
	return s.record(ctx, e)
}

// Authenticate turns an access token ("Bearer" stripped) into the caller's principal. Besides
// the token's signature, issuer and expiry it checks, in the store, that the device is still
// active and the user still enabled, so revocations take effect at once on every instance; the
// principal carries the user's current role and team. Errors: unauthorized with a message that
// says what to do (refresh, sign in again), or the store's error.
func (s *Service) Authenticate(ctx context.Context, token string) (domain.Principal, error) {
	if strings.TrimSpace(token) == "" {
		return domain.Principal{}, errTokenMissing
	}
	claims, err := s.parseAccess(token)
	if err != nil {
		return domain.Principal{}, err
	}
	dev, err := s.store.DeviceByID(ctx, claims.Device)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (!dev.Active() || dev.UserID != claims.Subject)) {
		return domain.Principal{}, errDeviceGone
	}
	if err != nil {
		return domain.Principal{}, err
	}
	u, err := s.store.UserByID(ctx, claims.Subject)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Principal{}, errTokenInvalid
	}
	if err != nil {
		return domain.Principal{}, err
	}
	if u.Disabled {
		return domain.Principal{}, errUserDisabled
	}
	return domain.PrincipalOf(u, dev.ID), nil
}

// checkDevice validates the app's device id and name. Errors: invalid, per field.
func checkDevice(id, name string) error {
	bad := map[string]string{}
	switch {
	case strings.TrimSpace(id) == "":
		bad["deviceId"] = "required"
	case len(id) > domain.MaxDeviceIDLen:
		bad["deviceId"] = fmt.Sprintf("max=%d", domain.MaxDeviceIDLen)
	}
	if len(name) > domain.MaxDeviceNameLen {
		bad["deviceName"] = fmt.Sprintf("max=%d", domain.MaxDeviceNameLen)
	}
	if len(bad) > 0 {
		return domain.Invalid("invalid device", bad)
	}
	return nil
}
