package accounts

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
)

// accessClaims are the claims of an access token: sub (user id), role, team, device (the
// server's device id), jti, iss, iat and exp. Role and team are informational for clients;
// the server rebuilds the principal from the stored user on every request.
type accessClaims struct {
	Role   domain.Role `json:"role"`
	Team   string      `json:"team,omitempty"`
	Device string      `json:"device"`
	jwt.RegisteredClaims
}

// Access-token errors: code unauthorized, messages safe to show.
var (
	errTokenMissing = &domain.Error{Code: domain.CodeUnauthorized, Message: "an access token is required"}
	errTokenInvalid = &domain.Error{Code: domain.CodeUnauthorized, Message: "the access token is not valid"}
	errTokenExpired = &domain.Error{Code: domain.CodeUnauthorized, Message: "the access token has expired: refresh it"}
	errDeviceGone   = &domain.Error{Code: domain.CodeUnauthorized, Message: "this device was signed out: sign in again"}
	errUserDisabled = &domain.Error{Code: domain.CodeUnauthorized, Message: "this account is disabled"}
	errRefreshBad   = &domain.Error{Code: domain.CodeUnauthorized, Message: "the refresh token is not valid: sign in again"}
)

// issueAccess signs an access token for u on device deviceID, valid for Policy.AccessTTL.
func (s *Service) issueAccess(u domain.User, deviceID string, now time.Time) (string, error) {
	claims := accessClaims{
		Role:   u.Role,
		Team:   u.TeamID,
		Device: deviceID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   u.ID,
			ID:        uuid.NewString(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.policy.AccessTTL)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
}

// parseAccess verifies an access token: algorithm HS256 only, our key, issuer, expiry (by the
// service's clock) and the presence of sub and device. Errors: errTokenExpired or
// errTokenInvalid.
func (s *Service) parseAccess(token string) (accessClaims, error) {
	var claims accessClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return claims, errTokenExpired
	case err != nil:
		return claims, errTokenInvalid
	case claims.Subject == "" || claims.Device == "":
		return claims, errTokenInvalid
	}
	return claims, nil
}

// newRefreshToken returns a fresh refresh token (32 random bytes, base64url without padding)
// and its stored hash.
func newRefreshToken() (token, hash string, err error) {
	b, err := randomBytes(32)
	if err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashRefresh(token), nil
}

// hashRefresh is the stored form of a refresh token: hex SHA-256. The token has 256 bits of
// entropy, so a fast hash is enough (no salt, no stretching).
func hashRefresh(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
