package domain

import (
	"slices"
	"testing"
	"time"
)

// recPurchase is a submitted request of one line: qty × unitFen.
func recPurchase(qty, unitFen int64) PurchaseRequest {
	return PurchaseRequest{ID: "pr-1", Owner: recTech, Team: recTeam, Reason: "换压缩机",
		Items: []PurchaseItem{{Name: "压缩机", Qty: qty, UnitPriceFen: unitFen}}, Submitted: true}
}

func TestPurchaseProgress(t *testing.T) {
	p := DefaultPolicy() // threshold 50000 fen = 500.00 CNY
	cases := []struct {
		name    string
		pr      PurchaseRequest
		change  func(pr *PurchaseRequest)
		want    PurchaseStatus
		waiting []Role
	}{
		{"a draft", recPurchase(1, 49_999), func(pr *PurchaseRequest) { pr.Submitted = false }, PurchaseDraft, nil},
		{"499.99 waits for the leader", recPurchase(1, 49_999), func(*PurchaseRequest) {}, PurchasePendingLeader, []Role{RoleLeader}},
		{"499.99 approved by the leader is payable", recPurchase(1, 49_999),
			func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, PurchasePayable, nil},
		{"exactly 500.00 needs purchasing after the leader", recPurchase(1, 50_000),
			func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, PurchasePendingPurchasing, []Role{RolePurchasing}},
		{"per line item: 2 × 250.00 is 500.00", recPurchase(2, 25_000),
			func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, PurchasePendingPurchasing, []Role{RolePurchasing}},
		{"many small lines stay small", recPurchase(1, 40_000), func(pr *PurchaseRequest) {
			pr.Items = append(pr.Items, PurchaseItem{Name: "铜管", Qty: 1, UnitPriceFen: 40_000})
			pr.LeaderDecision = DecisionApproved
		}, PurchasePayable, nil},
		{"then the gm", recPurchase(1, 50_000), func(pr *PurchaseRequest) {
			pr.LeaderDecision, pr.PurchasingDecision = DecisionApproved, DecisionApproved
		}, PurchasePendingGM, []Role{RoleGM}},
		{"then purchasing signs", recPurchase(1, 50_000), func(pr *PurchaseRequest) {
			pr.LeaderDecision, pr.PurchasingDecision, pr.GMDecision = DecisionApproved, DecisionApproved, DecisionApproved
		}, PurchasePendingSignoff, []Role{RolePurchasing}},
		{"signed: payable", recPurchase(1, 50_000), func(pr *PurchaseRequest) {
			pr.LeaderDecision, pr.PurchasingDecision, pr.GMDecision = DecisionApproved, DecisionApproved, DecisionApproved
			pr.PurchasingSignedOff = true
		}, PurchasePayable, nil},
		{"the gm rejects", recPurchase(1, 50_000), func(pr *PurchaseRequest) {
			pr.LeaderDecision, pr.PurchasingDecision, pr.GMDecision = DecisionApproved, DecisionApproved, DecisionRejected
		}, PurchaseRejected, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pr := tc.pr
			pr.Items = slices.Clone(pr.Items)
			tc.change(&pr)
			got, waiting := pr.Progress(p)
			if got != tc.want || !slices.Equal(waiting, tc.waiting) {
				t.Errorf("Progress = %s %v, want %s %v", got, waiting, tc.want, tc.waiting)
			}
		})
	}
}

func TestNewPurchaseRequest(t *testing.T) {
	cases := []struct {
		name   string
		change func(pr *PurchaseRequest)
		want   map[string]string
	}{
		{"submitted", func(*PurchaseRequest) {}, nil},
		{"a draft without items", func(pr *PurchaseRequest) { pr.Submitted, pr.Items, pr.Reason = false, nil, "" }, nil},
		{"submitted without items or reason", func(pr *PurchaseRequest) { pr.Items, pr.Reason = nil, "" },
			map[string]string{"items": "min", "reason": "required"}},
		{"a line of nothing", func(pr *PurchaseRequest) { pr.Items[0].Qty = 0 }, map[string]string{"items[0].qty": "min"}},
		{"a negative price", func(pr *PurchaseRequest) { pr.Items[0].UnitPriceFen = -5 }, map[string]string{"items[0].unitPriceFen": "min"}},
		{"a decision that is neither", func(pr *PurchaseRequest) { pr.GMDecision = "maybe" }, map[string]string{"gmDecision": "oneof"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pr := recPurchase(1, 30_000)
			pr.Items = slices.Clone(pr.Items)
			tc.change(&pr)
			_, err := NewPurchaseRequest(pr)
			if tc.want == nil {
				recWantFields(t, err, "", nil)
				return
			}
			recWantFields(t, err, CodeInvalid, tc.want)
		})
	}
}

// TestApplyPurchaseWrite walks requests through their chains (R14), one write after another,
// each step checked against the status and the roles it waits for afterwards.
func TestApplyPurchaseWrite(t *testing.T) {
	policyAt := func(Date) Policy { return DefaultPolicy() }
	type step struct {
		name    string
		role    Role
		change  func(pr *PurchaseRequest)
		code    Code   // the write's error; "" for none
		field   string // the field the error names, when code is set
		want    PurchaseStatus
		waiting []Role
	}
	draft := func(qty, unit int64) PurchaseRequest { pr := recPurchase(qty, unit); pr.Submitted = false; return pr }
	walks := []struct {
		name  string
		start PurchaseRequest
		steps []step
	}{
		{"below the threshold: the leader approves", draft(1, 49_999), []step{
			{"author saves a draft", RoleTechnician, func(*PurchaseRequest) {}, "", "", PurchaseDraft, nil},
			{"author submits", RoleTechnician, func(pr *PurchaseRequest) { pr.Submitted = true }, "", "", PurchasePendingLeader, []Role{RoleLeader}},
			{"purchasing cannot decide it", RolePurchasing, func(pr *PurchaseRequest) { pr.PurchasingDecision = DecisionApproved },
				CodeConflict, "purchasingDecision", PurchasePendingLeader, nil},
			{"author cannot edit it under review", RoleTechnician, func(pr *PurchaseRequest) { pr.Items[0].Qty = 2 },
				CodeConflict, "items", PurchasePendingLeader, nil},
			{"leader approves", RoleLeader, func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, "", "", PurchasePayable, nil},
			{"payable is locked", RoleTechnician, func(pr *PurchaseRequest) { pr.Note = "x" }, CodeConflict, "status", PurchasePayable, nil},
		}},
		{"exactly 500.00: the full chain", draft(1, 50_000), []step{
			{"author submits", RoleTechnician, func(pr *PurchaseRequest) { pr.Submitted = true }, "", "", PurchasePendingLeader, []Role{RoleLeader}},
			{"the gm cannot jump the queue", RoleGM, func(pr *PurchaseRequest) { pr.GMDecision = DecisionApproved },
				CodeConflict, "gmDecision", PurchasePendingLeader, nil},
			{"leader submits it on", RoleLeader, func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, "", "",
				PurchasePendingPurchasing, []Role{RolePurchasing}},
			{"leader cannot change their mind", RoleLeader, func(pr *PurchaseRequest) { pr.LeaderDecision, pr.LeaderNote = DecisionRejected, "算了" },
				CodeConflict, "leaderDecision", PurchasePendingPurchasing, nil},
			{"purchasing cannot sign before the gm", RolePurchasing, func(pr *PurchaseRequest) {
				pr.PurchasingDecision, pr.PurchasingSignedOff = DecisionApproved, true
			}, CodeConflict, "purchasingSignedOff", PurchasePendingPurchasing, nil},
			{"purchasing approves", RolePurchasing, func(pr *PurchaseRequest) { pr.PurchasingDecision = DecisionApproved }, "", "",
				PurchasePendingGM, []Role{RoleGM}},
			{"the gm approves", RoleGM, func(pr *PurchaseRequest) { pr.GMDecision = DecisionApproved }, "", "",
				PurchasePendingSignoff, []Role{RolePurchasing}},
			{"the gm cannot sign", RoleGM, func(pr *PurchaseRequest) { pr.PurchasingSignedOff = true },
				CodeForbidden, "", PurchasePendingSignoff, nil},
			{"purchasing signs", RolePurchasing, func(pr *PurchaseRequest) { pr.PurchasingSignedOff = true }, "", "", PurchasePayable, nil},
		}},
		{"rejected, corrected, resubmitted", draft(1, 80_000), []step{
			{"author submits", RoleTechnician, func(pr *PurchaseRequest) { pr.Submitted = true }, "", "", PurchasePendingLeader, []Role{RoleLeader}},
			{"leader approves", RoleLeader, func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, "", "",
				PurchasePendingPurchasing, []Role{RolePurchasing}},
			{"purchasing rejects without a reason", RolePurchasing, func(pr *PurchaseRequest) { pr.PurchasingDecision = DecisionRejected },
				CodeInvalid, "purchasingNote", PurchasePendingPurchasing, nil},
			{"purchasing rejects with a reason", RolePurchasing, func(pr *PurchaseRequest) {
				pr.PurchasingDecision, pr.PurchasingNote = DecisionRejected, "价格过高"
			}, "", "", PurchaseRejected, nil},
			{"author corrects the price: back to the leader", RoleTechnician, func(pr *PurchaseRequest) { pr.Items[0].UnitPriceFen = 45_000 },
				"", "", PurchasePendingLeader, []Role{RoleLeader}},
			{"now below the threshold", RoleLeader, func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, "", "", PurchasePayable, nil},
		}},
		{"withdrawn while pending", draft(1, 80_000), []step{
			{"author submits", RoleTechnician, func(pr *PurchaseRequest) { pr.Submitted = true }, "", "", PurchasePendingLeader, []Role{RoleLeader}},
			{"leader approves", RoleLeader, func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, "", "",
				PurchasePendingPurchasing, []Role{RolePurchasing}},
			{"author withdraws", RoleTechnician, func(pr *PurchaseRequest) { pr.Submitted = false }, "", "", PurchaseDraft, nil},
			{"and submits again: from the leader", RoleTechnician, func(pr *PurchaseRequest) { pr.Submitted = true }, "", "",
				PurchasePendingLeader, []Role{RoleLeader}},
			{"purchasing refuses to sign: not its step", RolePurchasing, func(pr *PurchaseRequest) { pr.PurchasingSignedOff = true },
				CodeConflict, "purchasingSignedOff", PurchasePendingLeader, nil},
		}},
		{"refusing to sign is a rejection", draft(1, 60_000), []step{
			{"author submits", RoleTechnician, func(pr *PurchaseRequest) { pr.Submitted = true }, "", "", PurchasePendingLeader, []Role{RoleLeader}},
			{"leader", RoleLeader, func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionApproved }, "", "", PurchasePendingPurchasing, []Role{RolePurchasing}},
			{"purchasing", RolePurchasing, func(pr *PurchaseRequest) { pr.PurchasingDecision = DecisionApproved }, "", "", PurchasePendingGM, []Role{RoleGM}},
			{"gm", RoleGM, func(pr *PurchaseRequest) { pr.GMDecision = DecisionApproved }, "", "", PurchasePendingSignoff, []Role{RolePurchasing}},
			{"purchasing rejects at sign-off", RolePurchasing, func(pr *PurchaseRequest) {
				pr.PurchasingDecision, pr.PurchasingNote = DecisionRejected, "发票不符"
			}, "", "", PurchaseRejected, nil},
		}},
	}
	for _, w := range walks {
		t.Run(w.name, func(t *testing.T) {
			now := recAt(2026, 11, 2, 9, 0)
			var cur *PurchaseRequest
			state := w.start
			for _, s := range w.steps {
				now = now.Add(time.Hour)
				next := state
				next.Items = slices.Clone(state.Items)
				s.change(&next)
				got, err := ApplyPurchaseWrite(policyAt, s.role, cur, next, now)
				if ErrorCode(err) != s.code {
					t.Fatalf("%s: error %v (%v), want %q", s.name, err, ErrorFields(err), s.code)
				}
				if err != nil {
					if _, ok := ErrorFields(err)[s.field]; s.field != "" && !ok {
						t.Fatalf("%s: fields %v, want %s", s.name, ErrorFields(err), s.field)
					}
					if st, _ := state.Progress(DefaultPolicy()); cur != nil && st != s.want {
						t.Fatalf("%s: stored status %s, want %s", s.name, st, s.want)
					}
					continue
				}
				if got.Status != s.want || !slices.Equal(got.WaitingFor, s.waiting) {
					t.Fatalf("%s: %s %v, want %s %v", s.name, got.Status, got.WaitingFor, s.want, s.waiting)
				}
				if got.Status.Pending() != !got.WaitingSince.IsZero() {
					t.Fatalf("%s: waitingSince %v for %s", s.name, got.WaitingSince, got.Status)
				}
				if got.Submitted == got.SubmittedAt.IsZero() {
					t.Fatalf("%s: submittedAt %v while submitted %v", s.name, got.SubmittedAt, got.Submitted)
				}
				state = got
				c := got
				cur = &c
			}
		})
	}
}
