package main

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// The expected results, computed from the simulator's own event log (the ledger: what its
// devices wrote, what the server answered to each push, when each weekly report was sent, the
// petty-cash payouts), never from records read back from the server. The rules are applied with
// domain's pure functions (TripReimbursement, PurchaseReimbursement, FirstClaims,
// ReportDeadline) under the policy the server publishes (GET /v1/policy?at=): what is under
// test is the pipeline that must bring the same inputs to the same functions on the server
// (sync, exactly once, merges, photos, the rules worker, closes), not the functions themselves.

// scoreLine is one expected line of an assessment.
type scoreLine struct {
	Type   string
	Date   string
	Points int
	ID     string // the incident's id (R1: domain.R1IncidentID)
}

// moneyLine is one expected reimbursement (a trip or a purchase request).
type moneyLine struct {
	Coll, ID             string
	Owner                string
	Month                domain.Month
	Paid, Held, Dup      int64
	HeldItems            []string
	DuplicateOf          map[string]string // receipt id → the receipt that claimed the image first
	Lines                []domain.ReimbursementLine
	reimbursementID      string
	policyVersion        int
	description, purpose string
}

// expectation is everything the simulator expects the server to have computed.
type expectation struct {
	scores  map[string]map[domain.Month][]scoreLine // technician id → month → lines
	totals  map[string]map[domain.Month]int
	money   []*moneyLine
	dups    map[string]string // receipt id → first claim's receipt id (R16)
	petty   map[domain.Month]int64
	flagged map[string]bool // technician id → a downgrade flag is due (R7)
}

func str(v any) string   { s, _ := v.(string); return s }
func num(v any) int64    { f, _ := v.(float64); return int64(f) }
func boolean(v any) bool { b, _ := v.(bool); return b }
func instant(v any) time.Time {
	t, _ := time.Parse(time.RFC3339, str(v))
	return t
}

// months returns every calendar month the period touches.
func (s *sim) months() []domain.Month {
	var out []domain.Month
	for m := domain.MonthOf(domain.DateOf(s.start)); !m.After(domain.MonthOf(domain.DateOf(s.end.AddDate(0, 0, -1)))); m = m.Next() {
		out = append(out, m)
	}
	return out
}

// expect computes the expectation from the ledger.
func (s *sim) expect(ctx context.Context) (*expectation, error) {
	l := s.ledger
	e := &expectation{scores: map[string]map[domain.Month][]scoreLine{}, totals: map[string]map[domain.Month]int{},
		dups: map[string]string{}, petty: map[domain.Month]int64{}, flagged: map[string]bool{}}
	policy := func(d domain.Date) domain.Policy {
		p, err := s.policyAt(ctx, d)
		if err != nil {
			return domain.DefaultPolicy()
		}
		return p
	}
	// Scores (R1–R4): the leader's incidents, and −2 for every week whose deadline passed
	// between the server's first pass and the close without the report received by it.
	add := func(tech string, d domain.Date, line scoreLine) {
		if e.scores[tech] == nil {
			e.scores[tech] = map[domain.Month][]scoreLine{}
		}
		m := domain.MonthOf(d)
		e.scores[tech][m] = append(e.scores[tech][m], line)
	}
	for _, r := range l.keys(domain.CollIncidents) {
		if r.deleted || boolean(r.fields["waived"]) {
			continue
		}
		d, _ := domain.ParseDate(str(r.fields["date"]))
		add(str(r.fields["technicianId"]), d, scoreLine{Type: str(r.fields["type"]), Date: d.String(),
			Points: int(num(r.fields["points"])), ID: r.key.id})
	}
	closeTime := at(s.end, 9, 0)
	for _, t := range s.techs {
		for w := domain.WeekOf(domain.DateOf(s.firstPass)); !w.Start().After(domain.DateOf(closeTime)); w = w.Next() {
			p := policy(w.Start())
			due := domain.ReportDeadline(p, w)
			if !due.After(s.firstPass) || due.After(closeTime) {
				continue
			}
			onTime := false
			for _, r := range l.reports {
				if r.tech == t && domain.DateOf(r.week) == w.Start() && !r.sentAt.IsZero() && !r.sentAt.After(due) {
					onTime = true
				}
			}
			if !onTime {
				add(t.user.ID, domain.DateOf(due), scoreLine{Type: domain.IncidentMissedWeeklyReport, Date: domain.DateOf(due).String(),
					Points: p.IncidentTypes[domain.IncidentMissedWeeklyReport].Points, ID: domain.R1IncidentID(t.user.ID, w)})
			}
		}
		e.totals[t.user.ID] = map[domain.Month]int{}
		for _, m := range s.months() {
			total := policy(m.First()).BaseScore
			for _, line := range e.scores[t.user.ID][m] {
				total += line.Points
			}
			e.totals[t.user.ID][m] = total
		}
		// R7: consecutive closed months below the threshold.
		run := 0
		for _, m := range s.closed {
			p := policy(m.First())
			if e.totals[t.user.ID][m] < p.DowngradeBelow {
				run++
			} else {
				run = 0
			}
			if run >= p.DowngradeRun {
				e.flagged[t.user.ID] = true
			}
		}
	}

	// Money (R11–R16).
	var receipts []domain.Receipt
	for _, r := range l.keys(domain.CollReceipts) {
		if r.deleted {
			continue
		}
		d, _ := domain.ParseDate(str(r.fields["date"]))
		receipts = append(receipts, domain.Receipt{ID: r.key.id, Owner: r.owner.user.ID, Team: s.teamID, Photo: str(r.fields["photo"]),
			AmountFen: num(r.fields["amountFen"]), Date: d, Category: domain.ReceiptCategory(str(r.fields["category"])),
			TripLogID: str(r.fields["tripLogId"]), PurchaseRequestID: str(r.fields["purchaseRequestId"]),
			CreatedAt: time.Unix(int64(r.created), 0)}) // pushes are the server's instants, in order
	}
	claims := domain.FirstClaims(receipts)
	for _, r := range receipts {
		if first := r.DuplicateOfIn(claims); first != "" {
			e.dups[r.ID] = first
		}
	}
	for _, r := range l.keys(domain.CollTripLogs) {
		if r.deleted {
			continue
		}
		trip := domain.TripLog{ID: r.key.id, Owner: r.owner.user.ID, Team: s.teamID, DestinationCity: str(r.fields["destinationCity"]),
			OutsideHomeCity: boolean(r.fields["outsideHomeCity"]), StartAt: instant(r.fields["startAt"]), EndAt: instant(r.fields["endAt"]),
			TransportMode: str(r.fields["transportMode"]), DistanceKm: num(r.fields["distanceKm"]),
			NoCompanyCarAvailable: boolean(r.fields["noCompanyCarAvailable"]), Submitted: boolean(r.fields["submitted"])}
		for _, p := range r.fields["people"].([]any) {
			trip.People = append(trip.People, str(p))
		}
		if v, ok := r.fields["transportApproved"].(bool); ok {
			trip.TransportApproved = &v
		}
		p := policy(domain.DateOf(trip.StartAt))
		month := domain.MonthOf(domain.DateOf(trip.EndAt))
		if trip.EndAt.IsZero() {
			month = domain.MonthOf(domain.DateOf(trip.StartAt))
		}
		e.money = append(e.money, summarize(domain.CollTripLogs, r, month, p.Version, domain.TripReimbursement(p, trip, receipts, claims)))
	}
	for _, r := range l.keys(domain.CollPurchaseRequests) {
		if r.deleted {
			continue
		}
		pr := domain.PurchaseRequest{ID: r.key.id, Owner: r.owner.user.ID, Team: s.teamID, Submitted: boolean(r.fields["submitted"]),
			LeaderDecision: domain.Decision(str(r.fields["leaderDecision"])), PurchasingDecision: domain.Decision(str(r.fields["purchasingDecision"])),
			PurchasingSignedOff: boolean(r.fields["purchasingSignedOff"]), GMDecision: domain.Decision(str(r.fields["gmDecision"]))}
		for _, it := range r.fields["items"].([]any) {
			m := it.(map[string]any)
			pr.Items = append(pr.Items, domain.PurchaseItem{Name: str(m["name"]), Qty: num(m["qty"]), UnitPriceFen: num(m["unitPriceFen"])})
		}
		d := domain.DateOf(r.createdAt)
		p := policy(d)
		e.money = append(e.money, summarize(domain.CollPurchaseRequests, r, domain.MonthOf(d), p.Version,
			domain.PurchaseReimbursement(p, pr, receipts, claims)))
	}
	// Petty cash (R15).
	for _, m := range s.months() {
		e.petty[m] = policy(m.First()).PettyCashFloatFen
		for _, p := range l.payouts {
			if strings.HasPrefix(p.date, m.String()) {
				e.petty[m] -= p.amountFen
			}
		}
	}
	sort.Slice(e.money, func(i, j int) bool { return e.money[i].ID < e.money[j].ID })
	return e, nil
}

func summarize(coll string, r *expected, month domain.Month, version int, lines []domain.ReimbursementLine) *moneyLine {
	m := &moneyLine{Coll: coll, ID: r.key.id, Owner: r.owner.user.ID, Month: month, Lines: lines, policyVersion: version,
		reimbursementID: domain.DerivedID("reimbursement", coll, r.key.id)}
	for _, l := range lines {
		switch l.Status {
		case domain.LinePaid:
			m.Paid += l.AmountFen
		case domain.LineHeld:
			m.Held += l.AmountFen
			code, _, _ := strings.Cut(l.Reason, ":")
			m.HeldItems = append(m.HeldItems, domain.Yuan(l.AmountFen)+" "+l.Kind+" ("+code+")")
		case domain.LineDuplicate:
			m.Dup += l.AmountFen
		}
	}
	return m
}
