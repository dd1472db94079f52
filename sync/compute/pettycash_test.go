package compute_test

import (
	"context"
	stdsync "sync"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// TestPettyCashPayouts: R15's ledger, payout by payout, with the SPEC's 5000 CNY float.
func TestPettyCashPayouts(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	cash := compute.NewPettyCash(r.records, r.engine, r.policies)
	march := domain.Month{Year: 2026, Month: 3}
	d, _ := domain.ParseDate("2026-03-10")
	first := uuid.NewString()
	payout := func(id string, fen int64) domain.PettyCashPayout {
		return domain.PettyCashPayout{ID: id, Date: d, AmountFen: fen, Payee: "张三", Purpose: "配件"}
	}
	cases := []struct {
		name    string
		who     domain.Principal
		payout  domain.PettyCashPayout
		code    domain.Code
		field   string
		balance int64
	}{
		{"a payout within the float", r.leaderA, payout(first, 300000), "", "", 200000},
		{"the same payout again changes nothing", r.leaderA, payout(first, 300000), "", "", 200000},
		{"the same id for another payout", r.leaderA, payout(first, 100), domain.CodeConflict, "id", 200000},
		{"beyond the balance", r.leaderA, payout(uuid.NewString(), 200001), domain.CodeConflict, "amountFen", 200000},
		{"exactly the balance", r.leaderA, payout(uuid.NewString(), 200000), "", "", 0},
		{"a technician", r.tech1, payout(uuid.NewString(), 1), domain.CodeForbidden, "", 0},
		{"a date outside the month", r.leaderA, domain.PettyCashPayout{ID: uuid.NewString(), Date: d.AddDays(30),
			AmountFen: 1, Payee: "x", Purpose: "y"}, domain.CodeInvalid, "date", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cash.Payout(ctx, tc.who, march, tc.payout)
			if domain.ErrorCode(err) != tc.code && !(tc.code == "" && err == nil) {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if tc.field != "" {
				if _, ok := domain.ErrorFields(err)[tc.field]; !ok {
					t.Errorf("fields %v lack %s", domain.ErrorFields(err), tc.field)
				}
			}
			v, err := cash.Month(ctx, r.leaderA, "", march)
			if err != nil || v.BalanceFen != tc.balance || v.FloatFen != 500000 {
				t.Errorf("ledger %+v (%v), want balance %d of 500000", v, err, tc.balance)
			}
		})
	}
	t.Run("read access", func(t *testing.T) {
		if v, err := cash.Month(ctx, r.hr, r.teamA, march); err != nil || len(v.Payouts) != 2 {
			t.Errorf("hr reads %+v, %v", v, err)
		}
		if _, err := cash.Month(ctx, r.hr, "", march); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("hr without a team: %v", err)
		}
		for _, p := range []domain.Principal{r.tech1} {
			if _, err := cash.Month(ctx, p, r.teamA, march); domain.ErrorCode(err) != domain.CodeForbidden {
				t.Errorf("%s reads: %v", p.Role, err)
			}
		}
		if _, err := cash.Month(ctx, r.leaderB, r.teamA, march); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("another team's leader reads: %v", err)
		}
		if v, err := cash.Month(ctx, r.leaderB, "", march); err != nil || v.BalanceFen != 500000 {
			t.Errorf("team B's untouched month: %+v, %v", v, err)
		}
		got := r.pull(r.leaderA, domain.CollPettyCash)[compute.PettyCashID(r.teamA, march)]
		if got == nil || num(t, got["balanceFen"]) != 0 || len(got["payouts"].([]any)) != 2 {
			t.Errorf("the pulled record: %v", got)
		}
		if r.pull(r.leaderB, domain.CollPettyCash)[compute.PettyCashID(r.teamA, march)] != nil {
			t.Error("another team's leader pulls it")
		}
	})
}

// TestPettyCashConcurrentPayoutsNeverOverdraw: two servers recording payouts at once each decide
// on the version they write over, so the month cannot go below zero.
func TestPettyCashConcurrentPayoutsNeverOverdraw(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	april := domain.Month{Year: 2026, Month: 4}
	d, _ := domain.ParseDate("2026-04-02")
	servers := []*compute.PettyCashLedgers{compute.NewPettyCash(r.records, r.engine, r.policies),
		compute.NewPettyCash(r.records, r.engine, r.policies)}
	var wg stdsync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = servers[i%2].Payout(ctx, r.leaderA, april, domain.PettyCashPayout{ID: uuid.NewString(),
				Date: d, AmountFen: 100000, Payee: "李四", Purpose: "油费"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case domain.ErrorCode(err) != domain.CodeConflict:
			t.Errorf("unexpected error: %v", err)
		}
	}
	v, err := servers[0].Month(ctx, r.leaderA, "", april)
	if err != nil || ok != 5 || v.BalanceFen != 0 || len(v.Payouts) != 5 {
		t.Errorf("%d payouts accepted, ledger %+v (%v); want 5 and balance 0", ok, v, err)
	}
}
