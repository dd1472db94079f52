package domain

import (
	"fmt"
	"slices"
	"strings"
)

// Bonus is a member's year-end bonus 年终奖 for Year (R8–R10, SPEC.md). When Eligible, AmountFen =
// Multiplier × MonthlyPayFen (the most recent monthly pay, fen); otherwise both AmountFen and
// Multiplier are 0. Reasons explain the result line by line, in this order: tenure (R8), each
// major loss (R9), each month below the threshold (R10), the months not closed yet, the result.
// BelowThreshold lists the closed months below the threshold, OpenMonths the months of the year
// the member worked that have no closed score yet (a bonus computed before December closes is
// provisional). PolicyVersion is the version in force on December 31, whose tenure and
// multipliers apply.
type Bonus struct {
	TechnicianID   string
	Year           int
	Eligible       bool
	AmountFen      int64
	Multiplier     int
	MonthlyPayFen  int64
	Reasons        []string
	BelowThreshold []Month
	OpenMonths     []Month
	PolicyVersion  int
}

// ID returns the bonus's deterministic id: DerivedID("year_end_bonus", technician id, year).
func (b Bonus) ID() string {
	return DerivedID("year_end_bonus", strings.ToLower(b.TechnicianID), fmt.Sprint(b.Year))
}

// YearEndBonus implements R8–R10 (SPEC.md) for member u and year (calendar year, Asia/Shanghai):
//   - R8, tenure: eligible only with the policy's BonusTenureYears (1) of service at year end,
//     counting the hire day and December 31 both as days served: u.HireDate plus that many years
//     must be on or before January 1 of the next year. A hire date exactly one year before year
//     end (2025-12-31 for 2026) is eligible, and so is 2026-01-01 (the whole calendar year
//     worked, as a one-year contract from 2026-01-01 ends 2026-12-31); 2026-01-02 is not. A zero
//     HireDate is not eligible (tenure unknown).
//   - R9: an incident of u of a major-loss type (its policy's IncidentType.MajorLoss, or type
//     major_loss) DATED in the year cancels the bonus, unless waived.
//   - R10: every closed month of the year the member worked (from the hire month on) scoring at
//     least that month's own policy BonusThreshold (90, inclusive: 含90分) pays BonusMultiplier (2)
//     × u.MonthlyPayFen; any such month below pays BonusReduced (1) ×. Months without a closed
//     score are listed in OpenMonths and not judged.
//
// closed holds closed-month scores in any order (other technicians' and other years' are
// ignored; of two for one month the first counts); incidents may be a team's whole history.
// u.MonthlyPayFen is taken as the most recent monthly pay (以年终最近一次工资发放金额为准): pass
// the member as paid at year end. The tenure and the multipliers come from the version in force on
// December 31; with no version in force then the member is not eligible.
func YearEndBonus(h PolicyHistory, u User, year int, closed []Score, incidents []Incident) Bonus {
	b := Bonus{TechnicianID: u.ID, Year: year, MonthlyPayFen: u.MonthlyPayFen}
	yearEnd := Date{Year: year, Month: 12, Day: 31}
	p, err := h.At(yearEnd)
	if err != nil {
		b.Reasons = append(b.Reasons, fmt.Sprintf("no policy in force on %s: no bonus", yearEnd))
		return b
	}
	b.PolicyVersion = p.Version
	tenureOK := bonusTenure(&b, p, u.HireDate, yearEnd)
	lossFree := bonusMajorLosses(&b, h, u.ID, year, incidents)
	bonusMonths(&b, h, u, year, closed)

	b.Eligible = tenureOK && lossFree
	switch {
	case !b.Eligible:
		b.Reasons = append(b.Reasons, "not eligible: no bonus")
		return b
	case len(b.BelowThreshold) == 0:
		b.Multiplier = p.BonusMultiplier
	default:
		b.Multiplier = p.BonusReduced
	}
	b.AmountFen = int64(b.Multiplier) * u.MonthlyPayFen
	b.Reasons = append(b.Reasons, fmt.Sprintf("%d × monthly pay %d fen = %d fen (R10)", b.Multiplier, u.MonthlyPayFen, b.AmountFen))
	return b
}

// bonusTenure applies R8 and notes the reason; it reports eligibility by tenure.
func bonusTenure(b *Bonus, p Policy, hired, yearEnd Date) bool {
	if hired.IsZero() {
		b.Reasons = append(b.Reasons, "hire date unknown: tenure cannot be counted (R8)")
		return false
	}
	// Served n years by the end of yearEnd when the n-th anniversary is no later than the day after.
	anniversary := DateOf(hired.Start().AddDate(p.BonusTenureYears, 0, 0))
	if anniversary.After(yearEnd.AddDays(1)) {
		b.Reasons = append(b.Reasons, fmt.Sprintf("hired %s: less than %d year(s) of service by %s (R8)", hired, p.BonusTenureYears, yearEnd))
		return false
	}
	b.Reasons = append(b.Reasons, fmt.Sprintf("hired %s: at least %d year(s) of service by %s (R8)", hired, p.BonusTenureYears, yearEnd))
	return true
}

// bonusMajorLosses applies R9 and notes a reason per major loss; it reports whether none counts.
func bonusMajorLosses(b *Bonus, h PolicyHistory, techID string, year int, incidents []Incident) bool {
	var losses []Incident
	for _, inc := range incidents {
		if !strings.EqualFold(inc.TechnicianID, techID) || inc.Date.Year != year {
			continue
		}
		major := inc.Type == IncidentMajorLoss
		if p, err := h.At(inc.Date); err == nil {
			major = major || p.IncidentTypes[inc.Type].MajorLoss
		}
		if major {
			losses = append(losses, inc)
		}
	}
	slices.SortFunc(losses, func(a, c Incident) int {
		if d := a.Date.Compare(c.Date); d != 0 {
			return d
		}
		return strings.Compare(a.ID, c.ID)
	})
	counted := 0
	for _, inc := range losses {
		if inc.Waived {
			b.Reasons = append(b.Reasons, fmt.Sprintf("major loss on %s waived: %s (R9)", inc.Date, inc.WaivedReason))
			continue
		}
		counted++
		b.Reasons = append(b.Reasons, fmt.Sprintf("major loss on %s: %s (R9)", inc.Date, inc.Reason))
	}
	return counted == 0
}

// bonusMonths judges each month of year that u worked (R10) and notes those below the threshold
// and those not closed yet.
func bonusMonths(b *Bonus, h PolicyHistory, u User, year int, closed []Score) {
	scores := map[Month]Score{}
	for _, s := range closed {
		if _, dup := scores[s.Month]; !dup && s.Month.Year == year && strings.EqualFold(s.TechnicianID, u.ID) {
			scores[s.Month] = s
		}
	}
	first := Month{Year: year, Month: 1}
	if hm := MonthOf(u.HireDate); !u.HireDate.IsZero() && hm.After(first) {
		first = hm
	}
	for m := first; m.Year == year; m = m.Next() {
		s, ok := scores[m]
		if !ok {
			b.OpenMonths = append(b.OpenMonths, m)
			continue
		}
		p, err := h.ForMonth(m)
		if err != nil {
			continue // no rule in force that month: nothing to judge it by
		}
		if s.Total < p.BonusThreshold {
			b.BelowThreshold = append(b.BelowThreshold, m)
			b.Reasons = append(b.Reasons, fmt.Sprintf("%s: %d < %d (R10)", m, s.Total, p.BonusThreshold))
		}
	}
	if len(b.OpenMonths) > 0 {
		names := make([]string, len(b.OpenMonths))
		for i, m := range b.OpenMonths {
			names[i] = m.String()
		}
		b.Reasons = append(b.Reasons, "not closed yet, not judged: "+strings.Join(names, ", "))
	}
}
