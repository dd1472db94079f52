package compute_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/schema"
)

// moneyRig is the rig with the records' life cycles (sync/schema) wired as in production, so
// that trips, receipts and purchase requests get their computed fields.
func moneyRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t)
	lockedIncident := compute.LockedIncidents(r.state, 0)
	rules := schema.NewRules(schema.Config{Lookup: schema.NewStoreLookup(r.records), Now: r.clock.Now,
		Policy: func(d domain.Date) domain.Policy {
			p, err := r.policies.At(context.Background(), d)
			if err != nil {
				return domain.DefaultPolicy()
			}
			return p
		}})
	rules.IsLocked = func(rec *sync.Record) bool { return schema.IsLocked(rec) || lockedIncident(rec) }
	r.engine = sync.New(sync.Config{Records: r.records, Sequencer: mongostore.NewSequencer(r.store, time.Now),
		Log: mongostore.NewMutationLog(r.store), Rules: rules,
		CursorKey: []byte("compute-test-cursor-key-0123456789abcdef"), Now: r.clock.Now})
	return r
}

// photoOf is a distinct photo hash per name (64 hex).
func photoOf(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// mustApply pushes fields as p and fails unless applied.
func (r *rig) mustApply(p domain.Principal, collection, id string, fields map[string]any) {
	r.t.Helper()
	if res := r.push(p, collection, id, 0, fields, r.clock.Now()); res.Status != sync.StatusApplied {
		r.t.Fatalf("%s %s not applied: %+v", collection, id, res)
	}
}

// reimbursement returns p's pulled reimbursement of the source record.
func (r *rig) reimbursement(p domain.Principal, collection, id string) map[string]any {
	r.t.Helper()
	return r.pull(p, domain.CollReimbursements)[compute.ReimbursementID(collection, id)]
}

// statuses lists the status of each line of a pulled reimbursement.
func statuses(rec map[string]any) []string {
	var out []string
	lines, _ := rec["lines"].([]any)
	for _, l := range lines {
		out = append(out, str(l.(map[string]any)["status"]))
	}
	return out
}

// TestReimbursements walks the trips and receipts of R11–R13 and R16 through the worker step.
func TestReimbursements(t *testing.T) {
	r := moneyRig(t)
	w := r.workerOn(r.state, compute.ReimbursementStep())
	r.clock.Set(at(2026, 3, 9, 9, 0))
	rail, taxi, other := uuid.NewString(), uuid.NewString(), uuid.NewString()
	r.mustApply(r.tech1, domain.CollTripLogs, rail, map[string]any{"purpose": "维修", "origin": "郑州",
		"destinationCity": "洛阳市", "outsideHomeCity": true, "startAt": "2026-03-09T07:00:00+08:00",
		"endAt": "2026-03-10T20:00:00+08:00", "people": []any{r.tech1.UserID, r.tech2.UserID},
		"transportMode": "high_speed_rail", "submitted": true})
	r.mustApply(r.tech1, domain.CollTripLogs, taxi, map[string]any{"purpose": "送件", "origin": "郑州",
		"destinationCity": "郑州市", "startAt": "2026-03-09T13:00:00+08:00", "endAt": "2026-03-09T15:00:00+08:00",
		"people": []any{r.tech1.UserID}, "transportMode": "taxi", "submitted": true})
	r.mustApply(r.tech2, domain.CollTripLogs, other, map[string]any{"purpose": "维修", "destinationCity": "郑州市",
		"startAt": "2026-03-09T13:00:00+08:00", "endAt": "2026-03-09T15:00:00+08:00",
		"people": []any{r.tech2.UserID}, "transportMode": "bus", "submitted": true})
	ticket, taxiFare, dup := uuid.NewString(), uuid.NewString(), uuid.NewString()
	r.mustApply(r.tech1, domain.CollReceipts, ticket, map[string]any{"photo": photoOf("ticket"), "amountFen": 12000,
		"date": "2026-03-09", "category": "ticket", "tripLogId": rail})
	r.mustApply(r.tech1, domain.CollReceipts, taxiFare, map[string]any{"photo": photoOf("taxi"), "amountFen": 3500,
		"date": "2026-03-09", "category": "taxi", "tripLogId": taxi})
	r.clock.Set(at(2026, 3, 9, 9, 5))
	r.mustApply(r.tech2, domain.CollReceipts, dup, map[string]any{"photo": photoOf("ticket"), "amountFen": 12000,
		"date": "2026-03-09", "category": "ticket", "tripLogId": other})
	r.runAt(w, at(2026, 3, 9, 10, 0))

	cases := []struct {
		name      string
		who       domain.Principal
		source    string
		paid      int
		held      int
		statuses  []string
		invisible domain.Principal
	}{
		{"R11 per diem 2 people × 2 days + R12 fare", r.tech1, rail, 8000 + 12000, 0, []string{"paid", "paid"}, r.tech2},
		{"R12 taxi without approval is held", r.tech1, taxi, 0, 3500, []string{"held"}, r.tech2},
		{"R16 the same image again is a duplicate", r.tech2, other, 0, 0, []string{"duplicate"}, r.tech1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := r.reimbursement(tc.who, domain.CollTripLogs, tc.source)
			if got == nil {
				t.Fatal("no reimbursement")
			}
			if num(t, got["paidFen"]) != tc.paid || num(t, got["heldFen"]) != tc.held || got["month"] != "2026-03" {
				t.Errorf("paid %v held %v month %v, want %d %d 2026-03: %v", got["paidFen"], got["heldFen"], got["month"], tc.paid, tc.held, got)
			}
			if s := statuses(got); len(s) != len(tc.statuses) || (len(s) > 0 && s[0] != tc.statuses[0]) {
				t.Errorf("line statuses %v, want %v", s, tc.statuses)
			}
			if r.reimbursement(tc.invisible, domain.CollTripLogs, tc.source) != nil {
				t.Error("a teammate pulls it")
			}
			if r.reimbursement(r.leaderA, domain.CollTripLogs, tc.source) == nil {
				t.Error("the leader does not pull it")
			}
			if r.reimbursement(r.leaderB, domain.CollTripLogs, tc.source) != nil {
				t.Error("another team's leader pulls it")
			}
		})
	}

	t.Run("approval pays the held taxi; a rerun writes nothing", func(t *testing.T) {
		before := r.reimbursement(r.tech1, domain.CollTripLogs, rail)
		res := r.push(r.leaderA, domain.CollTripLogs, taxi, 1, map[string]any{"transportApproved": true}, r.clock.Now())
		if res.Status != sync.StatusApplied {
			t.Fatalf("approval: %+v", res)
		}
		r.runAt(w, at(2026, 3, 9, 11, 0))
		r.runAt(w, at(2026, 3, 9, 11, 5))
		got := r.reimbursement(r.tech1, domain.CollTripLogs, taxi)
		if num(t, got["paidFen"]) != 3500 || num(t, got["heldFen"]) != 0 {
			t.Errorf("after approval: %v", got)
		}
		if after := r.reimbursement(r.tech1, domain.CollTripLogs, rail); num(t, after["version"]) != num(t, before["version"]) {
			t.Errorf("an unchanged reimbursement was rewritten: version %v → %v", before["version"], after["version"])
		}
	})

	t.Run("deleting the first claim pays the second; a deleted trip is void", func(t *testing.T) {
		del := func(p domain.Principal, collection, id string, base int64) {
			t.Helper()
			res, err := r.engine.Push(context.Background(), p, "127.0.0.1", []sync.Mutation{{MutationID: uuid.NewString(),
				Collection: collection, ID: id, Op: sync.OpDelete, BaseVersion: base}})
			if err != nil || res[0].Status != sync.StatusApplied {
				t.Fatalf("delete %s: %v %+v", collection, err, res)
			}
		}
		del(r.tech1, domain.CollReceipts, ticket, 1)
		del(r.tech1, domain.CollTripLogs, taxi, 2)
		r.runAt(w, at(2026, 3, 9, 12, 0))
		if got := r.reimbursement(r.tech2, domain.CollTripLogs, other); num(t, got["paidFen"]) != 12000 {
			t.Errorf("the remaining claim: %v", got)
		}
		if got := r.reimbursement(r.tech1, domain.CollTripLogs, taxi); got["void"] != true || num(t, got["paidFen"]) != 0 {
			t.Errorf("the deleted trip's reimbursement: %v", got)
		}
	})
}
