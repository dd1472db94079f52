package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

var (
	techP   = domain.Principal{UserID: tech, Role: domain.RoleTechnician, TeamID: team}
	tech2P  = domain.Principal{UserID: tech2, Role: domain.RoleTechnician, TeamID: team}
	leaderP = domain.Principal{UserID: leader, Role: domain.RoleLeader, TeamID: team}
	buyerP  = domain.Principal{UserID: "55555555-5555-4555-8555-555555555555", Role: domain.RolePurchasing}
	gmP     = domain.Principal{UserID: "66666666-6666-4666-8666-666666666666", Role: domain.RoleGM}
)

// memLookup is a Lookup over records held in memory (the tests of StoreLookup run on the real
// store, in engine_test.go).
type memLookup map[sync.RecordKey]*sync.Record

func (m memLookup) put(r *sync.Record) { m[sync.RecordKey{Collection: r.Collection, ID: r.ID}] = r }

func (m memLookup) Record(_ context.Context, collection, id string) (*sync.Record, error) {
	if r := m[sync.RecordKey{Collection: collection, ID: id}]; r != nil && !r.Deleted {
		return r, nil
	}
	return nil, nil
}

func (m memLookup) RevisitPlansFor(_ context.Context, team, formID string) ([]*sync.Record, error) {
	var out []*sync.Record
	for k, r := range m {
		if k.Collection == domain.CollRevisitPlans && !r.Deleted && r.Team == team && r.Fields["serviceFormId"] == formID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m memLookup) FirstClaim(_ context.Context, sha string, except sync.RecordKey) (*sync.Record, error) {
	var first *sync.Record
	for k, r := range m {
		if k.Collection == domain.CollReceipts && k != except && !r.Deleted && r.Fields["photo"] == sha &&
			(first == nil || claimedBefore(r, first)) {
			first = r
		}
	}
	return first, nil
}

// harness runs writes through the rules the way the engine does after a merge.
type harness struct {
	t      *testing.T
	rules  sync.DomainRules
	lookup memLookup
	now    time.Time
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, lookup: memLookup{}, now: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	h.rules = NewRules(Config{Lookup: h.lookup, Now: func() time.Time { return h.now }})
	return h
}

// write applies fields (JSON; null clears) to cur as principal p, like a merged mutation, and
// returns the record to store, or the rules' error. cur is never modified.
func (h *harness) write(p domain.Principal, cur *sync.Record, collection, id, fields string) (*sync.Record, error) {
	h.t.Helper()
	h.now = h.now.Add(time.Minute)
	var next *sync.Record
	if cur == nil {
		next = &sync.Record{Collection: collection, ID: id, Owner: p.UserID, Team: p.TeamID, CreatedAt: h.now,
			State: sync.State{Version: 1, Fields: map[string]any{}, FieldVersions: map[string]int64{}}}
	} else {
		c := *cur
		c.State = *cur.State.Clone()
		c.Version++
		next = &c
	}
	for k, v := range fieldsOf(h.t, fields) {
		next.FieldVersions[k] = next.Version
		if v == nil {
			delete(next.Fields, k)
		} else {
			next.Fields[k] = v
		}
	}
	if err := h.rules.Derive(context.Background(), p, cur, next); err != nil {
		return nil, err
	}
	return next, nil
}

// must is write that fails the test on an error.
func (h *harness) must(p domain.Principal, cur *sync.Record, collection, id, fields string) *sync.Record {
	h.t.Helper()
	next, err := h.write(p, cur, collection, id, fields)
	if err != nil {
		h.t.Fatalf("write %s %s: %v %v", collection, fields, err, domain.ErrorFields(err))
	}
	return next
}

// refused is write that must fail with code, naming field (when not "").
func (h *harness) refused(p domain.Principal, cur *sync.Record, collection, fields string, code domain.Code, field string) {
	h.t.Helper()
	_, err := h.write(p, cur, collection, cur.ID, fields)
	if domain.ErrorCode(err) != code {
		h.t.Fatalf("write %s: %v, want %s", fields, err, code)
	}
	if _, ok := domain.ErrorFields(err)[field]; field != "" && !ok {
		h.t.Fatalf("write %s: fields %v, want %s", fields, domain.ErrorFields(err), field)
	}
}

func TestServiceFormLifecycle(t *testing.T) {
	h := newHarness(t)
	h.lookup.put(record(domain.CollWorkOrders, "wo-1", fieldsOf(t, `{"customerName": "张三", "serviceType": "paid", "assignees": ["`+tech+`"]}`)))
	sf := domain.CollServiceForms
	form := h.must(techP, nil, sf, "form-1", `{"workOrderId": "wo-1", "workDone": "检查"}`)
	if form.Fields["submittedAt"] != nil || IsLocked(form) {
		t.Fatalf("a draft got %v", form.Fields)
	}
	h.refused(techP, form, sf, `{"status": "submitted"}`, domain.CodeInvalid, "signaturePhoto")
	form = h.must(techP, form, sf, "", `{"status": "submitted", "arrivedAt": "2026-11-02T09:00:00+08:00",
		"departedAt": "2026-11-02T11:30:00+08:00", "faultCause": "压缩机坏", "outcome": "incomplete", "signaturePhoto": "`+photo+`"}`)
	if form.Fields["submittedAt"] != h.now.Format(time.RFC3339Nano) || form.FieldVersions["submittedAt"] != form.Version {
		t.Fatalf("submittedAt %v at version %d", form.Fields["submittedAt"], form.FieldVersions["submittedAt"])
	}
	h.refused(techP, form, sf, `{"workDone": "改"}`, domain.CodeConflict, "status")
	h.refused(techP, form, sf, `{"status": "approved"}`, domain.CodeForbidden, "status")
	h.refused(leaderP, form, sf, `{"status": "rejected"}`, domain.CodeInvalid, "reviewNote")
	form = h.must(leaderP, form, sf, "", `{"status": "rejected", "reviewNote": "缺下次计划"}`)
	if form.Fields["reviewedBy"] != leader || form.Fields["reviewedAt"] != h.now.Format(time.RFC3339Nano) {
		t.Fatalf("review not stamped: %v", form.Fields)
	}
	form = h.must(techP, form, sf, "", `{"workDone": "检查，需换压缩机"}`)
	form = h.must(techP, form, sf, "", `{"status": "submitted"}`)
	// R17: the leader cannot approve before a complete revisit plan refers to the form.
	h.refused(leaderP, form, sf, `{"status": "approved"}`, domain.CodeInvalid, "outcome")
	plan := h.must(techP, nil, domain.CollRevisitPlans, "plan-1", `{"serviceFormId": "form-1", "plannedAt": "2026-11-05T09:00:00+08:00",
		"people": ["`+tech+`"], "tools": ["检漏仪"]}`)
	h.lookup.put(plan)
	h.refused(leaderP, form, sf, `{"status": "approved"}`, domain.CodeInvalid, "outcome")
	plan = h.must(techP, plan, domain.CollRevisitPlans, "", `{"purchasePlan": []}`)
	h.lookup.put(plan)
	form = h.must(leaderP, form, sf, "", `{"status": "approved"}`)
	if !IsLocked(form) {
		t.Fatal("an approved form is not locked")
	}
	// A write that changes nothing (the engine's conflict-only write of a locked record) passes.
	if _, err := h.write(techP, form, sf, "", `{}`); err != nil {
		t.Fatalf("a conflict-only write: %v", err)
	}
}

func TestServiceFormR18(t *testing.T) {
	sf := domain.CollServiceForms
	base := `"arrivedAt": "2026-11-02T09:00:00+08:00", "departedAt": "2026-11-02T10:00:00+08:00", "faultCause": "x",
		"workDone": "x", "outcome": "completed", "signaturePhoto": "` + photo + `", "status": "submitted"`
	cases := []struct {
		name    string
		order   string // the work order's assignees; "" for none stored
		form    string
		approve string
		field   string // the refusal's field; "" when approval passes
	}{
		{"assigned to the author", `["` + tech + `"]`, `"workOrderId": "wo-1"`, `{"status": "approved"}`, ""},
		{"assigned to somebody else", `["` + tech2 + `"]`, `"workOrderId": "wo-1"`, `{"status": "approved"}`, "workOrderId"},
		{"no such work order", "", `"workOrderId": "wo-1"`, `{"status": "approved"}`, "workOrderId"},
		{"extra work not approved", "", `"extraWork": true, "extraWorkReason": "客户临时要求"`, `{"status": "approved"}`, "extraWorkApproved"},
		{"extra work approved in the same write", "", `"extraWork": true, "extraWorkReason": "客户临时要求"`,
			`{"status": "approved", "extraWorkApproved": true}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.order != "" {
				h.lookup.put(record(domain.CollWorkOrders, "wo-1", fieldsOf(t, `{"customerName": "张三", "serviceType": "paid", "assignees": `+tc.order+`}`)))
			}
			form := h.must(techP, nil, sf, "form-1", `{`+base+`, `+tc.form+`}`)
			if tc.field != "" {
				h.refused(leaderP, form, sf, tc.approve, domain.CodeInvalid, tc.field)
				return
			}
			if got := h.must(leaderP, form, sf, "", tc.approve); got.Fields["status"] != "approved" {
				t.Fatalf("status %v", got.Fields["status"])
			}
		})
	}
}

func TestPurchaseRequestLifecycle(t *testing.T) {
	h := newHarness(t)
	pc := domain.CollPurchaseRequests
	pr := h.must(techP, nil, pc, "pr-1", `{"items": [{"name": "压缩机", "qty": 1, "unitPriceFen": 50000}], "reason": "换压缩机"}`)
	steps := []struct {
		by      domain.Principal
		fields  string
		status  string
		waiting []any
		token   string // an audience token the record must carry afterwards
	}{
		{techP, `{"submitted": true}`, "pending_leader", []any{"leader"}, "team:" + team + ":leader"},
		{leaderP, `{"leaderDecision": "approved"}`, "pending_purchasing", []any{"purchasing"}, "waiting:purchasing"},
		{buyerP, `{"purchasingDecision": "approved"}`, "pending_gm", []any{"gm"}, "waiting:gm"},
		{gmP, `{"gmDecision": "approved"}`, "pending_signoff", []any{"purchasing"}, "waiting:purchasing"},
		{buyerP, `{"purchasingSignedOff": true}`, "payable", nil, "user:" + tech + "@" + team},
	}
	for _, s := range steps {
		pr = h.must(s.by, pr, pc, "", s.fields)
		if pr.Fields["status"] != s.status || !slices.Equal(stringsOrNil(pr.Fields["waitingFor"]), s.waiting) {
			t.Fatalf("after %s: status %v waiting %v, want %s %v", s.fields, pr.Fields["status"], pr.Fields["waitingFor"], s.status, s.waiting)
		}
		if !slices.Contains(pr.Audience, s.token) {
			t.Fatalf("after %s: audience %v lacks %s", s.fields, pr.Audience, s.token)
		}
		if pr.FieldVersions["status"] != pr.Version {
			t.Fatalf("after %s: status changed at version %d, record at %d", s.fields, pr.FieldVersions["status"], pr.Version)
		}
	}
	if pr.Fields["totalFen"] != int64(50000) || pr.Fields["waitingSince"] != nil || !IsLocked(pr) {
		t.Fatalf("payable request: %v locked %v", pr.Fields, IsLocked(pr))
	}
}

func TestPurchaseRequestResubmission(t *testing.T) {
	h := newHarness(t)
	pc := domain.CollPurchaseRequests
	pr := h.must(techP, nil, pc, "pr-1", `{"items": [{"name": "压缩机", "qty": 1, "unitPriceFen": 80000}], "reason": "换", "submitted": true}`)
	pr = h.must(leaderP, pr, pc, "", `{"leaderDecision": "approved"}`)
	h.refused(techP, pr, pc, `{"reason": "改"}`, domain.CodeConflict, "items")
	h.refused(buyerP, pr, pc, `{"purchasingDecision": "rejected"}`, domain.CodeInvalid, "purchasingNote")
	pr = h.must(buyerP, pr, pc, "", `{"purchasingDecision": "rejected", "purchasingNote": "太贵"}`)
	if pr.Fields["status"] != "rejected" || slices.Contains(pr.Audience, "waiting:purchasing") {
		t.Fatalf("rejected: %v %v", pr.Fields["status"], pr.Audience)
	}
	pr = h.must(techP, pr, pc, "", `{"items": [{"name": "压缩机", "qty": 1, "unitPriceFen": 40000}]}`)
	for _, f := range []string{"leaderDecision", "purchasingDecision"} {
		if _, ok := pr.Fields[f]; ok || pr.FieldVersions[f] != pr.Version {
			t.Fatalf("%s not cleared at this version: %v %v", f, pr.Fields[f], pr.FieldVersions[f])
		}
	}
	if pr.Fields["status"] != "pending_leader" || pr.Fields["purchasingNote"] != "太贵" {
		t.Fatalf("resubmitted: %v", pr.Fields)
	}
}

func TestDeletes(t *testing.T) {
	h := newHarness(t)
	form := h.must(techP, nil, domain.CollServiceForms, "form-1", `{"workDone": "x"}`)
	del := func(cur *sync.Record) error {
		next := *cur
		next.State = *cur.State.Clone()
		next.Version++
		next.Deleted, next.DeletedVersion = true, next.Version
		return h.rules.Derive(context.Background(), techP, cur, &next)
	}
	if err := del(form); err != nil {
		t.Fatalf("deleting a draft: %v", err)
	}
	form = h.must(techP, form, domain.CollServiceForms, "", `{"status": "submitted", "workOrderId": "wo-1",
		"arrivedAt": "2026-11-02T09:00:00+08:00", "departedAt": "2026-11-02T10:00:00+08:00", "faultCause": "x",
		"outcome": "completed", "signaturePhoto": "`+photo+`"}`)
	if err := del(form); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("deleting a submitted form: %v", err)
	}
	// A delete of a record the server never had writes an empty tombstone: nothing to check.
	tomb := &sync.Record{Collection: domain.CollServiceForms, ID: "x", State: sync.State{Version: 1, Deleted: true,
		Fields: map[string]any{}, FieldVersions: map[string]int64{}}}
	if err := h.rules.Derive(context.Background(), techP, nil, tomb); err != nil {
		t.Fatalf("a tombstone of nothing: %v", err)
	}
}

func TestTripLogLifecycle(t *testing.T) {
	h := newHarness(t)
	tc := domain.CollTripLogs
	trip := h.must(techP, nil, tc, "trip-1", `{"purpose": "维修", "destinationCity": "洛阳市", "outsideHomeCity": true,
		"startAt": "2026-11-02T08:00:00+08:00", "people": ["`+tech+`"], "transportMode": "taxi"}`)
	h.refused(leaderP, trip, tc, `{"note": "x"}`, domain.CodeForbidden, "")
	trip = h.must(leaderP, trip, tc, "", `{"transportApproved": true}`)
	if trip.Fields["reviewedBy"] != leader {
		t.Fatalf("approval not stamped: %v", trip.Fields)
	}
	trip = h.must(techP, trip, tc, "", `{"transportMode": "company_car", "distanceKm": 260}`)
	if _, ok := trip.Fields["transportApproved"]; ok || trip.FieldVersions["transportApproved"] != trip.Version {
		t.Fatalf("a new mode kept the old approval: %v", trip.Fields)
	}
	h.refused(techP, trip, tc, `{"submitted": true}`, domain.CodeInvalid, "endAt")
	trip = h.must(techP, trip, tc, "", `{"submitted": true, "endAt": "2026-11-03T00:10:00+08:00"}`)
	got, _ := TripLogOf(trip, false)
	if got.Days() != 2 || got.SubmittedAt.IsZero() || !got.AwaitingApproval(domain.DefaultPolicy()) {
		t.Fatalf("trip %+v", got)
	}
}

func TestReceiptDuplicates(t *testing.T) {
	h := newHarness(t)
	rc := domain.CollReceipts
	first := h.must(techP, nil, rc, "r-1", `{"photo": "`+photo+`", "amountFen": 4550, "date": "2026-11-02", "category": "ticket", "tripLogId": "trip-1"}`)
	h.lookup.put(first)
	again := h.must(tech2P, nil, rc, "r-2", `{"photo": "`+photo+`", "amountFen": 4550, "date": "2026-11-02", "category": "ticket", "tripLogId": "trip-2"}`)
	if fmt.Sprint(again.Fields["duplicateOf"]) != "map[collection:receipts id:r-1]" {
		t.Fatalf("the second claim is not flagged: %v", again.Fields)
	}
	if first.Fields["duplicateOf"] != nil {
		t.Fatalf("the first claim is flagged: %v", first.Fields)
	}
	again = h.must(tech2P, again, rc, "", `{"photo": "`+photo2+`"}`)
	if _, ok := again.Fields["duplicateOf"]; ok {
		t.Fatalf("a new image kept the flag: %v", again.Fields)
	}
}

func TestExtraHookAndUnknownCollections(t *testing.T) {
	var calls []string
	rules := NewRules(Config{Extra: map[string]Hook{domain.CollWeeklyReports: func(_ context.Context, p domain.Principal, cur, next *sync.Record) error {
		calls = append(calls, next.ID)
		SetField(next, "submittedAt", "2026-11-07T09:29:00Z")
		return nil
	}}})
	next := record(domain.CollWeeklyReports, "w-1", map[string]any{"workCompleted": "x"})
	if err := rules.Derive(context.Background(), techP, nil, next); err != nil || !slices.Equal(calls, []string{"w-1"}) ||
		next.Fields["submittedAt"] == nil {
		t.Fatalf("hook: %v %v %v", err, calls, next.Fields)
	}
	for _, c := range domain.ComputedCollections() {
		if err := rules.Derive(context.Background(), techP, nil, record(c, "x", map[string]any{"any": "thing"})); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}

func stringsOrNil(v any) []any {
	list, _ := v.([]any)
	return list
}

// The fields of records stay JSON-shaped: no Go types leak into them from the rules.
func TestComputedFieldsAreJSONShaped(t *testing.T) {
	h := newHarness(t)
	pr := h.must(techP, nil, domain.CollPurchaseRequests, "pr-1", `{"items": [{"name": "a", "qty": 1, "unitPriceFen": 1}], "reason": "x", "submitted": true}`)
	for k, v := range maps.All(pr.Fields) {
		switch v.(type) {
		case string, bool, int64, json.Number, []any, map[string]any:
		default:
			t.Errorf("%s is a %T", k, v)
		}
	}
}
