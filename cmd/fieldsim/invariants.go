package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/fieldsync/fieldsync/domain"
)

// serverState is what the server holds at the end, as the leader (the whole team) and each
// device see it, plus the petty-cash ledgers.
type serverState struct {
	team   map[recKey]*localRecord // the leader's pull from scratch
	phones map[*phone]map[recKey]*localRecord
	petty  map[domain.Month]int64 // balanceFen per month
	// missing lists the photos the server still lacks.
	missing []string
}

// synced are the collections devices write; the rest are computed by the server.
var synced = []string{domain.CollWorkOrders, domain.CollServiceForms, domain.CollRevisitPlans, domain.CollTripLogs,
	domain.CollReceipts, domain.CollWeeklyReports, domain.CollPurchaseRequests, domain.CollIncidents}

// readServer reads the end state through the public API.
func (s *sim) readServer(ctx context.Context) (*serverState, error) {
	st := &serverState{phones: map[*phone]map[recKey]*localRecord{}, petty: map[domain.Month]int64{}}
	var err error
	if st.team, err = s.leader.main().snapshot(ctx); err != nil {
		return nil, err
	}
	for _, m := range s.everyone() {
		for _, p := range m.phones {
			if st.phones[p], err = p.snapshot(ctx); err != nil {
				return nil, err
			}
		}
	}
	for _, m := range s.months() {
		var ledger struct {
			BalanceFen int64 `json:"balanceFen"`
		}
		if err := s.leader.main().api.call(ctx, http.MethodGet, "/v1/petty-cash/"+m.String(), nil, &ledger); err != nil {
			return nil, err
		}
		st.petty[m] = ledger.BalanceFen
	}
	var hashes []string
	for _, r := range s.ledger.records {
		for _, f := range []string{"photo", "signaturePhoto"} {
			if h := str(r.fields[f]); h != "" {
				hashes = append(hashes, h)
			}
		}
		if list, ok := r.fields["photos"].([]any); ok {
			for _, h := range list {
				hashes = append(hashes, str(h))
			}
		}
	}
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)
	for i := 0; i < len(hashes); i += 1000 {
		miss, err := s.admin.missing(ctx, hashes[i:min(i+1000, len(hashes))])
		if err != nil {
			return nil, err
		}
		st.missing = append(st.missing, miss...)
	}
	return st, nil
}

// check compares the server's end state with the ledger and the expectation and returns every
// broken invariant (the ledger's own, found while pushing, first).
func check(l *ledger, e *expectation, st *serverState, phones []*phone) []failure {
	out := slices.Clone(l.failures)
	fail := func(c, what string, ids ...string) { out = append(out, failure{Check: c, What: what, IDs: ids}) }

	// 1. Every change is on the server exactly once, or lost a conflict with its value logged.
	keys := make([]recKey, 0, len(l.records))
	for k := range l.records {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		want := l.records[k]
		if len(want.fields) == 0 && want.created == 0 {
			continue // every mutation of it was rejected
		}
		got := st.team[k]
		switch {
		case want.deleted && got != nil:
			fail("exactly once", "deleted on the phones, live on the server", k.String())
			continue
		case want.deleted:
			continue
		case got == nil:
			fail("exactly once", "missing on the server", k.String())
			continue
		}
		for f, v := range want.fields {
			if !same(v, got.server[f]) {
				fail("exactly once", fmt.Sprintf("field %s = %v, want %v", f, got.server[f], v), k.String())
			}
		}
		log, _ := got.server["conflicts"].([]any)
		for _, lo := range want.losers {
			found := false
			for _, c := range log {
				c, _ := c.(map[string]any)
				if c["mutationId"] == lo.mutationID && c["field"] == lo.field && same(c["clientValue"], lo.value) {
					found = true
				}
			}
			if !found {
				fail("conflict log", fmt.Sprintf("the losing %s of mutation %s is not in the conflict log", lo.field, lo.mutationID), k.String())
			}
		}
		if pending, ok := got.server["photosPending"].([]any); ok && len(pending) > 0 {
			fail("photos", fmt.Sprintf("photosPending %v after every photo was uploaded", pending), k.String())
		}
	}
	for k, r := range st.team {
		if slices.Contains(synced, k.coll) && l.records[k] == nil && str(r.server["owner"]) != "server" {
			fail("exactly once", "a record no device wrote", k.String())
		}
	}
	if len(st.missing) > 0 {
		fail("photos", fmt.Sprintf("%d photos never arrived", len(st.missing)), st.missing...)
	}

	// 2. Every device's copy is the server's.
	for _, p := range phones {
		mine, theirs := p.live(), st.phones[p]
		for k, r := range theirs {
			lr := mine[k]
			switch {
			case lr == nil:
				fail("final pull", fmt.Sprintf("%s lacks a record the server shows it", p.name), k.String())
			case lr.version != r.version || !same(lr.server, r.server):
				fail("final pull", fmt.Sprintf("%s holds v%d, the server v%d", p.name, lr.version, r.version), k.String())
			}
		}
		for k := range mine {
			if theirs[k] == nil {
				fail("final pull", fmt.Sprintf("%s holds a record the server does not show it", p.name), k.String())
			}
		}
	}

	// 3. Scores, money, petty cash: the server's results equal the independent computation.
	for tech, months := range e.totals {
		for m, total := range months {
			id := domain.DerivedID("assessment", tech, m.String())
			got := st.team[recKey{"assessments", id}]
			if got == nil {
				fail("score", fmt.Sprintf("no assessment of %s for %s", tech, m), id)
				continue
			}
			if int(num(got.server["total"])) != total {
				var ids []string
				for _, line := range e.scores[tech][m] {
					ids = append(ids, line.ID)
				}
				fail("score", fmt.Sprintf("%s %s: total %d, want %d (incidents %v)", tech, m, num(got.server["total"]), total, ids), append([]string{id}, ids...)...)
			}
		}
	}
	for _, m := range e.money {
		got := st.team[recKey{"reimbursements", m.reimbursementID}]
		if got == nil {
			fail("money", "no reimbursement record", m.ID, m.reimbursementID)
			continue
		}
		if num(got.server["paidFen"]) != m.Paid || num(got.server["heldFen"]) != m.Held || num(got.server["duplicateFen"]) != m.Dup {
			fail("money", fmt.Sprintf("%s: paid/held/duplicate %d/%d/%d, want %d/%d/%d", m.Coll, num(got.server["paidFen"]),
				num(got.server["heldFen"]), num(got.server["duplicateFen"]), m.Paid, m.Held, m.Dup), m.ID, m.reimbursementID)
		}
	}
	for k, r := range st.team {
		if k.coll != domain.CollReceipts || l.records[k] == nil {
			continue
		}
		dup, _ := r.server["duplicateOf"].(map[string]any)
		if got, want := str(dup["id"]), e.dups[k.id]; got != want {
			fail("duplicates", fmt.Sprintf("duplicateOf %q, want %q (R16)", got, want), k.id)
		}
	}
	for m, want := range e.petty {
		if st.petty[m] != want {
			fail("petty cash", fmt.Sprintf("%s balance %d, want %d", m, st.petty[m], want), m.String())
		}
	}
	for tech := range e.totals {
		flagged := false
		for k, r := range st.team {
			if k.coll == "grade_reviews" && str(r.server["technicianId"]) == tech {
				flagged = true
			}
		}
		if flagged != e.flagged[tech] {
			fail("grade flags", fmt.Sprintf("flagged %v, want %v (R7)", flagged, e.flagged[tech]), tech)
		}
	}
	return out
}
