package schema

import (
	"context"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// serviceForm validates a service form write, runs its state machine
// (domain.ApplyServiceFormWrite), checks R17 and R18 when the leader approves it, and stamps
// submittedAt, reviewedBy and reviewedAt.
func (r *rules) serviceForm(ctx context.Context, p domain.Principal, cur, next *sync.Record, now time.Time) error {
	form, err := ServiceFormOf(next, true)
	if err != nil {
		return err
	}
	var was *domain.ServiceForm
	if cur != nil {
		f, _ := ServiceFormOf(cur, false)
		was = &f
	}
	form, err = domain.ApplyServiceFormWrite(p.Role, p.UserID, was, form, now)
	if err != nil {
		return err
	}
	if form.Status == domain.FormApproved && (was == nil || was.Status != domain.FormApproved) {
		if err := r.approvable(ctx, form); err != nil {
			return err
		}
	}
	SetField(next, "submittedAt", stamp(form.SubmittedAt))
	SetField(next, "reviewedBy", text(form.ReviewedBy))
	SetField(next, "reviewedAt", stamp(form.ReviewedAt))
	return nil
}

// approvable loads what R17 and R18 need and asks domain.CheckApprovable.
func (r *rules) approvable(ctx context.Context, form domain.ServiceForm) error {
	var order *domain.WorkOrder
	if !form.ExtraWork && form.WorkOrderID != "" {
		rec, err := r.cfg.Lookup.Record(ctx, domain.CollWorkOrders, form.WorkOrderID)
		if err != nil {
			return err
		}
		if rec != nil {
			o, _ := WorkOrderOf(rec, false)
			order = &o
		}
	}
	var plans []domain.RevisitPlan
	if form.Outcome != domain.OutcomeCompleted {
		recs, err := r.cfg.Lookup.RevisitPlansFor(ctx, form.Team, form.ID)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			plan, _ := RevisitPlanOf(rec, false)
			plans = append(plans, plan)
		}
	}
	return domain.CheckApprovable(form, order, plans)
}

// revisitPlan validates a revisit plan write and stamps reviewedBy and reviewedAt when the
// leader writes a review note.
func revisitPlan(p domain.Principal, cur, next *sync.Record, now time.Time) error {
	plan, err := RevisitPlanOf(next, true)
	if err != nil {
		return err
	}
	if p.Role == domain.RoleLeader {
		var was domain.RevisitPlan
		if cur != nil {
			was, _ = RevisitPlanOf(cur, false)
		}
		if was.ReviewNote != plan.ReviewNote {
			SetField(next, "reviewedBy", p.UserID)
			SetField(next, "reviewedAt", stamp(now))
		}
	}
	return nil
}

// tripLog validates a trip log write, runs domain.ApplyTripWrite (a new transport mode clears
// the leader's decision) and stamps submittedAt, reviewedBy and reviewedAt.
func tripLog(p domain.Principal, cur, next *sync.Record, now time.Time) error {
	trip, err := TripLogOf(next, true)
	if err != nil {
		return err
	}
	var was *domain.TripLog
	if cur != nil {
		t, _ := TripLogOf(cur, false)
		was = &t
	}
	trip, err = domain.ApplyTripWrite(p.Role, p.UserID, was, trip, now)
	if err != nil {
		return err
	}
	var approved any
	if trip.TransportApproved != nil {
		approved = *trip.TransportApproved
	}
	SetField(next, "transportApproved", approved)
	SetField(next, "submittedAt", stamp(trip.SubmittedAt))
	SetField(next, "reviewedBy", text(trip.ReviewedBy))
	SetField(next, "reviewedAt", stamp(trip.ReviewedAt))
	return nil
}

// receipt validates a receipt write and, when its image is new to it, flags it duplicateOf the
// receipt that claimed the image first (R16). The flag is a hint for the leader, set when the
// receipt is written: receipts pushed at the same moment may both miss each other, and a first
// claim deleted later leaves it standing. The reimbursement computation decides from every live
// receipt (domain.FirstClaims), so an image is never paid twice either way.
func (r *rules) receipt(ctx context.Context, cur, next *sync.Record) error {
	rc, err := ReceiptOf(next, true)
	if err != nil {
		return err
	}
	if err := r.ownParent(ctx, next, "tripLogId", domain.CollTripLogs, rc.TripLogID); err != nil {
		return err
	}
	if err := r.ownParent(ctx, next, "purchaseRequestId", domain.CollPurchaseRequests, rc.PurchaseRequestID); err != nil {
		return err
	}
	if cur != nil && cur.Fields["photo"] == rc.Photo {
		return nil
	}
	first, err := r.cfg.Lookup.FirstClaim(ctx, rc.Photo, sync.RecordKey{Collection: next.Collection, ID: next.ID})
	if err != nil {
		return err
	}
	var dup any
	if first != nil && claimedBefore(first, next) {
		// The same shape as the engine's photo stamp (sync.FieldDuplicateOf).
		dup = map[string]any{"collection": first.Collection, "id": first.ID}
	}
	SetField(next, "duplicateOf", dup)
	return nil
}

// ownParent checks that the trip log or purchase request a receipt names (field, id in
// collection) is not somebody else's: a receipt cannot be claimed on another author's trip. A
// parent the server has not received yet passes (offline phones push in any order); the
// reimbursement counts only the parent author's own receipts either way.
func (r *rules) ownParent(ctx context.Context, next *sync.Record, field, collection, id string) error {
	if id == "" {
		return nil
	}
	parent, err := r.cfg.Lookup.Record(ctx, collection, id)
	if err != nil {
		return err
	}
	if parent != nil && parent.Owner != next.Owner {
		return domain.Invalid("invalid receipt", map[string]string{field: domain.FieldMessage("not_yours",
			"只能关联本人的出差登记或采购申请", "must name a trip log or purchase request of the receipt's own author")})
	}
	return nil
}

// purchaseRequest validates a purchase request write, runs its approval chain
// (domain.ApplyPurchaseWrite, R14) and writes what it derives: cleared decisions, status,
// waitingFor (which drives who sees it), waitingSince, totalFen and submittedAt.
func (r *rules) purchaseRequest(p domain.Principal, cur, next *sync.Record, now time.Time) error {
	pr, err := PurchaseRequestOf(next, true)
	if err != nil {
		return err
	}
	var was *domain.PurchaseRequest
	if cur != nil {
		w, _ := PurchaseRequestOf(cur, false)
		was = &w
	}
	pr, err = domain.ApplyPurchaseWrite(r.cfg.Policy, p.Role, was, pr, now)
	if err != nil {
		return err
	}
	SetField(next, "leaderDecision", text(pr.LeaderDecision))
	SetField(next, "purchasingDecision", text(pr.PurchasingDecision))
	SetField(next, "gmDecision", text(pr.GMDecision))
	var signed any
	if pr.PurchasingSignedOff {
		signed = true
	}
	SetField(next, "purchasingSignedOff", signed)
	SetField(next, "status", string(pr.Status))
	var waiting any
	if len(pr.WaitingFor) > 0 {
		roles := make([]any, len(pr.WaitingFor))
		for i, role := range pr.WaitingFor {
			roles[i] = string(role)
		}
		waiting = roles
	}
	SetField(next, "waitingFor", waiting)
	SetField(next, "waitingSince", stamp(pr.WaitingSince))
	SetField(next, "totalFen", pr.TotalFen())
	SetField(next, "submittedAt", stamp(pr.SubmittedAt))
	return nil
}
