package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits that keep money arithmetic exact: MaxFen (100 million CNY) bounds one amount or unit
// price and MaxQty one quantity, so that a line (qty × unit price) and a sum of a few thousand
// lines fit an int64 with room to spare.
const (
	MaxFen = 10_000_000_000
	MaxQty = 100_000
)

// Outcome is how a visit ended (SPEC.md 2).
type Outcome string

// The outcomes of a service form.
const (
	OutcomeCompleted  Outcome = "completed"  // fixed on site
	OutcomeIncomplete Outcome = "incomplete" // another visit is needed (R17: a revisit plan)
	OutcomeTakenBack  Outcome = "taken_back" // the product was taken back for repair (客户商品领取收据)
)

// Outcomes lists every outcome, in the order above.
var Outcomes = []Outcome{OutcomeCompleted, OutcomeIncomplete, OutcomeTakenBack}

// FormStatus is the life-cycle state of a service form; the zero value reads as FormDraft.
type FormStatus string

// The states of a service form: draft → submitted → approved | rejected → (edit) → submitted.
const (
	FormDraft     FormStatus = "draft"     // the author is writing it (may be incomplete)
	FormSubmitted FormStatus = "submitted" // complete, waiting for the leader
	FormApproved  FormStatus = "approved"  // accepted by the leader: locked
	FormRejected  FormStatus = "rejected"  // sent back with a reason; the author edits and resubmits
)

// FormStatuses lists every state, in the order above.
var FormStatuses = []FormStatus{FormDraft, FormSubmitted, FormApproved, FormRejected}

// orDraft reads the empty status as draft.
func (s FormStatus) orDraft() FormStatus {
	if s == "" {
		return FormDraft
	}
	return s
}

// Complete reports whether a form in state s must be complete: submitted and approved forms
// (drafts are saved offline half-written; a rejected form is being corrected).
func (s FormStatus) Complete() bool { return s == FormSubmitted || s == FormApproved }

// Locked reports whether a form in state s refuses every edit from a device: approved forms.
func (s FormStatus) Locked() bool { return s == FormApproved }

// Part is one line of the parts used on a visit: Qty pieces at UnitPriceFen each.
type Part struct {
	Name         string
	Qty          int64
	UnitPriceFen int64
}

// ServiceForm is a 售后服务单 (SPEC.md 2), filled in by the technician after a visit. ID, Owner
// (the author), Team come from the synced record. Times are instants (zero: not set); money is
// fen; photos are SHA-256 hex. Satisfaction is 1..5 (5 best, 0: not given). ExtraWork marks work
// that no work order assigned (R18); the leader sets ExtraWorkApproved. SubmittedAt, ReviewedBy
// and ReviewedAt are stamped by the server.
type ServiceForm struct {
	ID, Owner, Team   string
	WorkOrderID       string
	ArrivedAt         time.Time
	DepartedAt        time.Time
	FaultCause        string
	WorkDone          string
	Parts             []Part
	FeeCollectedFen   int64
	Outcome           Outcome
	TakeBackReceiptNo string
	SignaturePhoto    string
	Photos            []string
	Satisfaction      int
	ExtraWork         bool
	ExtraWorkReason   string
	Note              string

	Status            FormStatus
	ReviewNote        string
	ExtraWorkApproved bool
	SubmittedAt       time.Time
	ReviewedBy        string
	ReviewedAt        time.Time
}

// NewServiceForm returns f, an empty status read as draft, once its invariants hold. Always:
// known status and outcome; parts with a name, 1..MaxQty pieces and 0..MaxFen fen each; fee
// 0..MaxFen; satisfaction 0..5; departure after arrival; photos and signature SHA-256 hex; a
// work order reference that can be a record id. From submitted on (FormStatus.Complete) also:
// arrival, departure, fault cause, work done, outcome and the customer's signature; a work order
// unless it is extra work, and then a reason; the 客户商品领取收据 number when the outcome is
// taken_back. Errors: a *Error with code invalid whose Fields map JSON names ("parts[0].qty")
// to FieldMessage texts.
func NewServiceForm(f ServiceForm) (ServiceForm, error) {
	f.Status = f.Status.orDraft()
	bad := fieldErrors{}
	if !slices.Contains(FormStatuses, f.Status) {
		bad.add("status", "oneof", "必须是 draft、submitted、approved 或 rejected",
			"must be one of draft, submitted, approved, rejected")
	}
	if f.Outcome != "" && !slices.Contains(Outcomes, f.Outcome) {
		bad.add("outcome", "oneof", "必须是 completed、incomplete 或 taken_back",
			"must be one of completed, incomplete, taken_back")
	}
	checkRef(bad, "workOrderId", f.WorkOrderID)
	for i, p := range f.Parts {
		checkLine(bad, fmt.Sprintf("parts[%d]", i), p.Name, p.Qty, p.UnitPriceFen, "unitPriceFen")
	}
	checkFen(bad, "feeCollectedFen", f.FeeCollectedFen)
	if f.Satisfaction < 0 || f.Satisfaction > 5 {
		bad.add("satisfaction", "max", "必须在 1 到 5 之间", "must be between 1 and 5")
	}
	if !f.ArrivedAt.IsZero() && !f.DepartedAt.IsZero() && !f.DepartedAt.After(f.ArrivedAt) {
		bad.add("departedAt", "after", "必须晚于到达时间", "must be after arrivedAt")
	}
	checkPhoto(bad, "signaturePhoto", f.SignaturePhoto)
	checkPhotos(bad, "photos", f.Photos)
	if f.Status.Complete() {
		required := map[string]bool{"arrivedAt": f.ArrivedAt.IsZero(), "departedAt": f.DepartedAt.IsZero(),
			"faultCause": f.FaultCause == "", "workDone": f.WorkDone == "", "outcome": f.Outcome == "",
			"signaturePhoto": f.SignaturePhoto == "", "workOrderId": f.WorkOrderID == "" && !f.ExtraWork,
			"extraWorkReason":   f.ExtraWork && f.ExtraWorkReason == "",
			"takeBackReceiptNo": f.Outcome == OutcomeTakenBack && f.TakeBackReceiptNo == ""}
		for field, missing := range required {
			if missing {
				bad.add(field, "required", "提交前必填", "required before submitting")
			}
		}
	}
	if err := bad.err("invalid service form"); err != nil {
		return ServiceForm{}, err
	}
	return f, nil
}

// PartsFen returns the value of the parts used, in fen.
func (f ServiceForm) PartsFen() int64 {
	var sum int64
	for _, p := range f.Parts {
		sum += p.Qty * p.UnitPriceFen
	}
	return sum
}

// formTransitions is the service form's state machine: who may move a form from which state to
// which. The author is the technician who owns the form (the grant table lets technicians write
// their own forms only); the reviewer is the team's leader.
var formTransitions = []struct {
	by       Role
	from, to FormStatus
}{
	{RoleTechnician, FormDraft, FormSubmitted},    // submit
	{RoleTechnician, FormRejected, FormSubmitted}, // resubmit after corrections
	{RoleTechnician, FormSubmitted, FormDraft},    // withdraw, to correct it before the review
	{RoleLeader, FormSubmitted, FormApproved},     // approve (R17, R18 first: CheckApprovable)
	{RoleLeader, FormSubmitted, FormRejected},     // reject, with a reason
}

// CheckFormTransition returns nil when role may move a service form from one state to another
// (the same state is no transition and always passes). Errors: a *Error whose Fields name
// "status" with code "transition": forbidden when the move exists for another role (a
// technician approving), conflict when nobody may make it from this state (approving a form that
// was withdrawn meanwhile).
func CheckFormTransition(role Role, from, to FormStatus) error {
	from, to = from.orDraft(), to.orDraft()
	if from == to {
		return nil
	}
	code := CodeConflict
	for _, t := range formTransitions {
		if t.from == from && t.to == to {
			if t.by == role {
				return nil
			}
			code = CodeForbidden
		}
	}
	msg := FieldMessage("transition", fmt.Sprintf("%s 不能把服务单由 %s 改为 %s", roleName(role), from, to),
		fmt.Sprintf("a %s may not move a service form from %s to %s", roleName(role), from, to))
	return &Error{Code: code, Message: fmt.Sprintf("service form is %s", from), Fields: map[string]string{"status": msg}}
}

// ApplyServiceFormWrite decides one write of a service form by a principal of role with user id
// by, at server time now: cur is the stored form (nil when new or deleted), next the form after
// the merge. It returns next with the server's stamps: SubmittedAt when it becomes submitted (zero
// while a draft), ReviewedBy and ReviewedAt when the leader changes a review field. The author edits the data of
// a draft or rejected form (and may withdraw a submitted one to draft); the leader writes review
// fields only, and a rejection needs a reason (ReviewNote). Approval rules that need other
// records (R17, R18) are CheckApprovable's. Errors: CheckFormTransition's; conflict
// ("under_review") for an edit of a form waiting for review, or ("locked") of an approved one;
// invalid for a rejection without a reason; forbidden for any other role.
func ApplyServiceFormWrite(role Role, by string, cur *ServiceForm, next ServiceForm, now time.Time) (ServiceForm, error) {
	from := FormDraft
	var was ServiceForm
	if cur != nil {
		was, from = *cur, cur.Status.orDraft()
	}
	to := next.Status.orDraft()
	if from.Locked() {
		return next, &Error{Code: CodeConflict, Message: "service form is approved",
			Fields: map[string]string{"status": FieldMessage("locked", "已审核通过，不能修改", "approved forms are locked")}}
	}
	if err := CheckFormTransition(role, from, to); err != nil {
		return next, err
	}
	dataChanged := !sameFormData(was, next)
	switch role {
	case RoleTechnician:
		if dataChanged && from == FormSubmitted && to == FormSubmitted {
			return next, &Error{Code: CodeConflict, Message: "service form is waiting for review",
				Fields: map[string]string{"status": FieldMessage("under_review", "已提交待审核；先撤回 (status draft) 再修改",
					"the form waits for review; withdraw it (status draft) to edit it")}}
		}
	case RoleLeader:
		if dataChanged {
			return next, Errorf(CodeForbidden, "a leader reviews service forms, never edits them")
		}
		if to == FormRejected && from != FormRejected && strings.TrimSpace(next.ReviewNote) == "" {
			return next, Invalid("a rejection needs a reason", map[string]string{
				"reviewNote": FieldMessage("required", "驳回须填写原因", "a rejection needs a reason")})
		}
		if from != to || was.ReviewNote != next.ReviewNote || was.ExtraWorkApproved != next.ExtraWorkApproved {
			next.ReviewedBy, next.ReviewedAt = by, now
		}
	default:
		return next, Errorf(CodeForbidden, "a %s may not write service forms", roleName(role))
	}
	switch {
	case to == FormSubmitted && from != FormSubmitted:
		next.SubmittedAt = now
	case to == FormDraft:
		next.SubmittedAt = time.Time{} // withdrawn: it waits for nobody
	}
	return next, nil
}

// sameFormData reports whether a and b hold the same author-written data (everything but the
// status, the review fields and the server's stamps).
func sameFormData(a, b ServiceForm) bool {
	return a.WorkOrderID == b.WorkOrderID && a.ArrivedAt.Equal(b.ArrivedAt) && a.DepartedAt.Equal(b.DepartedAt) &&
		a.FaultCause == b.FaultCause && a.WorkDone == b.WorkDone && slices.Equal(a.Parts, b.Parts) &&
		a.FeeCollectedFen == b.FeeCollectedFen && a.Outcome == b.Outcome && a.TakeBackReceiptNo == b.TakeBackReceiptNo &&
		a.SignaturePhoto == b.SignaturePhoto && slices.Equal(a.Photos, b.Photos) && a.Satisfaction == b.Satisfaction &&
		a.ExtraWork == b.ExtraWork && a.ExtraWorkReason == b.ExtraWorkReason && a.Note == b.Note
}

// CheckApprovable returns nil when form f may be approved as far as other records go:
//   - R17: a form whose outcome is not completed needs a complete revisit plan (RevisitPlan.
//     Complete) among plans that refers to it;
//   - R18: a form refers to order, a work order of its team assigned to its author, or is marked
//     extra work and the leader approved the extra work (ExtraWorkApproved).
//
// order is the work order f.WorkOrderID names (nil when it does not exist or is deleted); plans
// are the live revisit plans that refer to f. Errors: a *Error with code invalid naming
// "outcome" ("revisit_plan"), "workOrderId" ("work_order") or "extraWorkApproved" ("extra_work").
func CheckApprovable(f ServiceForm, order *WorkOrder, plans []RevisitPlan) error {
	bad := fieldErrors{}
	if f.Outcome != OutcomeCompleted {
		complete := slices.ContainsFunc(plans, func(p RevisitPlan) bool { return p.ServiceFormID == f.ID && p.Complete() })
		if !complete {
			bad.add("outcome", "revisit_plan", "未完成的服务单须有完整的下次售后计划 (时间、人员、工具、采购计划)",
				"a form that is not completed needs a complete revisit plan (time, people, tools, purchase plan) before approval (R17)")
		}
	}
	switch {
	case f.ExtraWork:
		if !f.ExtraWorkApproved {
			bad.add("extraWorkApproved", "extra_work", "额外工作须先经组长同意",
				"extra work needs the leader's approval (R18)")
		}
	case order == nil || order.ID != f.WorkOrderID || order.Team != f.Team:
		bad.add("workOrderId", "work_order", "派工单不存在", "the work order does not exist in this team (R18)")
	case !order.AssignedTo(f.Owner):
		bad.add("workOrderId", "work_order", "派工单未派给本服务单的填写人",
			"the work order is not assigned to the form's author; mark it as extra work (R18)")
	}
	return bad.err("the service form cannot be approved yet")
}

// checkLine checks one priced line (a part, a purchase item): a name, 1..MaxQty pieces and a
// price of 0..MaxFen fen, under key ("parts[0]") with priceField naming the price.
func checkLine(bad fieldErrors, key, name string, qty, priceFen int64, priceField string) {
	if name == "" {
		bad.add(key+".name", "required", "必填", "required")
	}
	switch {
	case qty <= 0:
		bad.add(key+".qty", "min", "必须大于 0", "must be greater than 0")
	case qty > MaxQty:
		bad.add(key+".qty", "max", fmt.Sprintf("不能超过 %d", MaxQty), fmt.Sprintf("must be at most %d", MaxQty))
	}
	checkFen(bad, key+"."+priceField, priceFen)
}

// checkFen checks an amount of money: 0..MaxFen fen.
func checkFen(bad fieldErrors, field string, fen int64) {
	switch {
	case fen < 0:
		bad.add(field, "min", "不能为负数", "must be 0 or more")
	case fen > MaxFen:
		bad.add(field, "max", fmt.Sprintf("不能超过 %d 分", int64(MaxFen)), fmt.Sprintf("must be at most %d fen", int64(MaxFen)))
	}
}
