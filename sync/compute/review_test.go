package compute_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// TestReviewQueue: what waits for the leader, purchasing and the gm, oldest first, before and
// after their reviews.
func TestReviewQueue(t *testing.T) {
	r := moneyRig(t)
	ctx := context.Background()
	reviews := compute.NewReviews(r.records, r.policies)
	buyer := r.user("buyer", domain.RolePurchasing, "", domain.User{})
	r.clock.Set(at(2026, 3, 9, 9, 0))
	form, taxi, big, dup := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	r.mustApply(r.tech1, domain.CollServiceForms, form, map[string]any{"extraWork": true, "extraWorkReason": "客户临时报修",
		"arrivedAt": "2026-03-09T08:00:00+08:00", "departedAt": "2026-03-09T08:40:00+08:00", "faultCause": "保险丝",
		"workDone": "更换保险丝", "outcome": "completed", "signaturePhoto": photoOf("sig"), "status": "submitted"})
	r.clock.Set(at(2026, 3, 9, 9, 10))
	r.mustApply(r.tech1, domain.CollTripLogs, taxi, map[string]any{"purpose": "送件", "destinationCity": "郑州市",
		"startAt": "2026-03-09T13:00:00+08:00", "endAt": "2026-03-09T15:00:00+08:00",
		"people": []any{r.tech1.UserID}, "transportMode": "taxi", "submitted": true})
	r.clock.Set(at(2026, 3, 9, 9, 20))
	r.mustApply(r.tech2, domain.CollPurchaseRequests, big, map[string]any{"reason": "压缩机", "submitted": true,
		"items": []any{map[string]any{"name": "压缩机", "qty": 1, "unitPriceFen": 50000}}})
	r.clock.Set(at(2026, 3, 9, 9, 30))
	r.mustApply(r.tech1, domain.CollReceipts, uuid.NewString(), map[string]any{"photo": photoOf("r"), "amountFen": 500,
		"date": "2026-03-09", "category": "taxi", "tripLogId": taxi})
	r.clock.Set(at(2026, 3, 9, 9, 40))
	r.mustApply(r.tech2, domain.CollReceipts, dup, map[string]any{"photo": photoOf("r"), "amountFen": 500,
		"date": "2026-03-09", "category": "parts", "purchaseRequestId": big})
	// Two of tech1's devices edit the trip's note from the same version: the second is a conflict.
	r.clock.Set(at(2026, 3, 9, 9, 50))
	phone2 := r.tech1
	phone2.DeviceID = "tablet"
	r.push(r.tech1, domain.CollTripLogs, taxi, 1, map[string]any{"note": "a"}, r.clock.Now())
	if res := r.push(phone2, domain.CollTripLogs, taxi, 1, map[string]any{"note": "b"}, r.clock.Now()); res.Status == sync.StatusApplied && len(res.Conflicts) == 0 {
		t.Fatalf("no conflict: %+v", res)
	}

	queue := func(p domain.Principal) compute.ReviewQueue {
		t.Helper()
		q, err := reviews.Queue(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := queue(r.leaderA)
	want := map[string]int{compute.ReviewServiceForm: 1, compute.ReviewTripApproval: 1, compute.ReviewPurchase: 1,
		compute.ReviewDuplicate: 1, compute.ReviewConflict: 1}
	for k, n := range want {
		if q.Counts[k] != n {
			t.Errorf("count of %s = %d, want %d (%+v)", k, q.Counts[k], n, q.Counts)
		}
	}
	kinds := []string{}
	for _, it := range q.Items {
		kinds = append(kinds, it.Kind)
	}
	order := []string{compute.ReviewServiceForm, compute.ReviewTripApproval, compute.ReviewPurchase,
		compute.ReviewDuplicate, compute.ReviewConflict}
	if len(kinds) != len(order) {
		t.Fatalf("items %v", kinds)
	}
	for i := range order {
		if kinds[i] != order[i] {
			t.Errorf("items oldest first: %v, want %v", kinds, order)
			break
		}
	}
	if q := queue(r.leaderB); len(q.Items) != 0 {
		t.Errorf("another team's leader sees %+v", q.Items)
	}
	if q := queue(buyer); len(q.Items) != 0 || q.Counts[compute.ReviewPurchase] != 0 {
		t.Errorf("purchasing sees a request the leader has not approved: %+v", q)
	}
	if _, err := reviews.Queue(ctx, r.tech1); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a technician's queue: %v", err)
	}

	// The leader reviews everything; the 500.00 CNY request moves on to purchasing.
	r.clock.Set(at(2026, 3, 9, 11, 0))
	for _, m := range []struct {
		collection, id string
		base           int64
		fields         map[string]any
	}{
		{domain.CollServiceForms, form, 1, map[string]any{"status": "approved", "extraWorkApproved": true}},
		{domain.CollTripLogs, taxi, 3, map[string]any{"transportApproved": true, "reviewNote": "看过冲突"}}, // v3: the conflict moved it
		{domain.CollPurchaseRequests, big, 1, map[string]any{"leaderDecision": "approved"}},
		{domain.CollReceipts, dup, 1, map[string]any{"reviewNote": "重复，不报"}},
	} {
		if res := r.push(r.leaderA, m.collection, m.id, m.base, m.fields, r.clock.Now()); res.Status != sync.StatusApplied {
			t.Fatalf("review of %s: %+v %+v", m.collection, res, res.Error)
		}
	}
	if q := queue(r.leaderA); len(q.Items) != 0 {
		t.Errorf("after the reviews the leader still has %+v", q.Items)
	}
	if q := queue(buyer); q.Counts[compute.ReviewPurchase] != 1 || q.Items[0].ID != big {
		t.Errorf("purchasing's queue: %+v", q)
	}
}
