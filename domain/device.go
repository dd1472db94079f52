package domain

import "time"

// Device is one signed-in session of a user on one phone (or browser): created at login,
// refreshed by its refresh token, ended by logout or revocation. ID is the server's id (it is
// what access tokens carry and what revocation names); ClientID is the id the app generated and
// sends at login (stable across logins on that phone). A revoked device stays revoked: a new
// login on the same phone opens a new Device, so tokens of the old one never work again.
// TeamID is the user's team at login, so that leaders can list and revoke their team's devices.
type Device struct {
	ID         string
	UserID     string
	TeamID     string
	ClientID   string
	Name       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// RevokedAt is the zero time while the device is active.
	RevokedAt    time.Time
	RevokedBy    string // user id, or "" for the system
	RevokeReason string // RevokeLogout, RevokeByUser, ...
}

// Active reports whether the device's tokens may still be used.
func (d Device) Active() bool { return d.RevokedAt.IsZero() }

// Why a device was revoked (Device.RevokeReason).
const (
	RevokeLogout        = "logout"         // the user signed out on it
	RevokeByUser        = "revoked"        // a user, their leader or an admin revoked it (lost phone)
	RevokeTokenReuse    = "token_reuse"    // an already-rotated refresh token came back: stolen
	RevokeUserDisabled  = "user_disabled"  // its user was disabled
	RevokePasswordReset = "password_reset" // its user's password was reset
)

// Device limits: the client's id and name, in bytes.
const (
	MaxDeviceIDLen   = 128
	MaxDeviceNameLen = 128
)

// RefreshState is the life-cycle state of a refresh token.
type RefreshState string

// A refresh token is active until it is used once (rotated) or its device is revoked (revoked).
// Presenting a rotated token again is the sign of a stolen token.
const (
	RefreshActive  RefreshState = "active"
	RefreshRotated RefreshState = "rotated"
	RefreshRevoked RefreshState = "revoked"
)

// RefreshToken is the stored side of a refresh token: only the SHA-256 of the token (hex), never
// the token. It is bound to one user and one Device (DeviceID is Device.ID). It expires at
// ExpiresAt, which is set from its issue, i.e. from the last time its device used a refresh
// token (every use rotates it), by the accounts policy.
type RefreshToken struct {
	Hash      string
	UserID    string
	DeviceID  string
	State     RefreshState
	IssuedAt  time.Time
	ExpiresAt time.Time
	RotatedAt time.Time // zero unless rotated
}
