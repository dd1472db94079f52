package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// mutation is a wire mutation for the tests.
func mutation(collection, id string, base int64, fields map[string]any) map[string]any {
	return map[string]any{"mutationId": uuid.NewString(), "collection": collection, "id": id, "op": "upsert",
		"baseVersion": base, "fields": fields, "clientTime": "2026-11-02T09:00:00+08:00"}
}

func resultsOf(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	list, ok := body["results"].([]any)
	if !ok {
		t.Fatalf("no results in %v", body)
	}
	out := make([]map[string]any, len(list))
	for i, r := range list {
		out[i] = r.(map[string]any)
	}
	return out
}

// TestSyncWriteAccess is the role × collection table of the push path: every synced write goes
// through the same authorization, answered per mutation.
func TestSyncWriteAccess(t *testing.T) {
	f := newFixture(t)
	form := map[string]any{"workDone": "换压缩机", "outcome": "completed"}
	order := func(f *fixture) map[string]any {
		return map[string]any{"customerName": "张三", "customerPhone": "13800138000", "serviceType": "paid",
			"assignees": []any{f.users["techA"].ID}}
	}
	cases := []struct {
		who, collection string
		fields          func(*fixture) map[string]any
		status, code    string
	}{
		{"techA", "service_forms", func(*fixture) map[string]any { return form }, "applied", ""},
		{"techA", "weekly_reports", func(*fixture) map[string]any { return map[string]any{"workCompleted": "3 单"} }, "applied", ""},
		{"techA", "work_orders", order, "rejected", "forbidden"},
		{"techA", "incidents", func(*fixture) map[string]any { return map[string]any{"type": "commendation"} }, "rejected", "forbidden"},
		{"techA", "service_forms", func(*fixture) map[string]any { return map[string]any{"reviewNote": "自己批"} }, "rejected", "forbidden"},
		{"leaderA", "work_orders", order, "applied", ""},
		{"leaderA", "incidents", func(f *fixture) map[string]any {
			return map[string]any{"type": "unreachable", "technicianId": f.users["techA"].ID, "points": -2}
		}, "applied", ""},
		{"buyer", "service_forms", func(*fixture) map[string]any { return form }, "rejected", "forbidden"},
		{"gm", "work_orders", order, "rejected", "forbidden"},
		{"hr", "weekly_reports", func(*fixture) map[string]any { return map[string]any{"workCompleted": "x"} }, "rejected", "forbidden"},
		{"techA", "assessments", func(*fixture) map[string]any { return map[string]any{"total": 100} }, "rejected", "invalid"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s writes %s %s", tc.who, tc.collection, tc.status), func(t *testing.T) {
			id := uuid.NewString()
			status, _, body := f.call(tc.who, "POST", "/v1/sync/push", map[string]any{
				"mutations": []any{mutation(tc.collection, id, 0, tc.fields(f))}})
			if status != 200 {
				t.Fatalf("status %d: %v", status, body)
			}
			r := resultsOf(t, body)[0]
			if r["status"] != tc.status {
				t.Fatalf("result %v, want %s", r, tc.status)
			}
			if tc.code != "" && r["error"].(map[string]any)["code"] != tc.code {
				t.Fatalf("error %v, want code %s", r["error"], tc.code)
			}
		})
	}
	// Another team's leader cannot touch team A's form; team A's leader reviews it.
	id := uuid.NewString()
	f.call("techA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("service_forms", id, 0, form)}})
	_, _, body := f.call("leaderB", "POST", "/v1/sync/push", map[string]any{"mutations": []any{
		mutation("service_forms", id, 1, map[string]any{"reviewNote": "越权"})}})
	if r := resultsOf(t, body)[0]; r["status"] != "rejected" {
		t.Fatalf("another team's leader wrote: %v", r)
	}
	_, _, body = f.call("leaderA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{
		mutation("service_forms", id, 1, map[string]any{"reviewNote": "很好"})}})
	if r := resultsOf(t, body)[0]; r["status"] != "applied" {
		t.Fatalf("the team's leader could not review: %v", r)
	}
}

// TestSyncReadScope checks what each role pulls, and that customer details stay in the team.
func TestSyncReadScope(t *testing.T) {
	f := newFixture(t)
	orderID, formID, otherForm := uuid.NewString(), uuid.NewString(), uuid.NewString()
	f.call("leaderA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("work_orders", orderID, 0,
		map[string]any{"customerName": "张三", "customerPhone": "13800138000", "customerAddress": "郑州市金水区",
			"serviceType": "paid", "assignees": []any{f.users["techA"].ID}})}})
	f.call("techA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("service_forms", formID, 0,
		map[string]any{"workOrderId": orderID, "workDone": "x"})}})
	f.call("techB", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("service_forms", otherForm, 0,
		map[string]any{"workDone": "y"})}})
	cases := []struct {
		who  string
		sees []string
	}{
		{"techA", []string{orderID, formID}},
		{"leaderA", []string{orderID, formID}},
		{"techB", []string{otherForm}},
		{"leaderB", []string{otherForm}},
		{"buyer", nil},
		{"hr", nil},
	}
	for _, tc := range cases {
		t.Run(tc.who, func(t *testing.T) {
			status, _, body := f.call(tc.who, "GET", "/v1/sync/pull", nil)
			if status != 200 {
				t.Fatalf("status %d %v", status, body)
			}
			var got []string
			for _, c := range body["changes"].([]any) {
				ch := c.(map[string]any)
				got = append(got, ch["id"].(string))
				if rec, ok := ch["record"].(map[string]any); ok && ch["collection"] == "work_orders" && rec["customerPhone"] != "13800138000" {
					t.Errorf("a team member lost the customer's phone: %v", rec)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.sees) {
				t.Fatalf("%s pulled %v, want %v", tc.who, got, tc.sees)
			}
		})
	}
}

func TestPushLimitsAndMalformedInput(t *testing.T) {
	f := newFixture(t)
	many := make([]any, 501)
	for i := range many {
		many[i] = mutation("service_forms", uuid.NewString(), 0, map[string]any{"workDone": "x"})
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"501 mutations", map[string]any{"mutations": many}, 413, "too_large"},
		{"not json", "nonsense", 400, "invalid"},
		{"unknown top-level key", map[string]any{"mutations": []any{}, "evil": 1}, 400, "invalid"},
		{"the app's own device label", map[string]any{"deviceId": "phone-1", "mutations": []any{}}, 200, ""},
		{"empty batch", map[string]any{"mutations": []any{}}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.call("techA", "POST", "/v1/sync/push", tc.body)
			if status != tc.status || (tc.code != "" && errorCode(body) != tc.code) {
				t.Fatalf("status %d %v, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	t.Run("5 MB body", func(t *testing.T) {
		big := fmt.Sprintf(`{"mutations":[{"mutationId":"m","collection":"service_forms","id":"x","op":"upsert","baseVersion":0,"fields":{"note":%q}}]}`,
			strings.Repeat("x", 5<<20))
		srv := New(Config{BodyLimit: 16 << 20}, f.srv.deps)
		req := httptest.NewRequest(http.MethodPost, "/v1/sync/push", strings.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+f.token("techA"))
		status, _, body := do(t, srv, req)
		if status != 413 || errorCode(body) != "too_large" {
			t.Fatalf("status %d %v", status, body)
		}
	})
	t.Run("one malformed mutation is rejected alone", func(t *testing.T) {
		good := mutation("service_forms", uuid.NewString(), 0, map[string]any{"workDone": "x"})
		bad := map[string]any{"mutationId": "m-bad", "collection": "service_forms", "id": "y", "op": "upsert",
			"baseVersion": "three", "fields": map[string]any{}}
		badTime := mutation("service_forms", uuid.NewString(), 0, map[string]any{"workDone": "x"})
		badTime["clientTime"] = "yesterday"
		status, _, body := f.call("techA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{good, bad, badTime, good}})
		if status != 200 {
			t.Fatalf("status %d %v", status, body)
		}
		rs := resultsOf(t, body)
		want := []string{"applied", "rejected", "rejected", "applied"}
		for i, r := range rs {
			if r["status"] != want[i] {
				t.Fatalf("result %d = %v, want %s", i, r, want[i])
			}
		}
		if rs[1]["mutationId"] != "m-bad" || rs[3]["version"] != rs[0]["version"] {
			t.Fatalf("results %v", rs)
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		status, _, body := f.call("techA", "GET", "/v1/sync/pull?cursor=garbage", nil)
		if status != 400 || errorCode(body) != "invalid" {
			t.Fatalf("status %d %v", status, body)
		}
		status, _, body = f.call("techA", "GET", "/v1/sync/pull?limit=0", nil)
		if status != 400 {
			t.Fatalf("limit 0: %d %v", status, body)
		}
	})
}

// TestConflictLogKeepsCustomerDetailsInTheTeam: a conflict on a customer's phone is logged with
// both values; outside the team (admin) the entry is left out with the field.
func TestConflictLogKeepsCustomerDetailsInTheTeam(t *testing.T) {
	f := newFixture(t)
	id := uuid.NewString()
	f.call("leaderA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("work_orders", id, 0,
		map[string]any{"customerName": "张三", "customerPhone": "13800138000", "serviceType": "paid"})}})
	f.call("leaderA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("work_orders", id, 1,
		map[string]any{"customerPhone": "13900139000"})}})
	other := f.login("leaderA") // a second device of the leader, still at version 1
	f.sessions["leaderA2"] = other
	_, _, body := f.call("leaderA2", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("work_orders", id, 1,
		map[string]any{"customerPhone": "13700137000", "customerName": "张三丰"})}})
	if r := resultsOf(t, body)[0]; r["status"] != "conflict" {
		t.Fatalf("expected a conflict: %v", r)
	}
	conflictsOf := func(who string) string {
		_, _, body := f.call(who, "GET", "/v1/sync/pull", nil)
		for _, c := range body["changes"].([]any) {
			if ch := c.(map[string]any); ch["id"] == id {
				return fmt.Sprint(ch["record"].(map[string]any)["conflicts"])
			}
		}
		t.Fatalf("%s does not see the work order", who)
		return ""
	}
	if log := conflictsOf("leaderA"); !strings.Contains(log, "13700137000") {
		t.Fatalf("the team's leader lost the conflict log: %s", log)
	}
	if log := conflictsOf("admin"); strings.Contains(log, "1370013") || strings.Contains(log, "1390013") || strings.Contains(log, "customerPhone") {
		t.Fatalf("the customer's phone leaks outside the team through the conflict log: %s", log)
	}
}
