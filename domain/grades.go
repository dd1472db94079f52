package domain

import (
	"fmt"
	"slices"
	"strings"
)

// BandOf returns grade g's monthly pay band in fen, assessment pay included (R6, SPEC.md): with
// the seed's policy A 500000–600000, B 400000–500000, C 300000–400000. Errors: a *Error with code
// invalid, Fields {"grade": "oneof=A B C"}, for a grade p has no band for (including "", a
// member on probation).
func BandOf(p Policy, g Grade) (PayBand, error) {
	b, ok := p.PayBands[g]
	if !ok {
		return PayBand{}, Invalid("unknown grade", map[string]string{"grade": "oneof=A B C"})
	}
	return b, nil
}

// CheckPay returns nil when payFen (monthly pay in fen) lies in grade g's band, both bounds
// included (R6): 500000 fen fits both A and B, the seed's bands touching there. A member on
// probation (g == "") has no band and any pay >= 0 passes. Errors: a *Error with code invalid
// with Fields {"monthlyPayFen": "min=0"} or {"monthlyPayFen": "band=<minFen>..<maxFen>"}, or
// BandOf's error for an unknown grade.
func CheckPay(p Policy, g Grade, payFen int64) error {
	if payFen < 0 {
		return Invalid("pay cannot be negative", map[string]string{"monthlyPayFen": "min=0"})
	}
	if g == "" {
		return nil
	}
	b, err := BandOf(p, g)
	if err != nil {
		return err
	}
	if payFen < b.MinFen || payFen > b.MaxFen {
		return Invalid(fmt.Sprintf("grade %s pays %d–%d fen a month", g, b.MinFen, b.MaxFen),
			map[string]string{"monthlyPayFen": fmt.Sprintf("band=%d..%d", b.MinFen, b.MaxFen)})
	}
	return nil
}

// Downgrade returns the grade one below g (R7): A → B, B → C; C stays C, and anything else
// (probation's "") is returned unchanged.
func Downgrade(g Grade) Grade {
	switch g {
	case GradeA:
		return GradeB
	case GradeB:
		return GradeC
	}
	return g
}

// GradeFlag flags a member for a downgrade by one grade (R7, SPEC.md): Months is the run of
// consecutive closed months (oldest first) whose Totals (same order) were each below that
// month's policy DowngradeBelow. From is the member's grade as given to DowngradeReview, To the
// grade below (C stays C: the flag is still raised for the leader). Reason is a sentence for the
// leader and HR.
type GradeFlag struct {
	TechnicianID string
	Months       []Month
	Totals       []int
	From         Grade
	To           Grade
	Reason       string
}

// ID returns the flag's deterministic id: DerivedID("grade_review", technician id, first month,
// last month), so that a recomputation finds the flag already stored.
func (f GradeFlag) ID() string {
	if len(f.Months) == 0 {
		return DerivedID("grade_review", strings.ToLower(f.TechnicianID))
	}
	return DerivedID("grade_review", strings.ToLower(f.TechnicianID), f.Months[0].String(), f.Months[len(f.Months)-1].String())
}

// DowngradeReview implements R7 (SPEC.md) for member u: scores are u's CLOSED months' scores in
// any order (other technicians' scores are ignored; of two scores for one month the first given
// counts). Every run of DowngradeRun consecutive calendar months (across year ends: December →
// January) each scoring below DowngradeBelow gives one flag; each month is judged under its own
// month's policy (h.ForMonth), and the run length is that of the policy of the month that
// completes the run. Runs do not overlap: after a flag the count starts again, so four
// consecutive months below 90 give two flags and three give one. A month without a closed
// score (not closed yet, or missing) breaks a run. Members without a grade (on probation) are
// not graded and get no flags (R6: grades apply past probation). Flags are ordered by month.
func DowngradeReview(h PolicyHistory, u User, scores []Score) []GradeFlag {
	if u.Grade == "" {
		return nil
	}
	mine := map[Month]Score{}
	var months []Month
	for _, s := range scores {
		if !strings.EqualFold(s.TechnicianID, u.ID) {
			continue
		}
		if _, dup := mine[s.Month]; !dup {
			mine[s.Month] = s
			months = append(months, s.Month)
		}
	}
	slices.SortFunc(months, Month.Compare)
	var flags []GradeFlag
	var run []Month
	for _, m := range months {
		p, err := h.ForMonth(m)
		if err != nil || mine[m].Total >= p.DowngradeBelow {
			run = nil
			continue
		}
		if len(run) > 0 && run[len(run)-1].Next() != m {
			run = nil // a gap: months not consecutive
		}
		run = append(run, m)
		if len(run) < p.DowngradeRun {
			continue
		}
		flags = append(flags, gradeFlag(h, u, run, mine))
		run = nil
	}
	return flags
}

func gradeFlag(h PolicyHistory, u User, run []Month, scores map[Month]Score) GradeFlag {
	f := GradeFlag{TechnicianID: u.ID, Months: slices.Clone(run), From: u.Grade, To: Downgrade(u.Grade)}
	parts := make([]string, len(run))
	for i, m := range run {
		p, _ := h.ForMonth(m) // found: DowngradeReview judged m under it
		f.Totals = append(f.Totals, scores[m].Total)
		parts[i] = fmt.Sprintf("%s: %d < %d", m, scores[m].Total, p.DowngradeBelow)
	}
	f.Reason = fmt.Sprintf("%d consecutive closed months below the threshold (%s): downgrade %s → %s (R7)",
		len(run), strings.Join(parts, ", "), f.From, f.To)
	if f.From == f.To {
		f.Reason += "; grade " + string(f.From) + " is the lowest and stays"
	}
	return f
}
