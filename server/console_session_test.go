package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/sync/mongostore"
)

// newConsoleFixture is the account fixture with the console served.
func newConsoleFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.srv = New(Config{Logger: log, BodyLimit: 1 << 20}, Deps{Accounts: f.svc,
		LoginLimits: mongostore.NewLimiterStorage(f.store), Console: consoleFS})
	return f
}

// consoleCall is one request to the console session endpoints.
type consoleCall struct {
	method, path, body, ctype string
	header                    map[string]string
	cookie                    string // the refresh cookie's value, if any
	device                    string // the device cookie's value, if any
}

// send performs c against f's server and returns the response (body read into the map).
func (f *fixture) sendConsole(c consoleCall) (int, http.Header, map[string]any) {
	f.t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, c.path, body)
	if c.ctype == "" && c.body != "" {
		c.ctype = fiber.MIMEApplicationJSON
	}
	if c.ctype != "" {
		req.Header.Set(fiber.HeaderContentType, c.ctype)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: ConsoleCookie, Value: c.cookie})
	}
	if c.device != "" {
		req.AddCookie(&http.Cookie{Name: ConsoleDeviceCookie, Value: c.device})
	}
	return do(f.t, f.srv, req)
}

// setCookie returns the Set-Cookie header of cookie name, "" when absent.
func setCookie(h http.Header, name string) string {
	for _, v := range h.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			return v
		}
	}
	return ""
}

// cookieValue is the value of a Set-Cookie header.
func cookieValue(setCookie string) string {
	v, _, _ := strings.Cut(strings.TrimPrefix(setCookie, ConsoleCookie+"="), ";")
	return v
}

// consoleLogin signs the fixture user name in through the console and returns the access token
// and the refresh cookie.
func (f *fixture) consoleLogin(name string) (string, string) {
	f.t.Helper()
	status, h, body := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath,
		body: `{"username":"` + fixtureUsername(name) + `","password":"` + fxPassword + `"}`})
	if status != 200 {
		f.t.Fatalf("console login %s: %d %v", name, status, body)
	}
	tok, _ := body["accessToken"].(string)
	return tok, cookieValue(setCookie(h, ConsoleCookie))
}

func TestConsoleSessionSignIn(t *testing.T) {
	f := newConsoleFixture(t)
	good := `{"username":"` + fixtureUsername("leaderA") + `","password":"` + fxPassword + `"}`
	cases := []struct {
		name   string
		call   consoleCall
		status int
		code   string
		secure bool
	}{
		{"signs in", consoleCall{body: good}, 200, "", false},
		{"same origin", consoleCall{body: good, header: map[string]string{"Origin": "http://example.com"}}, 200, "", false},
		{"https behind a proxy", consoleCall{body: good, header: map[string]string{"X-Forwarded-Proto": "https",
			"Origin": "https://example.com"}}, 200, "", true},
		{"another origin", consoleCall{body: good, header: map[string]string{"Origin": "https://evil.example"}}, 403, "csrf", false},
		{"null origin", consoleCall{body: good, header: map[string]string{"Origin": "null"}}, 403, "csrf", false},
		{"cross-site fetch", consoleCall{body: good, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, "csrf", false},
		{"form body", consoleCall{body: "username=a&password=b", ctype: fiber.MIMEApplicationForm}, 415, "unsupported", false},
		{"text body", consoleCall{body: good, ctype: fiber.MIMETextPlain}, 415, "unsupported", false},
		{"wrong password", consoleCall{body: `{"username":"` + fixtureUsername("leaderA") + `","password":"nope nope"}`}, 401, "unauthorized", false},
		{"unknown user", consoleCall{body: `{"username":"nobody","password":"nope nope"}`}, 401, "unauthorized", false},
		{"no password", consoleCall{body: `{"username":"x"}`}, 400, "invalid", false},
		{"a refresh token is no credential", consoleCall{body: `{"refreshToken":"x"}`}, 400, "invalid", false},
		{"disabled", consoleCall{body: `{"username":"` + fixtureUsername("disabled") + `","password":"` + fxPassword + `"}`}, 401, "unauthorized", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.method, tc.call.path = "POST", ConsoleCookiePath
			status, h, body := f.sendConsole(tc.call)
			if status != tc.status || errorCode(body) != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %v", status, errorCode(body), tc.status, tc.code, body)
			}
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
			}
			if status != 200 {
				if setCookie(h, ConsoleCookie) != "" {
					t.Errorf("a failed sign-in set the cookie")
				}
				return
			}
			for _, k := range []string{"accessToken", "tokenType", "expiresIn", "user"} {
				if _, ok := body[k]; !ok {
					t.Errorf("body lacks %s: %v", k, body)
				}
			}
			if _, ok := body["refreshToken"]; ok {
				t.Errorf("the refresh token reached the body")
			}
			if u, _ := body["user"].(map[string]any); u["username"] != fixtureUsername("leaderA") || u["role"] != "leader" {
				t.Errorf("user %v", body["user"])
			}
			c := setCookie(h, ConsoleCookie)
			for _, part := range []string{"Path=/v1/console/session", "Max-Age=2592000", "HttpOnly", "SameSite=Strict"} {
				if !strings.Contains(c, part) {
					t.Errorf("cookie %q lacks %s", c, part)
				}
			}
			if strings.Contains(c, "Secure") != tc.secure {
				t.Errorf("cookie %q: Secure should be %v", c, tc.secure)
			}
			if cookieValue(c) == "" {
				t.Errorf("empty refresh cookie")
			}
		})
	}
}

func TestConsoleSessionRefreshAndSignOut(t *testing.T) {
	f := newConsoleFixture(t)
	console := map[string]string{ConsoleHeader: "1"}
	access, cookie := f.consoleLogin("leaderA")

	// The header is required, the cookie too.
	for _, tc := range []struct {
		name   string
		call   consoleCall
		status int
		code   string
	}{
		{"refresh without the header", consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", cookie: cookie}, 403, "csrf"},
		{"refresh with a wrong header", consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", cookie: cookie,
			header: map[string]string{ConsoleHeader: "yes"}}, 403, "csrf"},
		{"refresh from another origin", consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", cookie: cookie,
			header: map[string]string{ConsoleHeader: "1", "Origin": "http://evil.example"}}, 403, "csrf"},
		{"refresh without a cookie", consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", header: console}, 401, "unauthorized"},
		{"refresh with a bad cookie", consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", header: console, cookie: "bogus"}, 401, "unauthorized"},
		{"sign-out without the header", consoleCall{method: "DELETE", path: ConsoleCookiePath, cookie: cookie}, 403, "csrf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.sendConsole(tc.call)
			if status != tc.status || errorCode(body) != tc.code {
				t.Fatalf("status %d code %q, want %d %q", status, errorCode(body), tc.status, tc.code)
			}
		})
	}

	// A refresh rotates the cookie and gives a working access token.
	status, h, body := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", header: console, cookie: cookie})
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, body)
	}
	rotated := cookieValue(setCookie(h, ConsoleCookie))
	if rotated == "" || rotated == cookie || body["accessToken"] == "" || body["accessToken"] == access {
		t.Fatalf("refresh did not rotate: cookie %q, body %v", rotated, body)
	}
	access, _ = body["accessToken"].(string)
	if status, _, _ := f.callToken(access, "GET", "/v1/me"); status != 200 {
		t.Fatalf("the refreshed access token: %d", status)
	}

	// Sign-out ends the device: the access token and the cookie stop working; the cookie is cleared.
	status, h, _ = f.sendConsole(consoleCall{method: "DELETE", path: ConsoleCookiePath, header: console, cookie: rotated})
	if status != 204 || !strings.Contains(setCookie(h, ConsoleCookie), "Max-Age=0") {
		t.Fatalf("sign-out: %d, Set-Cookie %q", status, setCookie(h, ConsoleCookie))
	}
	if status, _, _ := f.callToken(access, "GET", "/v1/me"); status != 401 {
		t.Fatalf("the access token after sign-out: %d, want 401", status)
	}
	if status, _, _ := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", header: console, cookie: rotated}); status != 401 {
		t.Fatalf("the cookie after sign-out: %d, want 401", status)
	}
	// Signing out again, or without a cookie, is fine.
	if status, _, _ := f.sendConsole(consoleCall{method: "DELETE", path: ConsoleCookiePath, header: console, cookie: rotated}); status != 204 {
		t.Fatalf("second sign-out: %d", status)
	}
	if status, _, _ := f.sendConsole(consoleCall{method: "DELETE", path: ConsoleCookiePath, header: console}); status != 204 {
		t.Fatalf("sign-out without a cookie: %d", status)
	}
}

func TestConsoleSessionReuseRevokes(t *testing.T) {
	f := newConsoleFixture(t)
	console := map[string]string{ConsoleHeader: "1"}
	_, cookie := f.consoleLogin("leaderA")
	status, _, body := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", header: console, cookie: cookie})
	if status != 200 {
		t.Fatalf("refresh: %d", status)
	}
	access, _ := body["accessToken"].(string)
	// The old cookie again: a copy. The device is revoked, the new access token too.
	status, h, _ := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath + "/refresh", header: console, cookie: cookie})
	if status != 401 || !strings.Contains(setCookie(h, ConsoleCookie), "Max-Age=0") {
		t.Fatalf("reuse: %d, Set-Cookie %q", status, setCookie(h, ConsoleCookie))
	}
	if status, _, _ := f.callToken(access, "GET", "/v1/me"); status != 401 {
		t.Fatalf("access after reuse: %d, want 401", status)
	}
}

func TestConsoleDevice(t *testing.T) {
	f := newConsoleFixture(t)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
	body := `{"username":"` + fixtureUsername("leaderA") + `","password":"` + fxPassword + `"}`
	status, h, resp := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath, body: body,
		header: map[string]string{"User-Agent": ua}})
	if status != 200 {
		t.Fatalf("login: %d", status)
	}
	device := strings.TrimPrefix(setCookie(h, ConsoleDeviceCookie), ConsoleDeviceCookie+"=")
	device, _, _ = strings.Cut(device, ";")
	if !consoleDeviceID.MatchString(device) {
		t.Fatalf("device cookie %q", device)
	}
	// Signing in again from the same browser reopens the same device.
	if status, _, _ := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath, body: body, device: device,
		header: map[string]string{"User-Agent": ua}}); status != 200 {
		t.Fatalf("second login: %d", status)
	}
	tok, _ := resp["accessToken"].(string)
	_, _, list := f.callToken(tok, "GET", "/v1/devices")
	var mine []map[string]any
	for _, d := range list["devices"].([]any) {
		if d := d.(map[string]any); d["deviceId"] == device {
			mine = append(mine, d)
		}
	}
	if len(mine) != 1 || mine[0]["name"] != "Web console (Chrome, Windows)" {
		t.Fatalf("console devices %v", mine)
	}
}

func TestConsoleDeviceName(t *testing.T) {
	cases := map[string]string{
		"": "Web console",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15": "Web console (Safari, macOS)",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                             "Web console (Firefox, Linux)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 Edg/130.0":                  "Web console (Edge, Windows)",
	}
	for ua, want := range cases {
		if got := ConsoleDeviceName(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}

func TestConsoleSignInRateLimited(t *testing.T) {
	f := newConsoleFixture(t)
	bad := `{"username":"` + fixtureUsername("leaderA") + `","password":"wrong wrong"}`
	limit := fixturePolicy().LoginPerUsername.Max
	for i := range limit {
		if status, _, _ := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath, body: bad}); status != 401 {
			t.Fatalf("attempt %d: %d", i+1, status)
		}
	}
	status, _, body := f.sendConsole(consoleCall{method: "POST", path: ConsoleCookiePath, body: bad})
	if status != 429 || errorCode(body) != "rate_limited" {
		t.Fatalf("over the limit: %d %v", status, body)
	}
}

// callToken sends a request with a bearer token.
func (f *fixture) callToken(token, method, path string) (int, http.Header, map[string]any) {
	f.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set(fiber.HeaderAuthorization, "Bearer "+token)
	return do(f.t, f.srv, req)
}
