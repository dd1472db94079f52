package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/schema"
)

// weekFixture is the account fixture served as production serves it: the engine with the team's
// rules (sync/schema life cycles, record and incident locks: cmd/fieldsync/syncwire.go), the rules
// engine with the reimbursement step, the review queue and petty cash, all on clk.
func weekFixture(t *testing.T) (*fixture, *testClock, *compute.Worker) {
	t.Helper()
	f := newFixture(t)
	clk := &testClock{now: shanghai(2026, 6, 8, 8, 0)}
	policies := compute.NewPolicies(compute.PolicyConfig{Store: mongostore.NewPolicies(f.store), Now: clk.Now, CacheTTL: -1})
	if err := policies.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	records := mongostore.NewRecords(f.store)
	rules := schema.NewRules(schema.Config{Lookup: schema.NewStoreLookup(records), Now: clk.Now,
		Policy: func(d domain.Date) domain.Policy {
			p, err := policies.At(context.Background(), d)
			if err != nil {
				return domain.DefaultPolicy()
			}
			return p
		}})
	recordLocked, incidentLocked := rules.IsLocked, compute.LockedIncidents(mongostore.NewCompute(f.store), 0)
	rules.IsLocked = func(rec *sync.Record) bool { return recordLocked(rec) || incidentLocked(rec) }
	engine := sync.New(sync.Config{Records: records, Sequencer: mongostore.NewSequencer(f.store, time.Now),
		Log: mongostore.NewMutationLog(f.store), Audit: mongostore.NewAuditLog(f.store), Rules: rules,
		CursorKey: []byte("fixture-cursor-key-0123456789abcdef0123"), Now: clk.Now})
	worker := compute.New(compute.Config{Records: records, Sequencer: mongostore.NewSequencer(f.store, time.Now),
		Writer: engine, Store: mongostore.NewCompute(f.store), Policies: policies, Users: mongostore.NewAccounts(f.store),
		Audit: mongostore.NewAuditLog(f.store), Now: clk.Now, Steps: []compute.Step{compute.ReimbursementStep()}})
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.srv = New(Config{Logger: log, BodyLimit: 1 << 20}, Deps{Accounts: f.svc, LoginLimits: mongostore.NewLimiterStorage(f.store),
		Sync: engine, Policy: policies, Scoring: worker, Review: compute.NewReviews(records, policies),
		PettyCash: compute.NewPettyCash(records, engine, policies)})
	f.users["techA2"] = f.createUser("techA2", domain.RoleTechnician, f.teamA.ID)
	f.sessions["techA2"] = f.login("techA2")
	return f, clk, worker
}

// weekPhoto is a photo hash per name.
func weekPhoto(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// TestWeekOfOneTeam walks a realistic week of team A end to end through the push path and checks
// every computed collection: assessments, reimbursements, petty cash, and the review queue.
func TestWeekOfOneTeam(t *testing.T) {
	f, clk, worker := weekFixture(t)
	ctx := context.Background()
	techA, techA2 := f.users["techA"].ID, f.users["techA2"].ID
	versions := map[string]int64{}
	// push sends one upsert as who at the Shanghai wall-clock instant and expects status.
	push := func(who string, when time.Time, collection, id string, fields map[string]any, status string) {
		t.Helper()
		clk.Set(when)
		m := mutation(collection, id, versions[id], fields)
		code, _, body := f.call(who, "POST", "/v1/sync/push", map[string]any{"mutations": []any{m}})
		if code != 200 {
			t.Fatalf("push %s: %d %v", collection, code, body)
		}
		res := resultsOf(t, body)[0]
		if res["status"] != status {
			t.Fatalf("push %s %v by %s: %v, want %s", collection, fields, who, res, status)
		}
		if v, ok := res["version"].(float64); ok && v > 0 {
			versions[id] = int64(v)
		}
	}
	run := func(when time.Time) {
		t.Helper()
		clk.Set(when)
		if err := worker.RunOnce(ctx, when); err != nil {
			t.Fatalf("pass at %s: %v", when, err)
		}
	}
	pull := func(who, collection string) map[string]map[string]any {
		t.Helper()
		out := map[string]map[string]any{}
		cursor := ""
		for {
			code, _, body := f.call(who, "GET", "/v1/sync/pull?limit=1000&cursor="+url.QueryEscape(cursor), nil)
			if code != 200 {
				t.Fatalf("pull: %d %v", code, body)
			}
			for _, c := range body["changes"].([]any) {
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
			cursor, _ = body["cursor"].(string)
			if body["hasMore"] != true {
				return out
			}
		}
	}
	queue := func(who string) map[string]any {
		t.Helper()
		code, _, body := f.call(who, "GET", "/v1/review/queue", nil)
		if code != 200 {
			t.Fatalf("queue of %s: %d %v", who, code, body)
		}
		return body["counts"].(map[string]any)
	}
	expectCounts := func(who string, want map[string]float64) {
		t.Helper()
		got := queue(who)
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s's queue: %s = %v, want %v (%v)", who, k, got[k], n, got)
			}
		}
	}

	// Monday: the server's first pass, then the leader dispatches two work orders.
	run(shanghai(2026, 6, 8, 8, 0))
	mon := func(h, m int) time.Time { return shanghai(2026, 6, 8, h, m) }
	w1, w2 := uuid.NewString(), uuid.NewString()
	for id, tech := range map[string]string{w1: techA, w2: techA2} {
		push("leaderA", mon(8, 30), "work_orders", id, map[string]any{"customerName": "王五", "customerPhone": "13800138000",
			"customerAddress": "郑州市金水路1号", "productModel": "KFR-35", "faultDescription": "不制冷", "serviceType": "warranty",
			"assignees": []any{tech}}, "applied")
	}
	// Service forms: one completed, one incomplete with its revisit plan, one the leader will reject.
	form := func(order, outcome string) map[string]any {
		return map[string]any{"workOrderId": order, "arrivedAt": "2026-06-08T10:00:00+08:00",
			"departedAt": "2026-06-08T11:30:00+08:00", "faultCause": "缺氟", "workDone": "加氟", "outcome": outcome,
			"signaturePhoto": weekPhoto("signature-" + order), "status": "submitted"}
	}
	f1, f2, f3, plan := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	push("techA", mon(12, 0), "service_forms", f1, form(w1, "completed"), "applied")
	push("techA2", mon(12, 5), "service_forms", f2, form(w2, "incomplete"), "applied")
	push("techA2", mon(12, 6), "revisit_plans", plan, map[string]any{"serviceFormId": f2,
		"plannedAt": "2026-06-10T09:00:00+08:00", "people": []any{techA2}, "tools": []any{"压力表"},
		"purchasePlan": []any{map[string]any{"name": "压缩机", "qty": 1, "estimatedFen": 50000}}}, "applied")
	push("techA", mon(12, 10), "service_forms", f3, form(w1, "completed"), "applied")

	// Trips and receipts. tue is Tuesday.
	tue := func(h, m int) time.Time { return shanghai(2026, 6, 9, h, m) }
	local, luoyang, taxi := uuid.NewString(), uuid.NewString(), uuid.NewString()
	push("techA", tue(7, 0), "trip_logs", local, map[string]any{"purpose": "上门维修", "origin": "郑州市",
		"destinationCity": "郑州市", "outsideHomeCity": false, "startAt": "2026-06-08T09:00:00+08:00",
		"endAt": "2026-06-08T12:00:00+08:00", "people": []any{techA}, "transportMode": "bus", "submitted": true}, "applied")
	push("techA", tue(7, 1), "trip_logs", luoyang, map[string]any{"purpose": "洛阳客户维修", "origin": "郑州市",
		"destinationCity": "洛阳市", "outsideHomeCity": true, "startAt": "2026-06-09T07:00:00+08:00",
		"endAt": "2026-06-10T20:00:00+08:00", "people": []any{techA, techA2}, "transportMode": "high_speed_rail",
		"submitted": true}, "applied")
	push("techA2", tue(7, 2), "trip_logs", taxi, map[string]any{"purpose": "急修", "origin": "郑州市",
		"destinationCity": "郑州市", "startAt": "2026-06-09T13:00:00+08:00", "endAt": "2026-06-09T15:00:00+08:00",
		"people": []any{techA2}, "transportMode": "taxi", "submitted": true}, "applied")
	receipt := func(photo string, fen int, category, link, id string) map[string]any {
		key := "tripLogId"
		if category == "parts" {
			key = "purchaseRequestId"
		}
		return map[string]any{"photo": weekPhoto(photo), "amountFen": fen, "date": "2026-06-09", "category": category, key: link}
	}
	push("techA", tue(20, 0), "receipts", uuid.NewString(), receipt("bus", 200, "ticket", local, ""), "applied")
	push("techA", tue(20, 1), "receipts", uuid.NewString(), receipt("rail", 12000, "ticket", luoyang, ""), "applied")
	push("techA2", tue(20, 2), "receipts", uuid.NewString(), receipt("taxi", 3500, "taxi", taxi, ""), "applied")
	dup := uuid.NewString()
	// The same rail ticket, photographed again by the teammate who travelled along.
	push("techA2", tue(20, 3), "receipts", dup, receipt("rail", 12000, "ticket", taxi, ""), "applied")

	// Purchases: 120.00 CNY (leader only) and exactly 500.00 CNY (the full chain, R14).
	small, big := uuid.NewString(), uuid.NewString()
	push("techA", tue(21, 0), "purchase_requests", small, map[string]any{"workOrderId": w1, "reason": "密封圈",
		"items": []any{map[string]any{"name": "密封圈", "qty": 4, "unitPriceFen": 3000}}, "submitted": true}, "applied")
	push("techA2", tue(21, 1), "purchase_requests", big, map[string]any{"workOrderId": w2, "reason": "压缩机",
		"items": []any{map[string]any{"name": "压缩机", "qty": 1, "unitPriceFen": 50000}}, "submitted": true}, "applied")
	push("techA", tue(21, 2), "receipts", uuid.NewString(), receipt("seals", 12000, "parts", small, ""), "applied")
	push("techA2", tue(21, 3), "receipts", uuid.NewString(), receipt("compressor", 50000, "parts", big, ""), "applied")

	// Wednesday morning: a pass; the taxi is held, and the leader's queue is full.
	run(shanghai(2026, 6, 10, 8, 0))
	if r := pull("techA2", "reimbursements")[compute.ReimbursementID("trip_logs", taxi)]; r == nil ||
		r["paidFen"] != float64(0) || r["heldFen"] != float64(3500) {
		t.Errorf("the unapproved taxi: %v", r)
	}
	expectCounts("leaderA", map[string]float64{"service_form": 3, "trip_approval": 1, "purchase_request": 2,
		"duplicate_receipt": 1, "conflict": 0})
	expectCounts("buyer", map[string]float64{"purchase_request": 0})

	// Wednesday: the leader reviews through push (as on a phone), and records an incident.
	wed := func(h, m int) time.Time { return shanghai(2026, 6, 10, h, m) }
	push("leaderA", wed(9, 0), "service_forms", f1, map[string]any{"status": "approved"}, "applied")
	push("leaderA", wed(9, 1), "service_forms", f2, map[string]any{"status": "approved"}, "applied")
	push("leaderA", wed(9, 2), "service_forms", f3, map[string]any{"status": "rejected", "reviewNote": "照片不清"}, "applied")
	push("leaderA", wed(9, 3), "trip_logs", taxi, map[string]any{"transportApproved": true}, "applied")
	push("leaderA", wed(9, 4), "purchase_requests", small, map[string]any{"leaderDecision": "approved"}, "applied")
	push("leaderA", wed(9, 5), "purchase_requests", big, map[string]any{"leaderDecision": "approved"}, "applied")
	push("leaderA", wed(9, 6), "incidents", uuid.NewString(), map[string]any{"technicianId": techA2, "type": "unreachable",
		"date": "2026-06-10", "points": -2, "note": "下午联系不上 13 小时"}, "applied")
	expectCounts("leaderA", map[string]float64{"service_form": 0, "trip_approval": 0, "purchase_request": 0, "duplicate_receipt": 1})
	// The 500.00 CNY request goes on: purchasing, the gm, purchasing's sign-off.
	expectCounts("buyer", map[string]float64{"purchase_request": 1})
	push("buyer", wed(10, 0), "purchase_requests", big, map[string]any{"purchasingDecision": "approved"}, "applied")
	expectCounts("buyer", map[string]float64{"purchase_request": 0})
	expectCounts("gm", map[string]float64{"purchase_request": 1})
	push("gm", wed(11, 0), "purchase_requests", big, map[string]any{"gmDecision": "approved"}, "applied")
	expectCounts("buyer", map[string]float64{"purchase_request": 1})
	push("buyer", wed(14, 0), "purchase_requests", big, map[string]any{"purchasingSignedOff": true}, "applied")
	expectCounts("buyer", map[string]float64{"purchase_request": 0})
	expectCounts("gm", map[string]float64{"purchase_request": 0})

	// Petty cash: a payout, one beyond the balance, a resend.
	payout := map[string]any{"id": uuid.NewString(), "date": "2026-06-10", "amountFen": 30000, "payee": techA, "purpose": "配件垫付"}
	for _, tc := range []struct {
		who     string
		body    map[string]any
		status  int
		balance float64
	}{
		{"leaderA", payout, 201, 470000},
		{"leaderA", payout, 201, 470000},
		{"leaderA", map[string]any{"id": uuid.NewString(), "date": "2026-06-10", "amountFen": 470001, "payee": "x", "purpose": "y"}, 409, 0},
		{"techA", payout, 403, 0},
	} {
		code, _, body := f.call(tc.who, "POST", "/v1/petty-cash/2026-06/payouts", tc.body)
		if code != tc.status || (tc.balance != 0 && body["balanceFen"] != tc.balance) {
			t.Errorf("payout by %s: %d %v, want %d balance %v", tc.who, code, body, tc.status, tc.balance)
		}
		if code == 409 {
			if fields, _ := body["error"].(map[string]any)["fields"].(map[string]any); fields["amountFen"] == nil {
				t.Errorf("409 without fields.amountFen: %v", body)
			}
		}
	}
	for who, want := range map[string]int{"leaderA": 200, "hr": 200, "techA": 403, "leaderB": 403} {
		path := "/v1/petty-cash/2026-06"
		if who == "hr" {
			path += "?team=" + f.teamA.ID
		}
		if who == "leaderB" {
			path += "?team=" + f.teamA.ID
		}
		code, _, body := f.call(who, "GET", path, nil)
		if code != want || (code == 200 && (body["balanceFen"] != float64(470000) || body["floatFen"] != float64(500000) ||
			len(body["payouts"].([]any)) != 1)) {
			t.Errorf("GET petty cash as %s: %d %v", who, code, body)
		}
	}

	// Weekly reports: techA's on Friday, techA2's after Saturday's 17:30 deadline.
	push("techA", shanghai(2026, 6, 12, 16, 0), "weekly_reports", uuid.NewString(), map[string]any{"weekStart": "2026-06-08",
		"workCompleted": "3 单", "nextWeekPlan": "回访"}, "applied")
	push("techA2", shanghai(2026, 6, 13, 17, 45), "weekly_reports", uuid.NewString(), map[string]any{"weekStart": "2026-06-08",
		"workCompleted": "2 单", "nextWeekPlan": "换压缩机"}, "applied")
	run(shanghai(2026, 6, 13, 18, 0))

	t.Run("assessments", func(t *testing.T) {
		june := domain.Month{Year: 2026, Month: 6}
		for who, total := range map[string]float64{"techA": 100, "techA2": 96} {
			got := pull(who, "assessments")[compute.AssessmentID(f.users[who].ID, june)]
			if got == nil || got["total"] != total {
				t.Errorf("%s's June: %v, want total %v", who, got, total)
			}
			if pull("leaderA", "assessments")[compute.AssessmentID(f.users[who].ID, june)] == nil {
				t.Errorf("the leader does not pull %s's assessment", who)
			}
		}
	})
	t.Run("reimbursements", func(t *testing.T) {
		want := map[string]struct {
			collection, id, owner string
			paid, held, dup       float64
		}{
			"local bus":        {"trip_logs", local, "techA", 200, 0, 0},
			"洛阳 per diem+rail": {"trip_logs", luoyang, "techA", 8000 + 12000, 0, 0},
			"approved taxi":    {"trip_logs", taxi, "techA2", 3500, 0, 12000},
			"purchase < 500":   {"purchase_requests", small, "techA", 12000, 0, 0},
			"purchase = 500":   {"purchase_requests", big, "techA2", 50000, 0, 0},
		}
		leader := pull("leaderA", "reimbursements")
		mine := map[string]map[string]map[string]any{"techA": pull("techA", "reimbursements"), "techA2": pull("techA2", "reimbursements")}
		if len(leader) != 5 || len(mine["techA"]) != 3 || len(mine["techA2"]) != 2 {
			t.Errorf("pulled %d (leader), %d (techA), %d (techA2), want 5, 3, 2", len(leader), len(mine["techA"]), len(mine["techA2"]))
		}
		for name, w := range want {
			id := compute.ReimbursementID(w.collection, w.id)
			got := mine[w.owner][id]
			if got == nil || leader[id] == nil {
				t.Errorf("%s: not pulled by its owner or the leader", name)
				continue
			}
			if got["paidFen"] != w.paid || got["heldFen"] != w.held || got["duplicateFen"] != w.dup || got["month"] != "2026-06" {
				t.Errorf("%s: paid %v held %v duplicate %v month %v, want %v %v %v", name, got["paidFen"], got["heldFen"],
					got["duplicateFen"], got["month"], w.paid, w.held, w.dup)
			}
		}
	})
	t.Run("petty cash record", func(t *testing.T) {
		id := compute.PettyCashID(f.teamA.ID, domain.Month{Year: 2026, Month: 6})
		if got := pull("leaderA", "petty_cash")[id]; got == nil || got["balanceFen"] != float64(470000) {
			t.Errorf("the leader's petty cash record: %v", got)
		}
		if got := pull("techA", "petty_cash")[id]; got != nil {
			t.Errorf("a technician pulls petty cash: %v", got)
		}
	})
	t.Run("review queue after the week", func(t *testing.T) {
		// The duplicate stays until the leader notes it.
		expectCounts("leaderA", map[string]float64{"service_form": 0, "trip_approval": 0, "purchase_request": 0,
			"duplicate_receipt": 1, "conflict": 0})
		push("leaderA", shanghai(2026, 6, 13, 18, 30), "receipts", dup, map[string]any{"reviewNote": "重复票据，不报"}, "applied")
		expectCounts("leaderA", map[string]float64{"duplicate_receipt": 0})
		if code, _, _ := f.call("techA", "GET", "/v1/review/queue", nil); code != 403 {
			t.Errorf("a technician's queue: %d", code)
		}
	})
}
