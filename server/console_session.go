package server

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// The console session's cookies and header (docs/console-api.md). The refresh token lives only
// in ConsoleCookie, HttpOnly and scoped to the session endpoints, so the console's JavaScript
// never holds more than a short-lived access token.
const (
	// ConsoleCookie holds the console's refresh token.
	ConsoleCookie = "fieldsync_console"
	// ConsoleDeviceCookie holds the browser's console device id (console-<uuid>), not a secret:
	// signing in again from the same browser reopens the same device instead of adding one.
	ConsoleDeviceCookie = "fieldsync_console_device"
	// ConsoleCookiePath is the only path the cookies are sent to.
	ConsoleCookiePath = "/v1/console/session"
	// ConsoleHeader must be "1" on refresh and sign-out: a header a cross-site form cannot send.
	ConsoleHeader = "X-Fieldsync-Console"
	// ConsoleDevicePrefix starts the device id of every console session.
	ConsoleDevicePrefix = "console-"
)

// consoleDeviceID accepts a device cookie only in the form the server gives it.
var consoleDeviceID = regexp.MustCompile(`^console-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// consoleDeviceYears is how long the device cookie lives (it names the browser, nothing more).
const consoleDeviceYears = 2

// consoleLoginRequest is POST /v1/console/session.
type consoleLoginRequest struct {
	Username string `json:"username" validate:"required,max=64"`
	Password string `json:"password" validate:"required,max=72"`
}

// consoleSessionJSON is the answer of sign-in and refresh: the access token only (expiresIn in
// seconds) and the user, as /v1/auth/login shows it.
type consoleSessionJSON struct {
	AccessToken string   `json:"accessToken"`
	TokenType   string   `json:"tokenType"`
	ExpiresIn   int      `json:"expiresIn"`
	User        userJSON `json:"user"`
}

// consoleSessionRoutes registers the console's session endpoints (issue 8):
//
//	POST   /v1/console/session          {username, password} → 200 session + Set-Cookie
//	POST   /v1/console/session/refresh  cookie + X-Fieldsync-Console: 1 → 200 session, cookie rotated
//	DELETE /v1/console/session          cookie + X-Fieldsync-Console: 1 → 204, cookie cleared
//
// Every one refuses a request from another origin (403 csrf, consoleGuard). Sign-in shares the
// login's rate limits, audit and errors (401 unauthorized, 429 rate_limited).
func (s *Server) consoleSessionRoutes() {
	login := append([]fiber.Handler{consoleGuard(false)}, s.loginLimiters()...)
	login = append(login, s.settle, s.consoleLogin)
	s.app.Post(ConsoleCookiePath, login...)
	s.app.Post(ConsoleCookiePath+"/refresh", consoleGuard(true), s.consoleRefresh)
	s.app.Delete(ConsoleCookiePath, consoleGuard(true), s.consoleLogout)
}

// consoleGuard refuses, with 403 csrf, a request whose Origin is present and not the server's
// own (scheme, host and port, as c.BaseURL sees them behind a proxy that sets X-Forwarded-Proto
// and X-Forwarded-Host), or whose Sec-Fetch-Site says another site; with needHeader, also one
// without "X-Fieldsync-Console: 1". A body that is not JSON is 415 unsupported. The answers
// carry Cache-Control: no-store.
func consoleGuard(needHeader bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		if origin := c.Get(fiber.HeaderOrigin); origin != "" && !strings.EqualFold(origin, c.BaseURL()) {
			return domain.Errorf(domain.CodeCSRF, "a console session request must come from the console's own origin")
		}
		if site := c.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			return domain.Errorf(domain.CodeCSRF, "a console session request must come from the console's own origin")
		}
		if needHeader && c.Get(ConsoleHeader) != "1" {
			return domain.Errorf(domain.CodeCSRF, "the %s: 1 header is required", ConsoleHeader)
		}
		if len(c.Body()) > 0 && !c.Is("json") {
			return domain.Errorf(domain.CodeUnsupported, "the body must be application/json")
		}
		return c.Next()
	}
}

// consoleLogin handles POST /v1/console/session {username, password} → 200 {accessToken,
// tokenType: "Bearer", expiresIn, user} and the refresh token in ConsoleCookie (HttpOnly,
// SameSite=Strict, Path=/v1/console/session, Secure over https, Max-Age the refresh token's
// lifetime). The device is console-<uuid> (kept per browser in ConsoleDeviceCookie), named
// "Web console (<browser>)". Errors: 400 invalid per field; 401 unauthorized; 403 csrf; 415;
// 429 rate_limited.
func (s *Server) consoleLogin(c *fiber.Ctx) error {
	var req consoleLoginRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	device := c.Cookies(ConsoleDeviceCookie)
	if !consoleDeviceID.MatchString(device) {
		device = ConsoleDevicePrefix + uuid.NewString()
	}
	sess, err := s.deps.Accounts.Login(c.UserContext(), accounts.LoginInput{Username: req.Username, Password: req.Password,
		DeviceID: device, DeviceName: ConsoleDeviceName(c.Get(fiber.HeaderUserAgent)), Address: c.IP()})
	if err != nil {
		return err
	}
	s.setConsoleCookie(c, ConsoleDeviceCookie, device, consoleDeviceYears*365*24*3600)
	return s.answerConsoleSession(c, sess)
}

// consoleRefresh handles POST /v1/console/session/refresh (the cookie, X-Fieldsync-Console: 1)
// → 200 the same shape as sign-in, with the cookie rotated (an already-used refresh token
// revokes the device: accounts.Service.Refresh). Errors: 401 unauthorized without a cookie or
// with a bad one (the cookie is cleared); 403 csrf.
func (s *Server) consoleRefresh(c *fiber.Ctx) error {
	token := c.Cookies(ConsoleCookie)
	if token == "" {
		return domain.Errorf(domain.CodeUnauthorized, "no console session: sign in")
	}
	sess, err := s.deps.Accounts.Refresh(c.UserContext(), token, c.IP())
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeUnauthorized {
			s.setConsoleCookie(c, ConsoleCookie, "", -1)
		}
		return err
	}
	return s.answerConsoleSession(c, sess)
}

// consoleLogout handles DELETE /v1/console/session (the cookie, X-Fieldsync-Console: 1) → 204:
// the console device's session ends (accounts.Service.Logout: its refresh and access tokens stop
// working, audited) and the cookie is cleared. It needs no access token, so it works after the
// access token expired; without a cookie, or with one that no longer works, there is nothing to
// end and the answer is 204 too. Errors: 403 csrf; 503 when the store is down.
func (s *Server) consoleLogout(c *fiber.Ctx) error {
	token := c.Cookies(ConsoleCookie)
	s.setConsoleCookie(c, ConsoleCookie, "", -1)
	if token == "" {
		return c.SendStatus(fiber.StatusNoContent)
	}
	// The cookie names the device only through its refresh token: one last rotation yields the
	// device's principal, which the ordinary logout then ends.
	ctx := c.UserContext()
	sess, err := s.deps.Accounts.Refresh(ctx, token, c.IP())
	if err == nil {
		var p domain.Principal
		if p, err = s.deps.Accounts.Authenticate(ctx, sess.AccessToken); err == nil {
			err = s.deps.Accounts.Logout(ctx, p, c.IP())
		}
	}
	if err != nil && domain.ErrorCode(err) != domain.CodeUnauthorized {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// answerConsoleSession sets the refresh cookie of sess and answers its access token.
func (s *Server) answerConsoleSession(c *fiber.Ctx, sess accounts.Session) error {
	s.setConsoleCookie(c, ConsoleCookie, sess.RefreshToken, int(s.deps.Accounts.Policy().RefreshTTL.Seconds()))
	return c.JSON(consoleSessionJSON{AccessToken: sess.AccessToken, TokenType: "Bearer",
		ExpiresIn: int(sess.ExpiresIn.Seconds()), User: toUserJSON(sess.User)})
}

// setConsoleCookie adds a Set-Cookie for one of the console's cookies: HttpOnly, SameSite=Strict,
// Path=/v1/console/session, Secure when the request came over https (X-Forwarded-Proto
// included); maxAge in seconds, negative to delete it (Max-Age=0).
func (s *Server) setConsoleCookie(c *fiber.Ctx, name, value string, maxAge int) {
	cookie := http.Cookie{Name: name, Value: value, Path: ConsoleCookiePath, MaxAge: maxAge, HttpOnly: true,
		Secure: c.Protocol() == "https", SameSite: http.SameSiteStrictMode}
	c.Response().Header.Add(fiber.HeaderSetCookie, cookie.String())
}

// ConsoleDeviceName is the device name of a console session: "Web console (<browser>, <system>)"
// from the User-Agent, e.g. "Web console (Chrome, Windows)"; "Web console" when neither is known.
func ConsoleDeviceName(userAgent string) string {
	var parts []string
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(userAgent, b.token) {
			parts = append(parts, b.name)
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Windows", "Windows"}, {"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iOS"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(userAgent, o.token) {
			parts = append(parts, o.name)
			break
		}
	}
	if len(parts) == 0 {
		return "Web console"
	}
	return "Web console (" + strings.Join(parts, ", ") + ")"
}
