package accounts

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/fieldsync/fieldsync/domain"
)

// MaxPasswordLen is bcrypt's limit: it reads no more than 72 bytes.
const MaxPasswordLen = 72

// checkPassword enforces the length policy. Errors: invalid, with field "password" and a stable
// code ("required", "min=N", "max=72").
func (s *Service) checkPassword(password string) error {
	code := ""
	switch {
	case password == "":
		code = "required"
	case len(password) < s.policy.MinPasswordLen:
		code = fmt.Sprintf("min=%d", s.policy.MinPasswordLen)
	case len(password) > MaxPasswordLen:
		code = fmt.Sprintf("max=%d", MaxPasswordLen)
	}
	if code != "" {
		return domain.Invalid("the password does not meet the policy", map[string]string{"password": code})
	}
	return nil
}

// hashPassword returns the bcrypt hash (the "$2a$<cost>$..." encoded form) of password.
func (s *Service) hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.policy.PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// passwordMatches reports whether password matches hash. With an empty hash (unknown user) it
// compares against a dummy hash of the same cost, so that the answer takes the same time.
func (s *Service) passwordMatches(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(s.dummy(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// needsRehash reports whether hash was made with a lower cost than the policy's.
func (s *Service) needsRehash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	return err == nil && cost < s.policy.PasswordCost
}

// checkCost refuses a bcrypt cost outside bcrypt.MinCost..MaxCost.
func checkCost(cost int) error {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return fmt.Errorf("accounts: password cost %d is outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return nil
}

// dummyHash hashes a random secret at cost (checked by New). On failure, which only a broken
// random source could cause, it hashes a fixed one: the dummy only has to cost the same time.
func dummyHash(cost int) []byte {
	secret, err := randomBytes(16)
	if err != nil {
		secret = []byte("fieldsync-dummy-password")
	}
	h, _ := bcrypt.GenerateFromPassword(secret, cost)
	return h
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, errors.Join(errors.New("read random bytes"), err)
	}
	return b, nil
}
