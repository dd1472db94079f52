package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
)

// withScoring adds the policy service (seeded with the default policy) and the rules engine on
// store and engine to deps, with now as their clock.
func withScoring(t *testing.T, store *mongostore.Store, engine *sync.Engine, now func() time.Time, deps Deps) Deps {
	t.Helper()
	policies := compute.NewPolicies(compute.PolicyConfig{Store: mongostore.NewPolicies(store),
		Audit: mongostore.NewAuditLog(store), Now: now, CacheTTL: -1})
	if err := policies.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	deps.Policy = policies
	deps.Scoring = compute.New(compute.Config{Records: mongostore.NewRecords(store),
		Sequencer: mongostore.NewSequencer(store, time.Now), Writer: engine, Store: mongostore.NewCompute(store),
		Policies: policies, Users: mongostore.NewAccounts(store), Audit: mongostore.NewAuditLog(store), Now: now})
	return deps
}

// testClock is the server's clock in the scoring tests.
type testClock struct {
	mu  stdsync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// shanghai is a wall-clock instant in Asia/Shanghai.
func shanghai(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, domain.Shanghai)
}

// newScoringFixture is the account fixture served by an engine and a rules engine whose clock
// the test sets (the records' receipt times, "today" of the policy and of closes).
func newScoringFixture(t *testing.T) (*fixture, *testClock) {
	t.Helper()
	f := newFixture(t)
	clk := &testClock{now: shanghai(2026, 6, 15, 10, 0)}
	engine := sync.New(sync.Config{Records: mongostore.NewRecords(f.store), Sequencer: mongostore.NewSequencer(f.store, time.Now),
		Log: mongostore.NewMutationLog(f.store), Audit: mongostore.NewAuditLog(f.store),
		Rules:     sync.DomainRules{IsLocked: compute.LockedIncidents(mongostore.NewCompute(f.store), 0)},
		CursorKey: []byte("fixture-cursor-key-0123456789abcdef0123"), Now: clk.Now})
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.srv = New(Config{Logger: log, BodyLimit: 1 << 20}, withScoring(t, f.store, engine, clk.Now,
		Deps{Accounts: f.svc, LoginLimits: mongostore.NewLimiterStorage(f.store), Sync: engine}))
	return f, clk
}

// policyBody is the default policy as a JSON object, changed by edit.
func policyBody(t *testing.T, edit func(p map[string]any)) map[string]any {
	t.Helper()
	raw, err := json.Marshal(domain.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	p["version"] = 0
	if edit != nil {
		edit(p)
	}
	return p
}

// fieldsOf returns the per-field codes of an error answer.
func fieldsOf(body map[string]any) map[string]any {
	e, _ := body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

// TestPolicyEndpoints: every signed-in user reads the policy in force; admins add versions,
// validated field by field, from a month that has not begun.
func TestPolicyEndpoints(t *testing.T) {
	f, _ := newScoringFixture(t) // today: 2026-06-15
	cases := []struct {
		name   string
		who    string
		method string
		path   string
		body   map[string]any
		status int
		fields map[string]string // expected per-field codes (400)
		check  func(t *testing.T, b map[string]any)
	}{
		{"a technician reads the policy in force", "techA", "GET", "/v1/policy", nil, 200, nil, func(t *testing.T, b map[string]any) {
			if b["version"] != float64(1) || b["baseScore"] != float64(100) || b["weeklyReportDeadline"] != "17:30" {
				t.Errorf("policy %v", b)
			}
		}},
		{"before the first version", "gm", "GET", "/v1/policy?at=2025-12-31", nil, 404, nil, nil},
		{"a malformed date", "gm", "GET", "/v1/policy?at=2026-02-30", nil, 400, map[string]string{"at": "date"}, nil},
		{"a technician may not read the history", "techA", "GET", "/v1/policy/history", nil, 403, nil, nil},
		{"purchasing may not read the history", "buyer", "GET", "/v1/policy/history", nil, 403, nil, nil},
		{"a leader changes nothing", "leaderA", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) { p["effectiveFrom"] = "2026-07-01" }), 403, nil, nil},
		{"hr changes nothing", "hr", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) { p["effectiveFrom"] = "2026-07-01" }), 403, nil, nil},
		{"a technician changes nothing", "techA", "PUT", "/v1/policy", policyBody(t, nil), 403, nil, nil},
		{"per-field validation", "admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) {
			p["effectiveFrom"] = "2026-07-15"
			p["baseScore"] = 0
			p["weeklyReportDeadline"] = "25:00"
			p["payBands"].(map[string]any)["A"].(map[string]any)["minFen"] = 0
			p["incidentTypes"].(map[string]any)["left_post"].(map[string]any)["points"] = 5
		}), 400, map[string]string{"effectiveFrom": "first_of_month", "baseScore": "min=1", "weeklyReportDeadline": "hh:mm",
			"payBands.A.minFen": "min=1", "incidentTypes.left_post.points": "max=-1"}, nil},
		{"a month that has begun", "admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) { p["effectiveFrom"] = "2026-06-01" }),
			400, map[string]string{"effectiveFrom": "gte=2026-07-01"}, nil},
		{"not a date", "admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) { p["effectiveFrom"] = "2026-13-01" }),
			400, map[string]string{"effectiveFrom": "date"}, nil},
		{"an unknown field", "admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) {
			p["effectiveFrom"], p["bonusForLeaders"] = "2026-07-01", 3
		}), 400, map[string]string{"bonusForLeaders": "unknown"}, nil},
		{"a stale version", "admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) {
			p["effectiveFrom"], p["version"] = "2026-07-01", 5
		}), 409, nil, nil},
		{"the admin adds version 2", "admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) {
			p["effectiveFrom"], p["bonusThreshold"], p["note"] = "2026-07-01", 95, "考核从严"
		}), 201, nil, func(t *testing.T, b map[string]any) {
			if b["version"] != float64(2) || b["effectiveFrom"] != "2026-07-01" || b["bonusThreshold"] != float64(95) {
				t.Errorf("added %v", b)
			}
		}},
		{"version 2 again", "admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) {
			p["effectiveFrom"], p["version"] = "2026-08-01", 2
		}), 409, nil, nil},
		{"today is still under version 1", "techA", "GET", "/v1/policy", nil, 200, nil, func(t *testing.T, b map[string]any) {
			if b["version"] != float64(1) {
				t.Errorf("policy %v", b)
			}
		}},
		{"July is under version 2", "techA", "GET", "/v1/policy?at=2026-07-01", nil, 200, nil, func(t *testing.T, b map[string]any) {
			if b["version"] != float64(2) || b["bonusThreshold"] != float64(95) {
				t.Errorf("policy %v", b)
			}
		}},
		{"hr reads the history", "hr", "GET", "/v1/policy/history", nil, 200, nil, func(t *testing.T, b map[string]any) {
			if v, _ := b["versions"].([]any); len(v) != 2 {
				t.Errorf("history %v", b)
			}
		}},
		{"the leader reads the history", "leaderA", "GET", "/v1/policy/history", nil, 200, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != nil {
				body = tc.body
			}
			status, _, b := f.call(tc.who, tc.method, tc.path, body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, b)
			}
			if tc.fields != nil {
				got := fieldsOf(b)
				for field, code := range tc.fields {
					if got[field] != code {
						t.Errorf("fields[%q] = %v, want %q (all: %v)", field, got[field], code, got)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

// pulled returns the live records of collection who pulls through /v1/sync/pull, by id.
func pulled(t *testing.T, f *fixture, who, collection string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	cursor := ""
	for range 100 {
		status, _, body := f.call(who, "GET", "/v1/sync/pull?limit=1000&cursor="+cursor, nil)
		if status != 200 {
			t.Fatalf("pull as %s: %d %v", who, status, body)
		}
		changes, _ := body["changes"].([]any)
		for _, c := range changes {
			ch := c.(map[string]any)
			if ch["collection"] != collection {
				continue
			}
			if ch["deleted"] == true || ch["revoked"] == true {
				delete(out, ch["id"].(string))
				continue
			}
			out[ch["id"].(string)] = ch["record"].(map[string]any)
		}
		cursor = body["cursor"].(string)
		if body["hasMore"] != true {
			return out
		}
	}
	t.Fatal("pull did not end")
	return nil
}

// TestYearEndBonusWithMidYearPolicyChange: an admin tightens the bonus threshold from July and
// raises the multiplier (PUT /v1/policy in June); the leader closes the twelve months of 2026 in
// January; December's close computes the bonuses, each month judged under its own version and
// the multiplier taken from the version in force on December 31 (R8–R10).
func TestYearEndBonusWithMidYearPolicyChange(t *testing.T) {
	f, clk := newScoringFixture(t)
	ctx := context.Background()
	member := func(name string) domain.User {
		u, err := f.svc.CreateUser(ctx, accounts.CommandLine, "", domain.User{Username: name, Role: domain.RoleTechnician,
			TeamID: f.teamA.ID, HireDate: domain.Date{Year: 2025, Month: 1, Day: 1}, ProbationPassed: true,
			Grade: domain.GradeA, MonthlyPayFen: 550_000}, fxPassword)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	steady, dip := member("tech.steady"), member("tech.dip")

	status, _, body := f.call("admin", "PUT", "/v1/policy", policyBody(t, func(p map[string]any) {
		p["effectiveFrom"], p["bonusThreshold"], p["bonusMultiplier"], p["note"] = "2026-07-01", 95, 3, "年终奖从严"
	}))
	if status != 201 || body["version"] != float64(2) {
		t.Fatalf("PUT /v1/policy: %d %v", status, body)
	}

	clk.Set(shanghai(2027, 1, 10, 9, 0))
	var muts []any
	for _, d := range []string{"2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06"} {
		muts = append(muts, mutation("incidents", uuid.NewString(), 0, map[string]any{"technicianId": dip.ID,
			"type": domain.IncidentUnreachable, "date": d}))
	}
	if status, _, body := f.call("leaderA", "POST", "/v1/sync/push", map[string]any{"mutations": muts}); status != 200 ||
		!strings.Contains(fmt.Sprint(body), "applied") {
		t.Fatalf("push incidents: %d %v", status, body)
	}
	if status, _, _ := f.call("hr", "POST", "/v1/months/2026-01/close", nil); status != 403 {
		t.Errorf("hr closed a month: %d", status)
	}
	for m := 1; m <= 12; m++ {
		month := fmt.Sprintf("2026-%02d", m)
		status, _, body := f.call("leaderA", "POST", "/v1/months/"+month+"/close", nil)
		if status != 200 || body["state"] != "closed" {
			t.Fatalf("close %s: %d %v", month, status, body)
		}
		if month == "2026-08" && !strings.Contains(fmt.Sprint(body["assessments"]), "total:92") {
			t.Errorf("August as closed: %v", body["assessments"])
		}
	}

	want := map[string]struct {
		amount     float64
		multiplier float64
		reason     string
	}{
		steady.ID: {3 * 550_000, 3, "3 × monthly pay 550000 fen"},
		dip.ID:    {550_000, 1, "2026-08: 92 < 95"},
	}
	checkBonuses := func(t *testing.T, records map[string]map[string]any) {
		t.Helper()
		for id, w := range want {
			b := records[domain.Bonus{TechnicianID: id, Year: 2026}.ID()]
			if b == nil || b["amountFen"] != w.amount || b["multiplier"] != w.multiplier || b["provisional"] != false ||
				b["policyVersion"] != float64(2) || !strings.Contains(fmt.Sprint(b["reasons"]), w.reason) {
				t.Errorf("bonus of %s: %v", id, b)
			}
		}
	}
	t.Run("December's close computed the bonuses; hr pulls them", func(t *testing.T) {
		checkBonuses(t, pulled(t, f, "hr", "year_end_bonuses"))
	})
	t.Run("hr pulls every closed assessment", func(t *testing.T) {
		closed := 0
		for _, a := range pulled(t, f, "hr", "assessments") {
			if a["state"] != "closed" {
				t.Errorf("hr sees an open assessment: %v", a)
			}
			closed++
		}
		if closed < 24 {
			t.Errorf("hr sees %d closed assessments", closed)
		}
	})
	t.Run("hr recomputes on request", func(t *testing.T) {
		status, _, body := f.call("hr", "POST", "/v1/year-end-bonuses/2026/compute", nil)
		if status != 200 {
			t.Fatalf("%d %v", status, body)
		}
		byID := map[string]map[string]any{}
		for _, b := range body["bonuses"].([]any) {
			bm := b.(map[string]any)
			byID[bm["id"].(string)] = bm
		}
		checkBonuses(t, byID)
	})
	t.Run("the member sees their own bonus only", func(t *testing.T) {
		if got := pulled(t, f, "techA", "year_end_bonuses"); len(got) != 1 {
			t.Errorf("techA pulls %d bonuses", len(got))
		}
	})
}
