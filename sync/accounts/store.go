package accounts

import (
	"context"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// Store is everything the accounts service keeps. Implementations: sync/mongostore.Accounts.
// Errors wrap domain.ErrNotFound, domain.ErrConflict or domain.ErrUnavailable.
type Store interface {
	Users
	Teams
	Devices
	RefreshTokens
}

// Users keeps the users and their password hashes (the hash never leaves this interface and the
// service).
type Users interface {
	// InsertUser stores a new user with its password hash. A taken username or id is
	// domain.ErrConflict.
	InsertUser(ctx context.Context, u domain.User, passwordHash string, at time.Time) error
	// UserByID returns the user, or domain.ErrNotFound.
	UserByID(ctx context.Context, id string) (domain.User, error)
	// UserByUsername returns the user with this (normalized) username and its password hash, or
	// domain.ErrNotFound.
	UserByUsername(ctx context.Context, username string) (domain.User, string, error)
	// ListUsers returns the users of team teamID ("" for every user), by username.
	ListUsers(ctx context.Context, teamID string) ([]domain.User, error)
	// SetUserDisabled marks the user disabled (idempotent), or returns domain.ErrNotFound.
	SetUserDisabled(ctx context.Context, id string, at time.Time) error
	// SetPasswordHash replaces the user's password hash, or returns domain.ErrNotFound.
	SetPasswordHash(ctx context.Context, id, hash string, at time.Time) error
}

// Teams keeps the teams.
type Teams interface {
	// InsertTeam stores a new team; a taken name or id is domain.ErrConflict.
	InsertTeam(ctx context.Context, t domain.Team, at time.Time) error
	// TeamByID returns the team, or domain.ErrNotFound.
	TeamByID(ctx context.Context, id string) (domain.Team, error)
	// TeamByName returns the team with exactly this name, or domain.ErrNotFound.
	TeamByName(ctx context.Context, name string) (domain.Team, error)
	// ListTeams returns team id, or every team for "", by name.
	ListTeams(ctx context.Context, id string) ([]domain.Team, error)
	// SetTeamLeader sets the team's leader to to, only while it is from ("" = no leader): a
	// compare-and-set, so that two leaders can never both be appointed. Otherwise
	// domain.ErrConflict (or domain.ErrNotFound for no such team).
	SetTeamLeader(ctx context.Context, teamID, from, to string) error
}

// DeviceQuery selects devices: those of UserID, or of TeamID, or all when both are empty; only
// active ones unless IncludeRevoked. Newest first, at most Limit (a store default when 0).
type DeviceQuery struct {
	UserID         string
	TeamID         string
	IncludeRevoked bool
	Limit          int // 0 or above MaxDeviceList: MaxDeviceList
}

// MaxDeviceList bounds one ListDevices answer (devices).
const MaxDeviceList = 500

// Devices keeps the signed-in devices (sessions).
type Devices interface {
	// OpenDevice returns the active device of (d.UserID, d.ClientID), refreshing its name, team
	// and LastSeenAt from d, or stores d as a new device when there is none. The returned
	// device's ID is the stored one (d.ID is used only for a new device).
	OpenDevice(ctx context.Context, d domain.Device) (domain.Device, error)
	// DeviceByID returns the device, or domain.ErrNotFound. It is on every authenticated
	// request's path: an indexed primary-key lookup.
	DeviceByID(ctx context.Context, id string) (domain.Device, error)
	// ListDevices returns the devices q selects.
	ListDevices(ctx context.Context, q DeviceQuery) ([]domain.Device, error)
	// TouchDevice sets the device's LastSeenAt.
	TouchDevice(ctx context.Context, id string, at time.Time) error
	// RevokeDevice revokes the device (idempotent: a revoked device keeps its first revocation)
	// and every refresh token of it. domain.ErrNotFound for no such device.
	RevokeDevice(ctx context.Context, id, by, reason string, at time.Time) error
	// RevokeUserDevices revokes every active device of the user and their refresh tokens.
	RevokeUserDevices(ctx context.Context, userID, by, reason string, at time.Time) error
}

// RefreshTokens keeps the hashes of refresh tokens.
type RefreshTokens interface {
	// InsertRefreshToken stores a new, active token.
	InsertRefreshToken(ctx context.Context, t domain.RefreshToken) error
	// RotateRefreshToken atomically moves the active, unexpired token hash to rotated and returns
	// it as it was, or returns domain.ErrNotFound when no such token is active and unexpired at
	// at (then RefreshTokenByHash tells why).
	RotateRefreshToken(ctx context.Context, hash string, at time.Time) (domain.RefreshToken, error)
	// RefreshTokenByHash returns the token in whatever state, or domain.ErrNotFound.
	RefreshTokenByHash(ctx context.Context, hash string) (domain.RefreshToken, error)
	// RevokeRefreshTokens revokes the active tokens of a device (a new login replaces them).
	RevokeRefreshTokens(ctx context.Context, deviceID string, at time.Time) error
	// PurgeRefreshTokens deletes tokens that expired before before (MongoDB's TTL index does it
	// too; FerretDB has none). It returns how many were deleted.
	PurgeRefreshTokens(ctx context.Context, before time.Time) (int64, error)
}

// Settings keeps server-wide settings shared by every instance.
type Settings interface {
	// SigningKey returns the stored access-token signing key, storing candidate first when there
	// is none (insert-if-absent: every instance ends up with the same key).
	SigningKey(ctx context.Context, candidate []byte) ([]byte, error)
}

// AuditLog is the append-only audit log. Implementations: sync/mongostore.AuditLog.
type AuditLog interface {
	// Record appends entries (one write for many). Entries without an ID or time get them.
	Record(ctx context.Context, entries ...domain.AuditEntry) error
	// List returns the entries q selects, newest first.
	List(ctx context.Context, q domain.AuditQuery) ([]domain.AuditEntry, error)
}
