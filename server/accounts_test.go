package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// accessCase is one request of the access table: who calls (a fixture user, "fresh <user>" for
// a new session of that user, or a broken credential), what, and the expected status. path and
// body may create what the case needs (a victim to disable); caller is the session used.
type accessCase struct {
	name   string
	who    string
	method string
	path   func(f *fixture, caller accounts.Session) string
	body   func(f *fixture) any
	status int
	check  func(t *testing.T, f *fixture, body map[string]any)
}

func at(p string) func(*fixture, accounts.Session) string {
	return func(*fixture, accounts.Session) string { return p }
}

// userOp is POST /v1/users/{id}/<op> on a target the case picks.
func userOp(op string, target func(f *fixture) string) func(*fixture, accounts.Session) string {
	return func(f *fixture, _ accounts.Session) string { return "/v1/users/" + target(f) + "/" + op }
}

func victimIn(team func(f *fixture) domain.Team) func(f *fixture) string {
	return func(f *fixture) string { u, _ := f.victim(team(f).ID); return u.ID }
}

func named(name string) func(f *fixture) string {
	return func(f *fixture) string { return f.users[name].ID }
}

func deviceOf(team func(f *fixture) domain.Team) func(*fixture, accounts.Session) string {
	return func(f *fixture, _ accounts.Session) string {
		_, s := f.victim(team(f).ID)
		return "/v1/devices/" + s.DeviceID + "/revoke"
	}
}

var (
	teamA = func(f *fixture) domain.Team { return f.teamA }
	teamB = func(f *fixture) domain.Team { return f.teamB }
)

func newUserBody(role, team string) func(f *fixture) any {
	return func(f *fixture) any {
		f.n++
		body := map[string]any{"username": fmt.Sprintf("new.%s.%d", role, f.n), "password": fxPassword, "role": role,
			"hireDate": "2024-07-01", "monthlyPayFen": 400000}
		switch team {
		case "A":
			body["teamId"] = f.teamA.ID
		case "B":
			body["teamId"] = f.teamB.ID
		}
		return body
	}
}

func fixed(v any) func(*fixture) any { return func(*fixture) any { return v } }

// listOf checks that body[key] lists exactly want items, each with field equal to one of values
// (computed from the fixture).
func listOf(key string, want int, field string, values func(f *fixture) []string) func(*testing.T, *fixture, map[string]any) {
	return func(t *testing.T, f *fixture, body map[string]any) {
		t.Helper()
		items, _ := body[key].([]any)
		if want >= 0 && len(items) != want {
			t.Errorf("%s: %d items, want %d: %v", key, len(items), want, items)
		}
		if values == nil {
			return
		}
		allowed := values(f)
		for _, it := range items {
			v, _ := it.(map[string]any)[field].(string)
			if !contains(allowed, v) {
				t.Errorf("%s: item with %s=%q is outside the caller's scope %v", key, field, v, allowed)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func teamIDs(names ...string) func(f *fixture) []string {
	return func(f *fixture) []string {
		var out []string
		for _, n := range names {
			switch n {
			case "A":
				out = append(out, f.teamA.ID)
			case "B":
				out = append(out, f.teamB.ID)
			default:
				out = append(out, n)
			}
		}
		return out
	}
}

func userIDs(names ...string) func(f *fixture) []string {
	return func(f *fixture) []string {
		var out []string
		for _, n := range names {
			out = append(out, f.users[n].ID)
		}
		return out
	}
}

// accessCases is every role × endpoint × scope combination of the account API. The broken
// credentials × every endpoint are added by brokenCredentialCases.
func accessCases() []accessCase {
	login := func(user, pass string) func(*fixture) any {
		return fixed(map[string]any{"username": user, "password": pass, "deviceId": "dev-x", "deviceName": "Mate"})
	}
	return []accessCase{
		// Login and refresh: no access token.
		{"login", "none", "POST", at("/v1/auth/login"), login("u.techa", fxPassword), 200, func(t *testing.T, _ *fixture, b map[string]any) {
			if b["accessToken"] == "" || b["refreshToken"] == "" || b["expiresIn"] != float64(900) || b["user"].(map[string]any)["username"] != "u.techa" {
				t.Errorf("login answer %v", b)
			}
		}},
		{"login wrong password", "none", "POST", at("/v1/auth/login"), login("u.techa", "wrong password"), 401, nil},
		{"login unknown user", "none", "POST", at("/v1/auth/login"), login("nobody", fxPassword), 401, nil},
		{"login disabled user", "none", "POST", at("/v1/auth/login"), login("u.disabled", fxPassword), 401, nil},
		{"login without device", "none", "POST", at("/v1/auth/login"), fixed(map[string]any{"username": "u.techa", "password": fxPassword}), 400, nil},
		{"login with an unknown field", "none", "POST", at("/v1/auth/login"), fixed(map[string]any{"username": "u.techa", "password": fxPassword, "deviceId": "d", "admin": true}), 400, nil},
		{"refresh", "none", "POST", at("/v1/auth/refresh"), func(f *fixture) any {
			return map[string]any{"refreshToken": f.login("techA").RefreshToken}
		}, 200, nil},
		{"refresh reused token", "none", "POST", at("/v1/auth/refresh"), func(f *fixture) any { return map[string]any{"refreshToken": f.reused} }, 401, nil},
		{"refresh revoked device", "none", "POST", at("/v1/auth/refresh"), func(f *fixture) any {
			return map[string]any{"refreshToken": f.sessions["revoked"].RefreshToken}
		}, 401, nil},
		{"refresh garbage", "none", "POST", at("/v1/auth/refresh"), fixed(map[string]any{"refreshToken": "garbage"}), 401, nil},
		{"refresh without token", "none", "POST", at("/v1/auth/refresh"), fixed(map[string]any{}), 400, nil},

		// Logout ends the caller's own session, whatever the role.
		{"technician logs out", "fresh techA", "POST", at("/v1/auth/logout"), nil, 204, sessionEnded},
		{"leader logs out", "fresh leaderA", "POST", at("/v1/auth/logout"), nil, 204, sessionEnded},
		{"admin logs out", "fresh admin", "POST", at("/v1/auth/logout"), nil, 204, sessionEnded},

		// Me: every valid caller; permissions follow the role.
		{"me technician", "techA", "GET", at("/v1/me"), nil, 200, func(t *testing.T, f *fixture, b map[string]any) {
			if b["team"].(map[string]any)["id"] != f.teamA.ID || !strings.Contains(fmt.Sprint(b["permissions"]), "read:assigned") {
				t.Errorf("me = %v", b)
			}
		}},
		{"me leader", "leaderA", "GET", at("/v1/me"), nil, 200, nil},
		{"me purchasing has no team", "buyer", "GET", at("/v1/me"), nil, 200, func(t *testing.T, _ *fixture, b map[string]any) {
			if b["team"] != nil || !strings.Contains(fmt.Sprint(b["permissions"]), "read:waiting-for-me") {
				t.Errorf("me = %v", b)
			}
		}},
		{"me gm", "gm", "GET", at("/v1/me"), nil, 200, nil},
		{"me hr", "hr", "GET", at("/v1/me"), nil, 200, nil},
		{"me admin", "admin", "GET", at("/v1/me"), nil, 200, nil},

		// Teams: admin creates; everybody with a grant lists within scope.
		{"admin creates a team", "admin", "POST", at("/v1/teams"), fixed(map[string]any{"name": "team-c"}), 201, nil},
		{"admin creates a taken name", "admin", "POST", at("/v1/teams"), fixed(map[string]any{"name": "team-a"}), 409, nil},
		{"admin creates a nameless team", "admin", "POST", at("/v1/teams"), fixed(map[string]any{"name": ""}), 400, nil},
		{"leader may not create teams", "leaderA", "POST", at("/v1/teams"), fixed(map[string]any{"name": "x1"}), 403, nil},
		{"technician may not create teams", "techA", "POST", at("/v1/teams"), fixed(map[string]any{"name": "x2"}), 403, nil},
		{"purchasing may not create teams", "buyer", "POST", at("/v1/teams"), fixed(map[string]any{"name": "x3"}), 403, nil},
		{"gm may not create teams", "gm", "POST", at("/v1/teams"), fixed(map[string]any{"name": "x4"}), 403, nil},
		{"hr may not create teams", "hr", "POST", at("/v1/teams"), fixed(map[string]any{"name": "x5"}), 403, nil},
		{"admin lists every team", "admin", "GET", at("/v1/teams"), nil, 200, listOf("teams", -1, "id", func(f *fixture) []string {
			ts, _ := f.svc.ListTeams(context.Background(), accounts.CommandLine)
			return mapSlice(ts, func(t domain.Team) string { return t.ID })
		})},
		{"hr lists every team", "hr", "GET", at("/v1/teams"), nil, 200, nil},
		{"leader lists own team", "leaderA", "GET", at("/v1/teams"), nil, 200, listOf("teams", 1, "id", teamIDs("A"))},
		{"other team's leader lists theirs", "leaderB", "GET", at("/v1/teams"), nil, 200, listOf("teams", 1, "id", teamIDs("B"))},
		{"technician lists own team", "techA", "GET", at("/v1/teams"), nil, 200, listOf("teams", 1, "id", teamIDs("A"))},
		{"purchasing lists no teams", "buyer", "GET", at("/v1/teams"), nil, 403, nil},
		{"gm lists no teams", "gm", "GET", at("/v1/teams"), nil, 403, nil},

		// Users: admin any role anywhere; a leader technicians of their team.
		{"admin creates a technician in B", "admin", "POST", at("/v1/users"), newUserBody("technician", "B"), 201, nil},
		{"admin creates hr", "admin", "POST", at("/v1/users"), newUserBody("hr", ""), 201, nil},
		{"admin creates a second leader of A", "admin", "POST", at("/v1/users"), newUserBody("leader", "A"), 409, nil},
		{"admin creates a technician in an unknown team", "admin", "POST", at("/v1/users"), func(f *fixture) any {
			b := newUserBody("technician", "")(f).(map[string]any)
			b["teamId"] = "00000000-0000-4000-8000-000000000000"
			return b
		}, 400, nil},
		{"admin creates a taken username", "admin", "POST", at("/v1/users"), fixed(map[string]any{"username": "u.hr", "password": fxPassword, "role": "hr"}), 409, nil},
		{"admin creates a graded user on probation", "admin", "POST", at("/v1/users"), func(f *fixture) any {
			b := newUserBody("technician", "A")(f).(map[string]any)
			b["grade"] = "B"
			return b
		}, 400, func(t *testing.T, _ *fixture, b map[string]any) {
			if b["error"].(map[string]any)["fields"].(map[string]any)["grade"] != "requires probationPassed" {
				t.Errorf("fields: %v", b)
			}
		}},
		{"admin creates a user with a short password", "admin", "POST", at("/v1/users"), func(f *fixture) any {
			b := newUserBody("hr", "")(f).(map[string]any)
			b["password"] = "short"
			return b
		}, 400, nil},
		{"leader creates a technician in own team", "leaderA", "POST", at("/v1/users"), newUserBody("technician", ""), 201,
			func(t *testing.T, f *fixture, b map[string]any) {
				if b["teamId"] != f.teamA.ID {
					t.Errorf("created in team %v, want the leader's", b["teamId"])
				}
			}},
		{"leader may not add to another team", "leaderA", "POST", at("/v1/users"), newUserBody("technician", "B"), 403, nil},
		{"other team's leader may not add to A", "leaderB", "POST", at("/v1/users"), newUserBody("technician", "A"), 403, nil},
		{"leader may not add a leader", "leaderA", "POST", at("/v1/users"), newUserBody("leader", "A"), 403, nil},
		{"leader may not add hr", "leaderA", "POST", at("/v1/users"), newUserBody("hr", ""), 403, nil},
		{"technician may not add users", "techA", "POST", at("/v1/users"), newUserBody("technician", "A"), 403, nil},
		{"purchasing may not add users", "buyer", "POST", at("/v1/users"), newUserBody("technician", "A"), 403, nil},
		{"gm may not add users", "gm", "POST", at("/v1/users"), newUserBody("technician", "A"), 403, nil},
		{"hr may not add users", "hr", "POST", at("/v1/users"), newUserBody("technician", "A"), 403, nil},
		{"admin lists everybody", "admin", "GET", at("/v1/users"), nil, 200, nil},
		{"hr lists everybody", "hr", "GET", at("/v1/users"), nil, 200, nil},
		{"leader lists own team", "leaderA", "GET", at("/v1/users"), nil, 200, listOf("users", -1, "teamId", teamIDs("A"))},
		{"other team's leader lists theirs", "leaderB", "GET", at("/v1/users"), nil, 200, listOf("users", -1, "teamId", teamIDs("B"))},
		{"technician lists self", "techA", "GET", at("/v1/users"), nil, 200, listOf("users", 1, "id", userIDs("techA"))},
		{"purchasing lists self", "buyer", "GET", at("/v1/users"), nil, 200, listOf("users", 1, "id", userIDs("buyer"))},
		{"gm lists self", "gm", "GET", at("/v1/users"), nil, 200, listOf("users", 1, "id", userIDs("gm"))},

		// Disable a user.
		{"admin disables a technician", "admin", "POST", userOp("disable", victimIn(teamB)), nil, 200, nil},
		{"leader disables a team technician", "leaderA", "POST", userOp("disable", victimIn(teamA)), nil, 200, nil},
		{"other team's leader cannot see A's technician", "leaderB", "POST", userOp("disable", victimIn(teamA)), nil, 404, nil},
		{"leader may not disable themselves", "leaderA", "POST", userOp("disable", named("leaderA")), nil, 403, nil},
		{"leader cannot see hr", "leaderA", "POST", userOp("disable", named("hr")), nil, 404, nil},
		{"admin may not disable themselves", "admin", "POST", userOp("disable", named("admin")), nil, 403, nil},
		{"admin disables an unknown user", "admin", "POST", userOp("disable", func(*fixture) string { return "00000000-0000-4000-8000-000000000000" }), nil, 404, nil},
		{"technician cannot see a teammate", "techA", "POST", userOp("disable", victimIn(teamA)), nil, 404, nil},
		{"technician may not disable themselves", "techA", "POST", userOp("disable", named("techA")), nil, 403, nil},
		{"purchasing cannot see technicians", "buyer", "POST", userOp("disable", victimIn(teamA)), nil, 404, nil},
		{"gm cannot see technicians", "gm", "POST", userOp("disable", victimIn(teamA)), nil, 404, nil},
		{"hr reads but may not disable", "hr", "POST", userOp("disable", victimIn(teamA)), nil, 403, nil},

		// Reset a password.
		{"admin resets a password", "admin", "POST", userOp("reset-password", victimIn(teamB)), fixed(map[string]any{"password": "new password 1"}), 204, nil},
		{"leader resets a team password", "leaderA", "POST", userOp("reset-password", victimIn(teamA)), fixed(map[string]any{"password": "new password 2"}), 204, nil},
		{"leader resets to a short password", "leaderA", "POST", userOp("reset-password", victimIn(teamA)), fixed(map[string]any{"password": "short"}), 400, nil},
		{"other team's leader may not reset A", "leaderB", "POST", userOp("reset-password", victimIn(teamA)), fixed(map[string]any{"password": "new password 3"}), 404, nil},
		{"technician may not reset a teammate", "techA", "POST", userOp("reset-password", victimIn(teamA)), fixed(map[string]any{"password": "new password 4"}), 404, nil},
		{"hr may not reset", "hr", "POST", userOp("reset-password", victimIn(teamA)), fixed(map[string]any{"password": "new password 5"}), 403, nil},
		{"purchasing may not reset", "buyer", "POST", userOp("reset-password", victimIn(teamA)), fixed(map[string]any{"password": "new password 6"}), 404, nil},

		// Devices: one's own, the team's, all.
		{"admin lists every device", "admin", "GET", at("/v1/devices"), nil, 200, nil},
		{"leader lists the team's devices", "leaderA", "GET", at("/v1/devices"), nil, 200, listOf("devices", -1, "teamId", teamIDs("A"))},
		{"other team's leader lists theirs", "leaderB", "GET", at("/v1/devices"), nil, 200, listOf("devices", -1, "teamId", teamIDs("B"))},
		{"technician lists own devices", "techA", "GET", at("/v1/devices"), nil, 200, listOf("devices", -1, "userId", userIDs("techA"))},
		{"purchasing lists own devices", "buyer", "GET", at("/v1/devices"), nil, 200, listOf("devices", 1, "userId", userIDs("buyer"))},
		{"hr lists own devices", "hr", "GET", at("/v1/devices"), nil, 200, listOf("devices", 1, "userId", userIDs("hr"))},
		{"admin revokes any device", "admin", "POST", deviceOf(teamB), nil, 200, func(t *testing.T, _ *fixture, b map[string]any) {
			if b["active"] != false || b["revokeReason"] != domain.RevokeByUser {
				t.Errorf("revoked device = %v", b)
			}
		}},
		{"leader revokes a team device", "leaderA", "POST", deviceOf(teamA), nil, 200, nil},
		{"other team's leader cannot see A's device", "leaderB", "POST", deviceOf(teamA), nil, 404, nil},
		{"technician revokes own device", "fresh techA", "POST", func(_ *fixture, s accounts.Session) string {
			return "/v1/devices/" + s.DeviceID + "/revoke"
		}, nil, 200, nil},
		{"technician cannot see a teammate's device", "techA", "POST", deviceOf(teamA), nil, 404, nil},
		{"hr cannot see others' devices", "hr", "POST", deviceOf(teamA), nil, 404, nil},
		{"gm cannot see others' devices", "gm", "POST", deviceOf(teamA), nil, 404, nil},
		{"admin revokes an unknown device", "admin", "POST", at("/v1/devices/nope/revoke"), nil, 404, nil},

		// Audit: leaders their team, admin all; nobody else.
		{"admin reads the audit log", "admin", "GET", at("/v1/audit?limit=500"), nil, 200, func(t *testing.T, _ *fixture, b map[string]any) {
			if len(b["entries"].([]any)) < 10 {
				t.Errorf("admin sees %d entries", len(b["entries"].([]any)))
			}
		}},
		{"leader reads the team's audit log", "leaderA", "GET", at("/v1/audit?limit=500"), nil, 200, listOf("entries", -1, "teamId", teamIDs("A"))},
		{"other team's leader reads theirs", "leaderB", "GET", at("/v1/audit?limit=500"), nil, 200, listOf("entries", -1, "teamId", teamIDs("B"))},
		{"leader reads a record's history", "leaderA", "GET", func(f *fixture, _ accounts.Session) string {
			return "/v1/audit?collection=users&recordId=" + f.users["techA"].ID
		}, nil, 200, listOf("entries", 1, "action", func(*fixture) []string { return []string{"user_create"} })},
		{"other team's leader sees nothing of A's record", "leaderB", "GET", func(f *fixture, _ accounts.Session) string {
			return "/v1/audit?collection=users&recordId=" + f.users["techA"].ID
		}, nil, 200, listOf("entries", 0, "action", nil)},
		{"audit limit above the maximum", "admin", "GET", at("/v1/audit?limit=501"), nil, 400, nil},
		{"audit limit not a number", "admin", "GET", at("/v1/audit?limit=ten"), nil, 400, nil},
		{"audit before not an id", "admin", "GET", at("/v1/audit?before=yesterday"), nil, 400, nil},
		{"technician may not read the audit log", "techA", "GET", at("/v1/audit"), nil, 403, nil},
		{"purchasing may not read the audit log", "buyer", "GET", at("/v1/audit"), nil, 403, nil},
		{"gm may not read the audit log", "gm", "GET", at("/v1/audit"), nil, 403, nil},
		{"hr may not read the audit log", "hr", "GET", at("/v1/audit"), nil, 403, nil},

		// Policy: everybody reads the one in force; admin, leaders and hr the history; admin adds.
		{"technician reads the policy", "techA", "GET", at("/v1/policy"), nil, 200, nil},
		{"purchasing reads the policy", "buyer", "GET", at("/v1/policy"), nil, 200, nil},
		{"gm reads the policy of a date", "gm", "GET", at("/v1/policy?at=2026-03-01"), nil, 200, nil},
		{"admin reads the history", "admin", "GET", at("/v1/policy/history"), nil, 200, nil},
		{"leader reads the history", "leaderA", "GET", at("/v1/policy/history"), nil, 200, nil},
		{"hr reads the history", "hr", "GET", at("/v1/policy/history"), nil, 200, nil},
		{"technician may not read the history", "techA", "GET", at("/v1/policy/history"), nil, 403, nil},
		{"purchasing may not read the history", "buyer", "GET", at("/v1/policy/history"), nil, 403, nil},
		{"gm may not read the history", "gm", "GET", at("/v1/policy/history"), nil, 403, nil},
		{"leader may not change the policy", "leaderA", "PUT", at("/v1/policy"), nextPolicy, 403, nil},
		{"hr may not change the policy", "hr", "PUT", at("/v1/policy"), nextPolicy, 403, nil},
		{"technician may not change the policy", "techA", "PUT", at("/v1/policy"), nextPolicy, 403, nil},
		{"gm may not change the policy", "gm", "PUT", at("/v1/policy"), nextPolicy, 403, nil},
		{"admin adds a policy version", "admin", "PUT", at("/v1/policy"), nextPolicy, 201, nil},
		{"admin adds an invalid version", "admin", "PUT", at("/v1/policy"), fixed(map[string]any{"effectiveFrom": "2099-01-01"}), 400, nil},

		// Months: the team's leader previews and closes; an admin previews a named team.
		{"leader previews a month", "leaderA", "GET", at("/v1/months/2026-01"), nil, 200, nil},
		{"leader may not preview another team", "leaderA", "GET", func(f *fixture, _ accounts.Session) string {
			return "/v1/months/2026-01?team=" + f.teamB.ID
		}, nil, 403, nil},
		{"admin previews a named team", "admin", "GET", func(f *fixture, _ accounts.Session) string {
			return "/v1/months/2026-01?team=" + f.teamA.ID
		}, nil, 200, nil},
		{"admin must name the team", "admin", "GET", at("/v1/months/2026-01"), nil, 400, nil},
		{"technician may not preview a month", "techA", "GET", at("/v1/months/2026-01"), nil, 403, nil},
		{"hr may not preview an open month", "hr", "GET", at("/v1/months/2026-01"), nil, 403, nil},
		{"technician may not close a month", "techA", "POST", at("/v1/months/2026-01/close"), nil, 403, nil},
		{"hr may not close a month", "hr", "POST", at("/v1/months/2026-01/close"), nil, 403, nil},
		{"admin may not close a month", "admin", "POST", at("/v1/months/2026-01/close"), nil, 403, nil},
		{"gm may not close a month", "gm", "POST", at("/v1/months/2026-01/close"), nil, 403, nil},
		{"leader closes a month", "leaderA", "POST", at("/v1/months/2026-01/close"), nil, 200, nil},
		{"leader closes it again", "leaderA", "POST", at("/v1/months/2026-01/close"), nil, 409, nil},
		{"other team's leader closes their own", "leaderB", "POST", at("/v1/months/2026-01/close"), nil, 200, nil},
		{"leader closes a month that has not ended", "leaderB", "POST", at("/v1/months/2099-01/close"), nil, 400, nil},
		{"leader closes a malformed month", "leaderA", "POST", at("/v1/months/2026-1/close"), nil, 400, nil},

		// Year-end bonuses: the leader for the team, hr and admin for everybody.
		{"leader computes the team's bonuses", "leaderA", "POST", at("/v1/year-end-bonuses/2026/compute"), nil, 200,
			listOf("bonuses", -1, "technicianId", teamUsers("leaderA"))},
		{"hr computes every bonus", "hr", "POST", at("/v1/year-end-bonuses/2026/compute"), nil, 200, nil},
		{"admin computes one team's bonuses", "admin", "POST", func(f *fixture, _ accounts.Session) string {
			return "/v1/year-end-bonuses/2026/compute?team=" + f.teamB.ID
		}, nil, 200, listOf("bonuses", -1, "technicianId", teamUsers("leaderB"))},
		{"technician may not compute bonuses", "techA", "POST", at("/v1/year-end-bonuses/2026/compute"), nil, 403, nil},
		{"purchasing may not compute bonuses", "buyer", "POST", at("/v1/year-end-bonuses/2026/compute"), nil, 403, nil},
		{"gm may not compute bonuses", "gm", "POST", at("/v1/year-end-bonuses/2026/compute"), nil, 403, nil},
		{"bonuses of a malformed year", "hr", "POST", at("/v1/year-end-bonuses/twenty/compute"), nil, 400, nil},
		{"bonuses of year 1999", "hr", "POST", at("/v1/year-end-bonuses/1999/compute"), nil, 400, nil},
	}
}

// teamUsers lists the ids of the users of the team of the fixture's leader.
func teamUsers(leader string) func(f *fixture) []string {
	return func(f *fixture) []string {
		us, _ := f.svc.ListUsers(context.Background(), domain.PrincipalOf(f.users[leader], ""))
		return mapSlice(us, func(u domain.User) string { return u.ID })
	}
}

// nextPolicy is the default policy as the next version, from the first day of next month.
func nextPolicy(*fixture) any {
	next := domain.MonthOf(domain.DateOf(time.Now())).Next().First()
	p := domain.DefaultPolicy()
	p.Version, p.EffectiveFrom, p.Note = 0, next, "access table"
	return p
}

// brokenCredentialCases: every authenticated endpoint refuses every broken credential.
func brokenCredentialCases() []accessCase {
	endpoints := []struct {
		method string
		path   func(*fixture, accounts.Session) string
	}{
		{"POST", at("/v1/auth/logout")},
		{"GET", at("/v1/me")},
		{"POST", at("/v1/teams")},
		{"GET", at("/v1/teams")},
		{"POST", at("/v1/users")},
		{"GET", at("/v1/users")},
		{"POST", userOp("disable", named("techB"))},
		{"POST", userOp("reset-password", named("techB"))},
		{"GET", at("/v1/devices")},
		{"POST", func(f *fixture, _ accounts.Session) string {
			return "/v1/devices/" + f.sessions["techB"].DeviceID + "/revoke"
		}},
		{"GET", at("/v1/audit")},
		{"POST", at("/v1/sync/push")},
		{"GET", at("/v1/sync/pull")},
		{"GET", at("/v1/sync/stream")},
		{"POST", at("/v1/rxdb/service_forms/push")},
		{"GET", at("/v1/rxdb/service_forms/pull")},
		{"GET", at("/v1/rxdb/service_forms/stream")},
		{"GET", at("/v1/policy")},
		{"GET", at("/v1/policy/history")},
		{"PUT", at("/v1/policy")},
		{"GET", at("/v1/months/2026-01")},
		{"POST", at("/v1/months/2026-01/close")},
		{"POST", at("/v1/year-end-bonuses/2026/compute")},
	}
	var cases []accessCase
	for _, who := range []string{"disabled", "expired", "otherKey", "revoked", "reused", "none"} {
		for _, e := range endpoints {
			cases = append(cases, accessCase{name: who, who: who, method: e.method, path: e.path,
				body: fixed(map[string]any{"name": "x", "password": "new password 9"}), status: 401})
		}
	}
	return cases
}

func TestAccountAccess(t *testing.T) {
	f := newFixture(t)
	for _, tc := range append(accessCases(), brokenCredentialCases()...) {
		caller := f.sessions[tc.who]
		who := tc.who
		if name, ok := strings.CutPrefix(tc.who, "fresh "); ok {
			caller = f.login(name)
			f.sessions["fresh"] = caller
			who = "fresh"
		}
		path := tc.path(f, caller)
		var body any
		if tc.body != nil {
			body = tc.body(f)
		}
		t.Run(fmt.Sprintf("%s %s %s", tc.method, strings.SplitN(path, "?", 2)[0], tc.name), func(t *testing.T) {
			status, _, resp := f.call(who, tc.method, path, body)
			if status != tc.status {
				t.Fatalf("%s %s as %s: status %d, want %d: %v", tc.method, path, tc.who, status, tc.status, resp)
			}
			if status >= 400 && errorCode(resp) != string(codeOf(status)) {
				t.Errorf("code %q for status %d", errorCode(resp), status)
			}
			if tc.check != nil {
				tc.check(t, f, resp)
			}
		})
	}
}

// sessionEnded checks that the fresh session a case used no longer authenticates.
func sessionEnded(t *testing.T, f *fixture, _ map[string]any) {
	t.Helper()
	if _, err := f.svc.Authenticate(context.Background(), f.sessions["fresh"].AccessToken); err == nil {
		t.Errorf("the session still works after logout")
	}
	if status, _, _ := f.call("fresh", "GET", "/v1/me", nil); status != 401 {
		t.Errorf("GET /v1/me after logout: %d, want 401", status)
	}
}

// codeOf is the error code the error handler gives a status (the inverse of statusOf).
func codeOf(status int) domain.Code {
	for code, s := range statusOf {
		if s == status && code != domain.CodeInternal && code != domain.CodeCSRF { // csrf: the console session's 403 only
			return code
		}
	}
	return domain.CodeInternal
}
