package main

import (
	"maps"
	"strings"
	"testing"

	"github.com/fieldsync/fieldsync/domain"
)

// checkFixture is a tiny consistent world: one technician's device wrote a service form (one of
// its fields lost a conflict) and a trip; the server holds exactly that, the assessment and the
// reimbursement the expectation names, and the device's copy equals the server's.
func checkFixture() (*ledger, *expectation, *serverState, []*phone) {
	tech := &member{user: userJSON{ID: "11111111-1111-4111-8111-111111111111"}}
	p := &phone{owner: tech, name: "dev-1", local: map[recKey]*localRecord{}}
	l := newLedger()
	form, trip := recKey{domain.CollServiceForms, "form-1"}, recKey{domain.CollTripLogs, "trip-1"}
	l.queued(p, mutation{MutationID: "m1", Collection: form.coll, ID: form.id, Op: "upsert",
		Fields: map[string]any{"workDone": "换电容", "note": "mine"}}, "")
	l.answered(l.order[0].m, result{MutationID: "m1", Status: "conflict", Version: 3,
		Conflicts: []map[string]any{{"field": "note", "clientValue": "mine", "serverValue": "theirs"}}}, 1)
	l.queued(p, mutation{MutationID: "m2", Collection: trip.coll, ID: trip.id, Op: "upsert",
		Fields: map[string]any{"transportMode": "bus", "people": []any{tech.user.ID}}}, "")
	l.answered(l.order[1].m, result{MutationID: "m2", Status: "applied", Version: 1}, 2)

	m := domain.Month{Year: 2026, Month: 10}
	assessment := domain.DerivedID("assessment", tech.user.ID, m.String())
	money := &moneyLine{Coll: trip.coll, ID: trip.id, Owner: tech.user.ID, Month: m, Paid: 200,
		reimbursementID: domain.DerivedID("reimbursement", trip.coll, trip.id)}
	e := &expectation{totals: map[string]map[domain.Month]int{tech.user.ID: {m: 98}},
		scores: map[string]map[domain.Month][]scoreLine{tech.user.ID: {m: {{Type: "unreachable", Points: -2, ID: "inc-1"}}}},
		money:  []*moneyLine{money}, dups: map[string]string{}, petty: map[domain.Month]int64{m: 470000}, flagged: map[string]bool{}}
	team := map[recKey]*localRecord{
		form: {version: 3, server: map[string]any{"workDone": "换电容", "note": "theirs", "owner": tech.user.ID,
			"conflicts": []any{map[string]any{"mutationId": "m1", "field": "note", "clientValue": "mine"}}}},
		trip:                        {version: 1, server: map[string]any{"transportMode": "bus", "people": []any{tech.user.ID}, "owner": tech.user.ID}},
		{"assessments", assessment}: {version: 1, server: map[string]any{"total": float64(98)}},
		{"reimbursements", money.reimbursementID}: {version: 1, server: map[string]any{"paidFen": float64(200), "heldFen": float64(0), "duplicateFen": float64(0)}},
	}
	for k, r := range team {
		p.local[k] = &localRecord{version: r.version, server: norm(r.server).(map[string]any)}
	}
	st := &serverState{team: team, phones: map[*phone]map[recKey]*localRecord{p: clone(team)}, petty: map[domain.Month]int64{m: 470000}}
	return l, e, st, []*phone{p}
}

func clone(m map[recKey]*localRecord) map[recKey]*localRecord {
	out := map[recKey]*localRecord{}
	for k, r := range m {
		out[k] = &localRecord{version: r.version, deleted: r.deleted, server: maps.Clone(r.server)}
	}
	return out
}

// TestCheckFindsTamperedState: the checks pass on the consistent fixture and fail, naming the
// record, on each kind of tampering.
func TestCheckFindsTamperedState(t *testing.T) {
	form, trip := recKey{domain.CollServiceForms, "form-1"}, recKey{domain.CollTripLogs, "trip-1"}
	assessment := domain.DerivedID("assessment", "11111111-1111-4111-8111-111111111111", "2026-10")
	for _, tc := range []struct {
		name   string
		tamper func(l *ledger, e *expectation, st *serverState, ps []*phone)
		check  string // the failing check; "" passes
		id     string
	}{
		{"untouched", func(*ledger, *expectation, *serverState, []*phone) {}, "", ""},
		{"a record missing on the server", func(_ *ledger, _ *expectation, st *serverState, _ []*phone) {
			delete(st.team, trip)
		}, "exactly once", trip.String()},
		{"a field lost", func(_ *ledger, _ *expectation, st *serverState, _ []*phone) {
			st.team[form].server["workDone"] = "别的"
		}, "exactly once", form.String()},
		{"a losing value not logged", func(_ *ledger, _ *expectation, st *serverState, _ []*phone) {
			st.team[form].server["conflicts"] = []any{}
		}, "conflict log", form.String()},
		{"a record no device wrote", func(_ *ledger, _ *expectation, st *serverState, _ []*phone) {
			st.team[recKey{domain.CollReceipts, "ghost"}] = &localRecord{version: 1, server: map[string]any{"owner": "x"}}
		}, "exactly once", "receipts/ghost"},
		{"a wrong score", func(_ *ledger, _ *expectation, st *serverState, _ []*phone) {
			st.team[recKey{"assessments", assessment}].server["total"] = float64(100)
		}, "score", "inc-1"},
		{"wrong money", func(_ *ledger, e *expectation, st *serverState, _ []*phone) {
			st.team[recKey{"reimbursements", e.money[0].reimbursementID}].server["paidFen"] = float64(400)
		}, "money", trip.id},
		{"a petty-cash balance off", func(_ *ledger, _ *expectation, st *serverState, _ []*phone) {
			st.petty[domain.Month{Year: 2026, Month: 10}] = 500000
		}, "petty cash", "2026-10"},
		{"a device behind the server", func(_ *ledger, _ *expectation, st *serverState, ps []*phone) {
			st.phones[ps[0]][trip].version = 2
		}, "final pull", trip.String()},
		{"an unexpected rejection", func(l *ledger, _ *expectation, _ *serverState, ps []*phone) {
			l.queued(ps[0], mutation{MutationID: "m3", Collection: trip.coll, ID: trip.id, Op: "upsert"}, "")
			l.answered(l.order[2].m, result{MutationID: "m3", Status: "rejected", Error: &apiError{Code: "invalid"}}, 3)
		}, "unexpected rejection", "m3"},
		{"a resend answered differently", func(l *ledger, _ *expectation, _ *serverState, _ []*phone) {
			l.resent([]result{{MutationID: "m2", Status: "applied", Version: 1}}, []result{{MutationID: "m2", Status: "applied", Version: 2}})
		}, "exactly once", "m2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, e, st, ps := checkFixture()
			tc.tamper(l, e, st, ps)
			failures := check(l, e, st, ps)
			if tc.check == "" {
				if len(failures) > 0 {
					t.Fatalf("failures on a consistent state: %v", failures)
				}
				return
			}
			for _, f := range failures {
				if f.Check == tc.check && strings.Contains(strings.Join(f.IDs, " "), tc.id) {
					return
				}
			}
			t.Errorf("no %q failure naming %s in %v", tc.check, tc.id, failures)
		})
	}
}
