package server

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

const principalKey = "principal"

// requireAuth authenticates the request's "Authorization: Bearer <access token>" with the
// accounts service (signature, expiry, and the device and user checked in the store on every
// request) and puts the principal in the context for principalOf. Errors: 401 unauthorized.
func (s *Server) requireAuth(c *fiber.Ctx) error {
	scheme, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		token = ""
	}
	p, err := s.deps.Accounts.Authenticate(c.UserContext(), strings.TrimSpace(token))
	if err != nil {
		return err
	}
	c.Locals(principalKey, p)
	return c.Next()
}

// principalOf returns the caller authenticated by requireAuth (the zero Principal, which no
// grant reaches, on a route without it).
func principalOf(c *fiber.Ctx) domain.Principal {
	p, _ := c.Locals(principalKey).(domain.Principal)
	return p
}

// loginLimiters are the login's rate limits: failed attempts per client address and per
// username (Policy.LoginPerAddress, LoginPerUsername), counted in storage (nil: this process's
// memory; the server shares a MongoDB collection between instances). Over a limit the answer
// is 429 rate_limited with Retry-After.
func (s *Server) loginLimiters() []fiber.Handler {
	policy := s.deps.Accounts.Policy()
	limit := func(rl accounts.RateLimit, key func(*fiber.Ctx) string) fiber.Handler {
		return limiter.New(limiter.Config{
			Max:          rl.Max,
			Expiration:   rl.Window,
			KeyGenerator: key,
			// Only failures count, but once a key is over its limit every attempt waits, the right
			// password too (that is what stops guessing); docs/accounts.md gives the numbers.
			SkipSuccessfulRequests: true,
			Storage:                s.deps.LoginLimits,
			LimitReached: func(c *fiber.Ctx) error {
				// Write the answer here, so that the outer limiter counts this attempt.
				return s.handleError(c, domain.Errorf(domain.CodeRateLimited,
					"too many failed sign-ins: try again in %s s", c.GetRespHeader(fiber.HeaderRetryAfter)))
			},
		})
	}
	return []fiber.Handler{
		limit(policy.LoginPerAddress, func(c *fiber.Ctx) string { return "login:addr:" + c.IP() }),
		limit(policy.LoginPerUsername, func(c *fiber.Ctx) string { return "login:user:" + usernameOf(c.Body()) }),
	}
}

// usernameOf reads the normalized username from a login body without validating anything else.
func usernameOf(body []byte) string {
	var in struct {
		Username string `json:"username"`
	}
	_ = json.Unmarshal(body, &in)
	return domain.NormalizeUsername(in.Username)
}

// settle writes the error answer of the handlers after it at once, so that middleware before
// it (the limiters) sees the final status code.
func (s *Server) settle(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return s.handleError(c, err)
	}
	return nil
}

// login handles POST /v1/auth/login {username, password, deviceId, deviceName} →
// {accessToken, refreshToken, expiresIn, user}.
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	sess, err := s.deps.Accounts.Login(c.UserContext(), accounts.LoginInput{Username: req.Username,
		Password: req.Password, DeviceID: req.DeviceID, DeviceName: req.DeviceName, Address: c.IP()})
	if err != nil {
		return err
	}
	return c.JSON(toSessionJSON(sess))
}

// refresh handles POST /v1/auth/refresh {refreshToken} → the same shape as login.
func (s *Server) refresh(c *fiber.Ctx) error {
	var req refreshRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	sess, err := s.deps.Accounts.Refresh(c.UserContext(), req.RefreshToken, c.IP())
	if err != nil {
		return err
	}
	return c.JSON(toSessionJSON(sess))
}

// logout handles POST /v1/auth/logout: the caller's device session ends (204).
func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.deps.Accounts.Logout(c.UserContext(), principalOf(c), c.IP()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
