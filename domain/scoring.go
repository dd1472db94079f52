package domain

import (
	"fmt"
	"slices"
	"strings"
)

// Score is one technician's assessment 考核 for one month (R4, SPEC.md): Base (the policy's base
// score, 100) minus Deductions plus Additions gives Total, not capped at 100. Deductions and
// Additions are magnitudes (>= 0): Total = Base - Deductions + Additions. Lines list every
// incident counted in the month, waived ones included (they count for nothing), oldest first.
// PolicyVersion is the version the month was computed under (the one in force on its first day).
type Score struct {
	Month         Month
	TechnicianID  string
	Base          int
	Lines         []ScoreLine
	Deductions    int
	Additions     int
	Total         int
	PolicyVersion int
}

// ScoreLine is one incident in a Score: its id, type, date and points (negative deducts).
// Adjustment marks an incident dated in AdjustmentOf, a month already closed when it was
// recorded, that counts in this month instead (R5). Waived lines are listed, not counted.
type ScoreLine struct {
	IncidentID   string
	Type         string
	Date         Date
	Points       int
	Adjustment   bool
	AdjustmentOf *Month
	Waived       bool
}

// MonthlyScore computes technicianID's score for month m under p, the policy in force on m's
// first day (PolicyHistory.ForMonth) (R4, SPEC.md): every incident of the technician that counts
// in m (its CountsIn, or the month of its date when not placed) is a line, ordered by date then
// id; waived incidents are listed but add nothing; adjustments for closed months (R5) count here
// and are labelled with the month they belong to. Incidents of other technicians or months are
// ignored, so the caller may pass a team's whole month. A month without incidents scores Base.
// Points are the incidents' own (fixed when recorded), never re-read from p.
func MonthlyScore(p Policy, m Month, technicianID string, incidents []Incident) Score {
	s := Score{Month: m, TechnicianID: technicianID, Base: p.BaseScore, PolicyVersion: p.Version}
	for _, inc := range incidents {
		if !strings.EqualFold(inc.TechnicianID, technicianID) || inc.countsInMonth() != m {
			continue
		}
		line := ScoreLine{IncidentID: inc.ID, Type: inc.Type, Date: inc.Date, Points: inc.Points, Waived: inc.Waived}
		if inc.AdjustmentOf != nil && *inc.AdjustmentOf != m {
			of := *inc.AdjustmentOf
			line.Adjustment, line.AdjustmentOf = true, &of
		}
		s.Lines = append(s.Lines, line)
		switch {
		case inc.Waived:
		case inc.Points < 0:
			s.Deductions -= inc.Points
		default:
			s.Additions += inc.Points
		}
	}
	slices.SortFunc(s.Lines, func(a, b ScoreLine) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.IncidentID, b.IncidentID)
	})
	s.Total = s.Base - s.Deductions + s.Additions
	return s
}

// ScoreMonth is MonthlyScore under the version of h in force on m's first day (R4: each month is
// computed under its own policy). Errors: wraps ErrNotFound when no version is in force then.
func ScoreMonth(h PolicyHistory, m Month, technicianID string, incidents []Incident) (Score, error) {
	p, err := h.ForMonth(m)
	if err != nil {
		return Score{}, fmt.Errorf("score %s: %w", m, err)
	}
	return MonthlyScore(p, m, technicianID, incidents), nil
}

// PlaceIncident decides the month an incident dated date counts in (R5, SPEC.md): the month of
// its date while that month is open, with adjustmentOf nil; when closed reports that month closed,
// open (the month adjustments land in: the open month after the closed ones) with adjustmentOf
// the closed month, so that a closed assessment is never rewritten. A nil closed means no month
// is closed.
func PlaceIncident(date Date, closed func(Month) bool, open Month) (countsIn Month, adjustmentOf *Month) {
	m := MonthOf(date)
	if closed == nil || !closed(m) {
		return m, nil
	}
	return open, &m
}

// CloseDue returns the day by which month m's assessment is due to HR (R5, SPEC.md): the
// policy's MonthCloseDay (5) of the following month; for 2026-12, 2027-01-05.
func CloseDue(p Policy, m Month) Date {
	next := m.Next()
	return Date{Year: next.Year, Month: next.Month, Day: p.MonthCloseDay}
}

// CheckMonthClose returns nil when the leader may close month m on the civil date today (R5):
// the month has ended (today is after its last day) and is not closed yet. The close day
// (CloseDue) is a deadline, not a gate: a late close is allowed. Errors: a *Error with code
// invalid ({"month": "ended"}) before the month ends, code conflict when it is already closed.
func CheckMonthClose(m Month, today Date, closed func(Month) bool) error {
	if closed != nil && closed(m) {
		return Errorf(CodeConflict, "%s is already closed", m)
	}
	if !today.After(m.Last()) {
		return Invalid("a month can be closed once it has ended", map[string]string{"month": "ended"})
	}
	return nil
}
