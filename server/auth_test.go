package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

func postJSON(t *testing.T, s *Server, path, token string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
	req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	if token != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+token)
	}
	return do(t, s, req)
}

// TestSecretsNeverReachTheLogs drives login, failed login, refresh, a refresh-token reuse,
// password reset and logout through the API with every log line captured (debug level), then
// looks for each password and token used in the logs and in the audit log.
func TestSecretsNeverReachTheLogs(t *testing.T) {
	f := newFixture(t)
	secrets := []string{fxPassword}
	login := func(username, password string) map[string]any {
		t.Helper()
		secrets = append(secrets, password)
		_, _, b := postJSON(t, f.srv, "/v1/auth/login", "", map[string]any{"username": username, "password": password, "deviceId": "log-test"})
		return b
	}
	login("u.techa", "a wrong password 1")
	login("nobody-at-all", "a wrong password 2")
	first := login("u.techa", fxPassword)
	for _, k := range []string{"accessToken", "refreshToken"} {
		secrets = append(secrets, first[k].(string))
	}
	_, _, second := postJSON(t, f.srv, "/v1/auth/refresh", "", map[string]any{"refreshToken": first["refreshToken"]})
	for _, k := range []string{"accessToken", "refreshToken"} {
		secrets = append(secrets, second[k].(string))
	}
	// Reuse of the rotated token: a security event, logged at WARN.
	if status, _, _ := postJSON(t, f.srv, "/v1/auth/refresh", "", map[string]any{"refreshToken": first["refreshToken"]}); status != 401 {
		t.Fatalf("reuse: %d", status)
	}
	newPassword := "reset password 0042"
	secrets = append(secrets, newPassword, f.token("admin"), f.sessions["admin"].RefreshToken)
	victim, _ := f.victim(f.teamA.ID)
	if status, _, b := postJSON(t, f.srv, "/v1/users/"+victim.ID+"/reset-password", f.token("admin"), map[string]any{"password": newPassword}); status != 204 {
		t.Fatalf("reset: %d %v", status, b)
	}
	created := "created password 77"
	secrets = append(secrets, created)
	if status, _, b := postJSON(t, f.srv, "/v1/users", f.token("admin"), map[string]any{"username": "logged.user", "password": created, "role": "hr"}); status != 201 {
		t.Fatalf("create: %d %v", status, b)
	}
	third := login("u.techb", fxPassword)
	secrets = append(secrets, third["accessToken"].(string), third["refreshToken"].(string))
	if status, _, _ := postJSON(t, f.srv, "/v1/auth/logout", third["accessToken"].(string), nil); status != 204 {
		t.Fatalf("logout: %d", status)
	}

	logs := f.logs.String()
	// The capture works: the requests and the security event are there.
	for _, want := range []string{`"route":"/v1/auth/login"`, `"route":"/v1/auth/refresh"`, "refresh token reuse", `"route":"/v1/users/:id/reset-password"`} {
		if !strings.Contains(logs, want) {
			t.Fatalf("the captured log lacks %s: the capture is broken\n%s", want, logs)
		}
	}
	admin, err := f.svc.Authenticate(t.Context(), f.token("admin"))
	if err != nil {
		t.Fatal(err)
	}
	audit, err := f.svc.Audit(t.Context(), admin, domain.AuditQuery{Limit: domain.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	auditJSONText, _ := json.Marshal(audit)
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("a password or token reached the log: %.12s…", secret)
		}
		if strings.Contains(string(auditJSONText), secret) {
			t.Errorf("a password or token reached the audit log: %.12s…", secret)
		}
	}
	if !strings.Contains(string(auditJSONText), "nobody-at-all") {
		t.Errorf("the failed login's username is not in the audit log")
	}
}

// TestLoginRateLimit: failed logins are limited per username and per address, over the shared
// store (two server instances count together), successes do not count, and the answer is 429
// rate_limited with Retry-After.
func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	policy := fixturePolicy()
	policy.LoginPerUsername = accounts.RateLimit{Max: 3, Window: time.Minute}
	policy.LoginPerAddress = accounts.RateLimit{Max: 6, Window: time.Minute}
	one, _ := newAccountsServer(t, f.store, policy, f.logs)
	two, _ := newAccountsServer(t, f.store, policy, f.logs) // a second instance on the same database
	attempt := func(s *Server, username, password string) (int, http.Header, map[string]any) {
		t.Helper()
		return postJSON(t, s, "/v1/auth/login", "", map[string]any{"username": username, "password": password, "deviceId": "rl"})
	}
	// Successes never count.
	for i := range 5 {
		if status, _, b := attempt(one, "u.techb", fxPassword); status != 200 {
			t.Fatalf("success %d: %d %v", i, status, b)
		}
	}
	// Three failures for u.techa, spread over both instances.
	for i, s := range []*Server{one, two, one} {
		if status, _, _ := attempt(s, "u.techa", "wrong password"); status != 401 {
			t.Fatalf("failure %d: %d, want 401", i, status)
		}
	}
	status, hdr, body := attempt(two, "u.techa", fxPassword)
	if status != 429 || errorCode(body) != "rate_limited" {
		t.Fatalf("fourth attempt: %d %v, want 429 rate_limited even with the right password", status, body)
	}
	if secs, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After %q", hdr.Get("Retry-After"))
	}
	// The per-username limit does not lock other users out...
	if status, _, _ := attempt(one, "u.techb", "wrong password"); status != 401 {
		t.Errorf("another user after u.techa was limited: %d", status)
	}
	// ...but the address has now failed 5 times (the 429 counts too): one more, then it is limited.
	if status, _, _ := attempt(two, "u.leadera", "wrong password"); status != 401 {
		t.Errorf("sixth failure from the address: %d", status)
	}
	if status, _, b := attempt(one, "u.leaderb", fxPassword); status != 429 || errorCode(b) != "rate_limited" {
		t.Errorf("seventh attempt from the address: %d %v, want 429", status, b)
	}
	// Unknown users are limited the same way as known ones.
	f2 := newFixture(t)
	three, _ := newAccountsServer(t, f2.store, policy, f2.logs)
	for range 3 {
		attempt(three, "ghost", "x")
	}
	if status, _, _ := attempt(three, "ghost", "x"); status != 429 {
		t.Errorf("an unknown username is not limited: %d", status)
	}
}
