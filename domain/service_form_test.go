package domain

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// Fixtures of the records tests (work_order, service_form, revisit_plan, trip_log, receipt,
// purchase_request, reimbursement, petty_cash).
const (
	recTech   = "11111111-1111-4111-8111-111111111111"
	recTech2  = "22222222-2222-4222-8222-222222222222"
	recLeader = "33333333-3333-4333-8333-333333333333"
	recTeam   = "44444444-4444-4444-8444-444444444444"
	recPhoto  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	recPhoto2 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

// recAt is an instant in Asia/Shanghai.
func recAt(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, Shanghai)
}

// recFields returns the per-field codes of err ("parts[0].qty" → "min"), nil for nil.
func recFields(err error) map[string]string {
	if err == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range ErrorFields(err) {
		out[k] = FieldCode(v)
	}
	return out
}

// recWantFields fails unless err has code and exactly the fields want (field → code).
func recWantFields(t *testing.T, err error, code Code, want map[string]string) {
	t.Helper()
	if len(want) == 0 && code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v (%v)", err, ErrorFields(err))
		}
		return
	}
	if ErrorCode(err) != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	if got := recFields(err); want != nil && !maps.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
}

// recForm is a complete, submitted service form of recTech for work order wo-1.
func recForm() ServiceForm {
	return ServiceForm{ID: "form-1", Owner: recTech, Team: recTeam, WorkOrderID: "wo-1",
		ArrivedAt: recAt(2026, 11, 2, 9, 0), DepartedAt: recAt(2026, 11, 2, 11, 30),
		FaultCause: "缺氟", WorkDone: "加氟", Parts: []Part{{Name: "冷媒", Qty: 1, UnitPriceFen: 12000}},
		Outcome: OutcomeCompleted, SignaturePhoto: recPhoto, Status: FormSubmitted}
}

func TestNewServiceForm(t *testing.T) {
	cases := []struct {
		name   string
		change func(f *ServiceForm)
		want   map[string]string
	}{
		{"a complete submitted form", func(*ServiceForm) {}, nil},
		{"an empty draft", func(f *ServiceForm) { *f = ServiceForm{} }, nil},
		{"a draft may lack everything a submission needs", func(f *ServiceForm) {
			*f = ServiceForm{Status: FormDraft, Outcome: OutcomeTakenBack}
		}, nil},
		{"submitted needs the visit's facts", func(f *ServiceForm) { *f = ServiceForm{Status: FormSubmitted} },
			map[string]string{"arrivedAt": "required", "departedAt": "required", "faultCause": "required",
				"workDone": "required", "outcome": "required", "signaturePhoto": "required", "workOrderId": "required"}},
		{"taken back needs the 客户商品领取收据 number", func(f *ServiceForm) { f.Outcome = OutcomeTakenBack },
			map[string]string{"takeBackReceiptNo": "required"}},
		{"taken back with its receipt number", func(f *ServiceForm) {
			f.Outcome, f.TakeBackReceiptNo = OutcomeTakenBack, "KH-0001"
		}, nil},
		{"extra work needs no work order but a reason", func(f *ServiceForm) { f.WorkOrderID, f.ExtraWork = "", true },
			map[string]string{"extraWorkReason": "required"}},
		{"departure equal to arrival", func(f *ServiceForm) { f.DepartedAt = f.ArrivedAt }, map[string]string{"departedAt": "after"}},
		{"departure before arrival, even in a draft", func(f *ServiceForm) {
			f.Status, f.DepartedAt = FormDraft, f.ArrivedAt.Add(-time.Minute)
		}, map[string]string{"departedAt": "after"}},
		{"a part without pieces", func(f *ServiceForm) { f.Parts = append(f.Parts, Part{Name: "螺丝", Qty: 0}) },
			map[string]string{"parts[1].qty": "min"}},
		{"a part with a negative price", func(f *ServiceForm) { f.Parts[0].UnitPriceFen = -1 },
			map[string]string{"parts[0].unitPriceFen": "min"}},
		{"a nameless part", func(f *ServiceForm) { f.Parts[0].Name = "" }, map[string]string{"parts[0].name": "required"}},
		{"a free part is fine", func(f *ServiceForm) { f.Parts[0].UnitPriceFen = 0 }, nil},
		{"a negative fee", func(f *ServiceForm) { f.FeeCollectedFen = -100 }, map[string]string{"feeCollectedFen": "min"}},
		{"an unknown outcome", func(f *ServiceForm) { f.Outcome = "done" }, map[string]string{"outcome": "oneof"}},
		{"an unknown status", func(f *ServiceForm) { f.Status = "closed" }, map[string]string{"status": "oneof"}},
		{"satisfaction above 5", func(f *ServiceForm) { f.Satisfaction = 6 }, map[string]string{"satisfaction": "max"}},
		{"an upper-case photo hash", func(f *ServiceForm) { f.Photos = []string{strings.ToUpper(recPhoto)} },
			map[string]string{"photos[0]": "sha256"}},
		{"a work order reference with a slash", func(f *ServiceForm) { f.WorkOrderID = "wo/1" },
			map[string]string{"workOrderId": "recordid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := recForm()
			tc.change(&f)
			got, err := NewServiceForm(f)
			if tc.want == nil {
				recWantFields(t, err, "", nil)
				if got.Status == "" {
					t.Errorf("status not defaulted: %+v", got)
				}
				return
			}
			recWantFields(t, err, CodeInvalid, tc.want)
		})
	}
}

func TestCheckFormTransition(t *testing.T) {
	allowed := map[string]bool{
		"technician draft→submitted": true, "technician rejected→submitted": true, "technician submitted→draft": true,
		"leader submitted→approved": true, "leader submitted→rejected": true,
	}
	for _, role := range []Role{RoleTechnician, RoleLeader, RolePurchasing} {
		for _, from := range FormStatuses {
			for _, to := range FormStatuses {
				key := fmt.Sprintf("%s %s→%s", role, from, to)
				t.Run(key, func(t *testing.T) {
					err := CheckFormTransition(role, from, to)
					switch {
					case from == to || allowed[key]:
						if err != nil {
							t.Fatalf("refused: %v", err)
						}
					case err == nil:
						t.Fatal("allowed")
					case FieldCode(ErrorFields(err)["status"]) != "transition":
						t.Fatalf("fields %v", ErrorFields(err))
					}
				})
			}
		}
	}
	t.Run("a technician approving is forbidden, approving a draft is a conflict", func(t *testing.T) {
		if c := ErrorCode(CheckFormTransition(RoleTechnician, FormSubmitted, FormApproved)); c != CodeForbidden {
			t.Errorf("technician approves: %s", c)
		}
		if c := ErrorCode(CheckFormTransition(RoleLeader, FormDraft, FormApproved)); c != CodeConflict {
			t.Errorf("leader approves a draft: %s", c)
		}
		if err := CheckFormTransition(RoleTechnician, "", FormSubmitted); err != nil {
			t.Errorf("an empty status is a draft: %v", err)
		}
	})
}

func TestApplyServiceFormWrite(t *testing.T) {
	now := recAt(2026, 11, 2, 20, 0)
	draft := recForm()
	draft.Status = FormDraft
	submitted := recForm()
	submitted.SubmittedAt = recAt(2026, 11, 2, 12, 0)
	rejected := submitted
	rejected.Status, rejected.ReviewNote = FormRejected, "照片不清楚"
	approved := submitted
	approved.Status = FormApproved
	with := func(f ServiceForm, change func(*ServiceForm)) ServiceForm { change(&f); return f }
	cases := []struct {
		name      string
		role      Role
		cur       *ServiceForm
		next      ServiceForm
		code      Code
		submitted bool // SubmittedAt stamped now
		reviewed  bool // ReviewedBy/At stamped
	}{
		{"author creates a draft", RoleTechnician, nil, draft, "", false, false},
		{"author creates and submits offline", RoleTechnician, nil, submitted, "", true, false},
		{"author submits a draft", RoleTechnician, &draft, with(draft, func(f *ServiceForm) { f.Status = FormSubmitted }), "", true, false},
		{"author edits a draft", RoleTechnician, &draft, with(draft, func(f *ServiceForm) { f.WorkDone = "换压缩机" }), "", false, false},
		{"author edits a submitted form", RoleTechnician, &submitted, with(submitted, func(f *ServiceForm) { f.WorkDone = "x" }), CodeConflict, false, false},
		{"author withdraws and edits", RoleTechnician, &submitted, with(submitted, func(f *ServiceForm) { f.Status, f.WorkDone = FormDraft, "x" }), "", false, false},
		{"author edits a rejected form", RoleTechnician, &rejected, with(rejected, func(f *ServiceForm) { f.Photos = []string{recPhoto2} }), "", false, false},
		{"author resubmits", RoleTechnician, &rejected, with(rejected, func(f *ServiceForm) { f.Status = FormSubmitted }), "", true, false},
		{"author approves", RoleTechnician, &submitted, with(submitted, func(f *ServiceForm) { f.Status = FormApproved }), CodeForbidden, false, false},
		{"leader approves", RoleLeader, &submitted, with(submitted, func(f *ServiceForm) { f.Status = FormApproved }), "", false, true},
		{"leader rejects with a reason", RoleLeader, &submitted, with(submitted, func(f *ServiceForm) { f.Status, f.ReviewNote = FormRejected, "缺签字" }), "", false, true},
		{"leader rejects without a reason", RoleLeader, &submitted, with(submitted, func(f *ServiceForm) { f.Status = FormRejected }), CodeInvalid, false, false},
		{"leader rejects with a blank reason", RoleLeader, &submitted, with(submitted, func(f *ServiceForm) { f.Status, f.ReviewNote = FormRejected, "  \t " }), CodeInvalid, false, false},
		{"leader approves a draft", RoleLeader, &draft, with(draft, func(f *ServiceForm) { f.Status = FormApproved }), CodeConflict, false, false},
		{"leader comments on a draft", RoleLeader, &draft, with(draft, func(f *ServiceForm) { f.ReviewNote = "很好" }), "", false, true},
		{"leader approves extra work", RoleLeader, &submitted, with(submitted, func(f *ServiceForm) { f.ExtraWorkApproved = true }), "", false, true},
		{"leader edits data", RoleLeader, &submitted, with(submitted, func(f *ServiceForm) { f.WorkDone = "x" }), CodeForbidden, false, false},
		{"anything on an approved form", RoleLeader, &approved, with(approved, func(f *ServiceForm) { f.ReviewNote = "x" }), CodeConflict, false, false},
		{"purchasing writes", RolePurchasing, &submitted, submitted, CodeForbidden, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplyServiceFormWrite(tc.role, "u-writer", tc.cur, tc.next, now)
			if ErrorCode(err) != tc.code {
				t.Fatalf("error %v (%v), want %q", err, ErrorFields(err), tc.code)
			}
			if err != nil {
				return
			}
			if stamped := got.SubmittedAt.Equal(now); stamped != tc.submitted {
				t.Errorf("submittedAt %v, stamped now: %v, want %v", got.SubmittedAt, stamped, tc.submitted)
			}
			if reviewed := got.ReviewedBy == "u-writer" && got.ReviewedAt.Equal(now); reviewed != tc.reviewed {
				t.Errorf("reviewed %q %v, want %v", got.ReviewedBy, got.ReviewedAt, tc.reviewed)
			}
		})
	}
}

func TestCheckApprovable(t *testing.T) {
	order := &WorkOrder{ID: "wo-1", Team: recTeam, Assignees: []string{recTech}}
	plan := RevisitPlan{ID: "plan-1", ServiceFormID: "form-1", PlannedAt: recAt(2026, 11, 5, 9, 0),
		People: []string{recTech}, Tools: []string{"检漏仪"}, PurchasePlan: []PlanItem{}}
	incomplete := func(f *ServiceForm) { f.Outcome = OutcomeIncomplete }
	cases := []struct {
		name   string
		change func(f *ServiceForm)
		order  *WorkOrder
		plans  []RevisitPlan
		want   map[string]string
	}{
		{"completed and assigned", func(*ServiceForm) {}, order, nil, nil},
		{"R17: incomplete without a plan", incomplete, order, nil, map[string]string{"outcome": "revisit_plan"}},
		{"R17: incomplete with a complete plan (no purchases needed)", incomplete, order, []RevisitPlan{plan}, nil},
		{"R17: taken back with a plan lacking tools", func(f *ServiceForm) { f.Outcome = OutcomeTakenBack }, order,
			[]RevisitPlan{{ServiceFormID: "form-1", PlannedAt: plan.PlannedAt, People: plan.People, PurchasePlan: []PlanItem{}}},
			map[string]string{"outcome": "revisit_plan"}},
		{"R17: a plan of another form does not count", incomplete, order,
			[]RevisitPlan{{ServiceFormID: "form-2", PlannedAt: plan.PlannedAt, People: plan.People, Tools: []string{}, PurchasePlan: []PlanItem{}}},
			map[string]string{"outcome": "revisit_plan"}},
		{"R18: the work order is missing", func(*ServiceForm) {}, nil, nil, map[string]string{"workOrderId": "work_order"}},
		{"R18: assigned to somebody else", func(*ServiceForm) {}, &WorkOrder{ID: "wo-1", Team: recTeam, Assignees: []string{recTech2}},
			nil, map[string]string{"workOrderId": "work_order"}},
		{"R18: a work order of another team", func(*ServiceForm) {}, &WorkOrder{ID: "wo-1", Team: "other", Assignees: []string{recTech}},
			nil, map[string]string{"workOrderId": "work_order"}},
		{"R18: extra work not approved", func(f *ServiceForm) { f.ExtraWork, f.WorkOrderID = true, "" }, nil, nil,
			map[string]string{"extraWorkApproved": "extra_work"}},
		{"R18: extra work approved", func(f *ServiceForm) { f.ExtraWork, f.ExtraWorkApproved = true, true }, nil, nil, nil},
		{"R17 and R18 both", incomplete, nil, nil, map[string]string{"outcome": "revisit_plan", "workOrderId": "work_order"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := recForm()
			tc.change(&f)
			err := CheckApprovable(f, tc.order, tc.plans)
			if tc.want == nil {
				recWantFields(t, err, "", nil)
				return
			}
			recWantFields(t, err, CodeInvalid, tc.want)
		})
	}
}

func TestRevisitPlan(t *testing.T) {
	full := RevisitPlan{ServiceFormID: "form-1", PlannedAt: recAt(2026, 11, 5, 9, 0), People: []string{recTech},
		Tools: []string{"检漏仪"}, PurchasePlan: []PlanItem{{Name: "压缩机", Qty: 1, EstimatedFen: 80000}}}
	cases := []struct {
		name    string
		change  func(p *RevisitPlan)
		missing []string
		invalid map[string]string
	}{
		{"complete", func(*RevisitPlan) {}, nil, nil},
		{"none needed: empty lists", func(p *RevisitPlan) { p.Tools, p.PurchasePlan = []string{}, []PlanItem{} }, nil, nil},
		{"not filled in: nil lists", func(p *RevisitPlan) { p.Tools, p.PurchasePlan = nil, nil }, []string{"tools", "purchasePlan"}, nil},
		{"no time, nobody", func(p *RevisitPlan) { p.PlannedAt, p.People = time.Time{}, nil }, []string{"plannedAt", "people"}, nil},
		{"no form", func(p *RevisitPlan) { p.ServiceFormID = "" }, nil, map[string]string{"serviceFormId": "required"}},
		{"a person twice", func(p *RevisitPlan) { p.People = []string{recTech, recTech} }, nil, map[string]string{"people[1]": "unique"}},
		{"a person who is no user id", func(p *RevisitPlan) { p.People = []string{"张三"} }, nil, map[string]string{"people[0]": "uuid"}},
		{"a purchase of nothing", func(p *RevisitPlan) { p.PurchasePlan[0].Qty = 0 }, nil, map[string]string{"purchasePlan[0].qty": "min"}},
		{"an empty tool", func(p *RevisitPlan) { p.Tools = []string{""} }, nil, map[string]string{"tools[0]": "required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := full
			p.PurchasePlan = slices.Clone(full.PurchasePlan)
			tc.change(&p)
			got, err := NewRevisitPlan(p)
			if tc.invalid != nil {
				recWantFields(t, err, CodeInvalid, tc.invalid)
				return
			}
			recWantFields(t, err, "", nil)
			if !slices.Equal(got.Missing(), tc.missing) || got.Complete() != (len(tc.missing) == 0) {
				t.Errorf("missing %v complete %v, want %v", got.Missing(), got.Complete(), tc.missing)
			}
		})
	}
}
