package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Decision is one reviewer's decision on a purchase request; the zero value is "not decided".
type Decision string

// The decisions.
const (
	DecisionApproved Decision = "approved"
	DecisionRejected Decision = "rejected"
)

// PurchaseStatus is where a purchase request stands in its approval chain (R14). The server
// derives it (PurchaseRequest.Progress); nobody writes it.
type PurchaseStatus string

// The states of a purchase request. Below the threshold: draft → pending_leader → payable. At or
// above it: draft → pending_leader → pending_purchasing → pending_gm → pending_signoff → payable.
// Any pending step may end in rejected; the author then edits and resubmits.
const (
	PurchaseDraft             PurchaseStatus = "draft"              // not submitted by its author
	PurchasePendingLeader     PurchaseStatus = "pending_leader"     // the leader approves (and so submits it on)
	PurchasePendingPurchasing PurchaseStatus = "pending_purchasing" // 采购部 approves
	PurchasePendingGM         PurchaseStatus = "pending_gm"         // 总经办 approves
	PurchasePendingSignoff    PurchaseStatus = "pending_signoff"    // 采购部 signs before payment
	PurchasePayable           PurchaseStatus = "payable"            // approved: paid at its receipts; locked
	PurchaseRejected          PurchaseStatus = "rejected"           // a reviewer rejected it, with a reason
)

// Locked reports whether a request in state s refuses every edit from a device: payable ones.
func (s PurchaseStatus) Locked() bool { return s == PurchasePayable }

// Pending reports whether a request in state s waits for a reviewer.
func (s PurchaseStatus) Pending() bool {
	switch s {
	case PurchasePendingLeader, PurchasePendingPurchasing, PurchasePendingGM, PurchasePendingSignoff:
		return true
	}
	return false
}

// PurchaseItem is one line item: Qty pieces at UnitPriceFen each.
type PurchaseItem struct {
	Name         string
	Qty          int64
	UnitPriceFen int64
	Note         string
}

// TotalFen returns the line's value in fen (qty × unit price): what R14's threshold is compared
// with ("500 CNY per line item").
func (i PurchaseItem) TotalFen() int64 { return i.Qty * i.UnitPriceFen }

// PurchaseRequest is a 配件辅料采购申请 (SPEC.md 7). The author fills in the items and submits
// (Submitted); the reviewers write their decisions and notes; its receipts name it
// (Receipt.PurchaseRequestID). ID, Owner and Team come from the synced record. Status,
// WaitingFor, WaitingSince (when it started waiting for WaitingFor) and SubmittedAt are derived
// by the server (ApplyPurchaseWrite).
type PurchaseRequest struct {
	ID, Owner, Team string
	WorkOrderID     string
	Items           []PurchaseItem
	Reason          string
	Photos          []string
	Submitted       bool
	Note            string

	LeaderDecision      Decision
	LeaderNote          string
	PurchasingDecision  Decision
	PurchasingNote      string
	PurchasingSignedOff bool
	GMDecision          Decision
	GMNote              string

	Status       PurchaseStatus
	WaitingFor   []Role
	WaitingSince time.Time
	SubmittedAt  time.Time
}

// NewPurchaseRequest returns pr once its invariants hold. Always: items with a name, 1..MaxQty
// pieces and 0..MaxFen fen each; decisions approved, rejected or empty; photos SHA-256 hex; a
// work order reference that can be a record id. Once Submitted also: at least one item and a
// reason. Errors: a *Error with code invalid whose Fields map JSON names ("items[0].qty") to
// FieldMessage texts.
func NewPurchaseRequest(pr PurchaseRequest) (PurchaseRequest, error) {
	bad := fieldErrors{}
	checkRef(bad, "workOrderId", pr.WorkOrderID)
	for i, it := range pr.Items {
		checkLine(bad, fmt.Sprintf("items[%d]", i), it.Name, it.Qty, it.UnitPriceFen, "unitPriceFen")
	}
	checkPhotos(bad, "photos", pr.Photos)
	for field, d := range map[string]Decision{"leaderDecision": pr.LeaderDecision,
		"purchasingDecision": pr.PurchasingDecision, "gmDecision": pr.GMDecision} {
		if d != "" && d != DecisionApproved && d != DecisionRejected {
			bad.add(field, "oneof", "必须是 approved 或 rejected", "must be approved or rejected")
		}
	}
	if pr.Submitted {
		if len(pr.Items) == 0 {
			bad.add("items", "min", "提交前至少一项", "must list at least one item before submitting")
		}
		if strings.TrimSpace(pr.Reason) == "" {
			bad.add("reason", "required", "提交前必填", "required before submitting")
		}
	}
	if err := bad.err("invalid purchase request"); err != nil {
		return PurchaseRequest{}, err
	}
	return pr, nil
}

// TotalFen returns the value of every line, in fen.
func (pr PurchaseRequest) TotalFen() int64 {
	var sum int64
	for _, it := range pr.Items {
		sum += it.TotalFen()
	}
	return sum
}

// FullChain reports whether the request needs the full approval chain under p (R14): a line of
// PurchaseThresholdFen or more (exactly 500.00 CNY included: the SPEC reads 以上 as inclusive).
func (pr PurchaseRequest) FullChain(p Policy) bool {
	return slices.ContainsFunc(pr.Items, func(it PurchaseItem) bool { return it.TotalFen() >= p.PurchaseThresholdFen })
}

// Progress returns the request's state under p and the roles it waits for (R14): draft until
// submitted; rejected once any reviewer rejected it; otherwise the first step without a decision
// (the leader; then, for the full chain, purchasing, the gm, purchasing's sign-off); payable
// after the last.
func (pr PurchaseRequest) Progress(p Policy) (PurchaseStatus, []Role) {
	switch {
	case !pr.Submitted:
		return PurchaseDraft, nil
	case pr.LeaderDecision == DecisionRejected || pr.PurchasingDecision == DecisionRejected || pr.GMDecision == DecisionRejected:
		return PurchaseRejected, nil
	case pr.LeaderDecision == "":
		return PurchasePendingLeader, []Role{RoleLeader}
	case !pr.FullChain(p):
		return PurchasePayable, nil
	case pr.PurchasingDecision == "":
		return PurchasePendingPurchasing, []Role{RolePurchasing}
	case pr.GMDecision == "":
		return PurchasePendingGM, []Role{RoleGM}
	case !pr.PurchasingSignedOff:
		return PurchasePendingSignoff, []Role{RolePurchasing}
	}
	return PurchasePayable, nil
}

// PolicyDate is the civil date whose policy governs the request's route: the day it was
// submitted, or the day of now while it is not.
func (pr PurchaseRequest) PolicyDate(now time.Time) Date {
	if pr.SubmittedAt.IsZero() {
		return DateOf(now)
	}
	return DateOf(pr.SubmittedAt)
}

// ApplyPurchaseWrite decides one write of a purchase request by a principal of role at server
// time now, under policyAt (the policy in force on a date): cur is the stored request (nil when
// new or deleted), next the request after the merge. It returns next with Status, WaitingFor,
// WaitingSince and SubmittedAt derived. The rules (R14):
//   - the author edits a draft or a rejected request; editing a rejected one, or withdrawing a
//     pending one (submitted false), clears every decision, so that it goes through the chain
//     again; any other edit of a pending request is a conflict ("under_review");
//   - each reviewer decides only while the request waits for them ("not_waiting", conflict):
//     the leader at pending_leader, purchasing at pending_purchasing (and may still reject at
//     pending_signoff), the gm at pending_gm; purchasing signs off (purchasingSignedOff true)
//     at pending_signoff only; a decision, once made, stands; rejecting needs the reviewer's
//     note ("required", invalid);
//   - a payable request is locked (conflict "locked").
//
// Errors: *Error values as above; forbidden when a role writes what is not its part.
func ApplyPurchaseWrite(policyAt func(Date) Policy, role Role, cur *PurchaseRequest, next PurchaseRequest, now time.Time) (PurchaseRequest, error) {
	var was PurchaseRequest
	from := PurchaseDraft
	if cur != nil {
		was = *cur
		from, _ = was.Progress(policyAt(was.PolicyDate(now)))
	}
	if from.Locked() {
		return next, &Error{Code: CodeConflict, Message: "purchase request is payable",
			Fields: map[string]string{"status": FieldMessage("locked", "已批准，不能修改", "payable requests are locked")}}
	}
	dataChanged := !samePurchaseData(was, next)
	switch role {
	case RoleTechnician:
		if !sameDecisions(was, next) {
			return next, Errorf(CodeForbidden, "a technician may not decide purchase requests")
		}
		switch {
		case !dataChanged || from == PurchaseDraft:
		case from == PurchaseRejected || !next.Submitted:
			next = clearDecisions(next)
		default:
			return next, &Error{Code: CodeConflict, Message: "purchase request is under review",
				Fields: map[string]string{"items": FieldMessage("under_review", "审批中；先撤回 (submitted false) 再修改",
					"the request is under review; withdraw it (submitted false) to edit it")}}
		}
		switch {
		case !next.Submitted:
			next.SubmittedAt = time.Time{}
		case !was.Submitted || (from == PurchaseRejected && dataChanged):
			next.SubmittedAt = now
		}
	case RoleLeader, RolePurchasing, RoleGM:
		if dataChanged {
			return next, Errorf(CodeForbidden, "a %s reviews purchase requests, never edits them", roleName(role))
		}
		if err := checkDecisions(role, from, was, next); err != nil {
			return next, err
		}
	default:
		return next, Errorf(CodeForbidden, "a %s may not write purchase requests", roleName(role))
	}
	next.Status, next.WaitingFor = next.Progress(policyAt(next.PolicyDate(now)))
	switch {
	case !next.Status.Pending():
		next.WaitingSince = time.Time{}
	case cur == nil || next.Status != from:
		next.WaitingSince = now
	}
	return next, nil
}

// checkDecisions checks each decision that changed from was to next against the step the
// request was at (from).
func checkDecisions(role Role, from PurchaseStatus, was, next PurchaseRequest) error {
	steps := []struct {
		field, noteField string
		by               Role
		was, next        Decision
		note             string
		at               []PurchaseStatus // where this decision may be made
	}{
		{"leaderDecision", "leaderNote", RoleLeader, was.LeaderDecision, next.LeaderDecision, next.LeaderNote,
			[]PurchaseStatus{PurchasePendingLeader}},
		{"purchasingDecision", "purchasingNote", RolePurchasing, was.PurchasingDecision, next.PurchasingDecision,
			next.PurchasingNote, []PurchaseStatus{PurchasePendingPurchasing}},
		{"gmDecision", "gmNote", RoleGM, was.GMDecision, next.GMDecision, next.GMNote, []PurchaseStatus{PurchasePendingGM}},
	}
	if from == PurchasePendingSignoff && next.PurchasingDecision == DecisionRejected {
		steps[1].at = append(steps[1].at, PurchasePendingSignoff) // refusing to sign is a rejection
	}
	for _, s := range steps {
		if s.was == s.next {
			continue
		}
		if s.by != role {
			return Errorf(CodeForbidden, "a %s may not write %s", roleName(role), s.field)
		}
		if !slices.Contains(s.at, from) || s.next == "" {
			return notWaiting(s.field, from, role)
		}
		if s.next == DecisionRejected && strings.TrimSpace(s.note) == "" {
			return Invalid("a rejection needs a reason", map[string]string{
				s.noteField: FieldMessage("required", "驳回须填写原因", "a rejection needs a reason")})
		}
	}
	if was.PurchasingSignedOff != next.PurchasingSignedOff {
		switch {
		case role != RolePurchasing:
			return Errorf(CodeForbidden, "a %s may not sign off purchase requests", roleName(role))
		case from != PurchasePendingSignoff || !next.PurchasingSignedOff || next.PurchasingDecision != DecisionApproved:
			return notWaiting("purchasingSignedOff", from, role)
		}
	}
	return nil
}

func notWaiting(field string, from PurchaseStatus, role Role) error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf("purchase request is %s", from), Fields: map[string]string{
		field: FieldMessage("not_waiting", fmt.Sprintf("申请当前为 %s，不等待 %s 的这一步", from, roleName(role)),
			fmt.Sprintf("the request is %s: this step is not the %s's now", from, roleName(role)))}}
}

func clearDecisions(pr PurchaseRequest) PurchaseRequest {
	pr.LeaderDecision, pr.PurchasingDecision, pr.GMDecision, pr.PurchasingSignedOff = "", "", "", false
	return pr
}

// samePurchaseData reports whether a and b hold the same author-written data (Submitted included).
func samePurchaseData(a, b PurchaseRequest) bool {
	return a.WorkOrderID == b.WorkOrderID && slices.Equal(a.Items, b.Items) && a.Reason == b.Reason &&
		slices.Equal(a.Photos, b.Photos) && a.Submitted == b.Submitted && a.Note == b.Note
}

// sameDecisions reports whether a and b hold the same decisions, sign-off and notes.
func sameDecisions(a, b PurchaseRequest) bool {
	return a.LeaderDecision == b.LeaderDecision && a.LeaderNote == b.LeaderNote &&
		a.PurchasingDecision == b.PurchasingDecision && a.PurchasingNote == b.PurchasingNote &&
		a.PurchasingSignedOff == b.PurchasingSignedOff && a.GMDecision == b.GMDecision && a.GMNote == b.GMNote
}
