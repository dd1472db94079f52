package domain

import (
	"testing"
)

func TestPettyCash(t *testing.T) {
	nov := Month{Year: 2026, Month: 11}
	leader := Principal{UserID: recLeader, Role: RoleLeader, TeamID: recTeam}
	payout := func(id string, fen int64) PettyCashPayout {
		return PettyCashPayout{ID: id, Date: Date{2026, 11, 10}, AmountFen: fen, Payee: recTech, Purpose: "配件"}
	}
	type step struct {
		name    string
		by      Principal
		e       PettyCashPayout
		code    Code
		field   string
		balance int64 // after the step
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"R15: 5000.00 CNY a month, paid out to the last fen", []step{
			{"3000.00", leader, payout("p1", 300_000), "", "", 200_000},
			{"2000.01 is beyond the balance", leader, payout("p2", 200_001), CodeConflict, "amountFen", 200_000},
			{"exactly the balance", leader, payout("p3", 200_000), "", "", 0},
			{"one fen more", leader, payout("p4", 1), CodeConflict, "amountFen", 0},
		}},
		{"resends and reused ids", []step{
			{"first", leader, payout("p1", 10_000), "", "", 490_000},
			{"the same payout again changes nothing", leader, payout("p1", 10_000), "", "", 490_000},
			{"the same id for another payout", leader, payout("p1", 20_000), CodeConflict, "id", 490_000},
		}},
		{"who and what", []step{
			{"a technician", Principal{UserID: recTech, Role: RoleTechnician, TeamID: recTeam}, payout("p1", 100), CodeForbidden, "", 500_000},
			{"another team's leader", Principal{UserID: recLeader, Role: RoleLeader, TeamID: "other"}, payout("p1", 100), CodeForbidden, "", 500_000},
			{"hr", Principal{UserID: "u-hr", Role: RoleHR}, payout("p1", 100), CodeForbidden, "", 500_000},
			{"nothing", leader, payout("p1", 0), CodeInvalid, "amountFen", 500_000},
			{"negative", leader, payout("p1", -100), CodeInvalid, "amountFen", 500_000},
			{"in December", leader, PettyCashPayout{ID: "p1", Date: Date{2026, 12, 1}, AmountFen: 100, Payee: "x", Purpose: "x"},
				CodeInvalid, "date", 500_000},
			{"no purpose", leader, PettyCashPayout{ID: "p1", Date: Date{2026, 11, 30}, AmountFen: 100, Payee: "x"}, CodeInvalid, "purpose", 500_000},
			{"a bad id", leader, payout("p 1", 100), CodeInvalid, "id", 500_000},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewPettyCash(DefaultPolicy(), recTeam, nov)
			for _, s := range tc.steps {
				err := c.Payout(s.by, s.e)
				if ErrorCode(err) != s.code {
					t.Fatalf("%s: error %v, want %q", s.name, err, s.code)
				}
				if _, ok := ErrorFields(err)[s.field]; s.field != "" && !ok {
					t.Fatalf("%s: fields %v, want %s", s.name, ErrorFields(err), s.field)
				}
				if c.Balance() != s.balance {
					t.Fatalf("%s: balance %d, want %d", s.name, c.Balance(), s.balance)
				}
			}
		})
	}
	t.Run("restore replays the ledger and keeps its checks", func(t *testing.T) {
		c := NewPettyCash(DefaultPolicy(), recTeam, nov)
		for _, e := range []PettyCashPayout{payout("p1", 100_000), payout("p2", 50_000)} {
			if err := c.Payout(leader, e); err != nil {
				t.Fatal(err)
			}
		}
		got, err := RestorePettyCash(DefaultPolicy(), recTeam, nov, c.Payouts())
		if err != nil || got.Balance() != 350_000 || got.PaidOutFen() != 150_000 || got.Payouts()[0].RecordedBy != recLeader {
			t.Fatalf("restored %+v, %v", got, err)
		}
		small := DefaultPolicy()
		small.PettyCashFloatFen = 100_000
		if _, err := RestorePettyCash(small, recTeam, nov, c.Payouts()); ErrorCode(err) != CodeConflict {
			t.Fatalf("a ledger beyond its float restored: %v", err)
		}
	})
}
