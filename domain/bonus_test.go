package domain

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// ruleYear returns tech's closed scores for every month of 2026 (95 each), with the overrides
// ("2026-03=89") applied and the months in drop left out.
func ruleYear(t *testing.T, tech string, overrides []string, drop ...string) []Score {
	t.Helper()
	totals := map[string]string{}
	for m := (Month{2026, time.January}); m.Year == 2026; m = m.Next() {
		totals[m.String()] = "95"
	}
	for _, o := range overrides {
		m, total, _ := strings.Cut(o, "=")
		totals[m] = total
	}
	var pairs []string
	for m, total := range totals {
		if !slices.Contains(drop, m) {
			pairs = append(pairs, m+"="+total)
		}
	}
	slices.Sort(pairs)
	return ruleScores(t, tech, pairs...)
}

func ruleMonthNames(ms []Month) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}

func TestYearEndBonus(t *testing.T) {
	v1 := ruleHistory(t)
	midYear := ruleHistory(t, rulePolicy(t, Month{2026, time.July}, func(p *Policy) {
		p.BonusThreshold, p.BonusMultiplier, p.BonusReduced = 85, 3, 1
		p.IncidentTypes["equipment_loss"] = IncidentType{MajorLoss: true, Label: "设备丢失"}
	}))
	loss := ruleIncident(1, ruleTech1, IncidentMajorLoss, Date{2026, 6, 10}, 0)
	loss.Reason = "客户设备损坏，赔偿2万元"
	waivedLoss, _ := loss.Waive("经核实非本人责任")
	lastYearLoss := ruleIncident(2, ruleTech1, IncidentMajorLoss, Date{2025, 12, 31}, 0)
	othersLoss := ruleIncident(3, ruleTech2, IncidentMajorLoss, Date{2026, 6, 10}, 0)
	equipmentLoss := ruleIncident(4, ruleTech1, "equipment_loss", Date{2026, 9, 1}, 0)
	cases := []struct {
		name       string
		h          PolicyHistory
		hired      Date
		year       int
		overrides  []string
		drop       []string
		incidents  []Incident
		eligible   bool
		multiplier int
		below      []string
		open       []string
		version    int
		reason     string // a part of one of the reasons
	}{
		{"every month 90 or more: 2 × pay", v1, Date{2024, 3, 1}, 2026, nil, nil, nil, true, 2, nil, nil, 1, "2 × monthly pay 450000 fen = 900000 fen (R10)"},
		{"exactly 90 counts as 90 or more (含90分)", v1, Date{2024, 3, 1}, 2026, []string{"2026-04=90"}, nil, nil, true, 2, nil, nil, 1, ""},
		{"one month at 89: 1 × pay", v1, Date{2024, 3, 1}, 2026, []string{"2026-03=89"}, nil, nil, true, 1, []string{"2026-03"}, nil, 1,
			"2026-03: 89 < 90 (R10)"},
		{"hired exactly one year before year end", v1, Date{2025, 12, 31}, 2026, nil, nil, nil, true, 2, nil, nil, 1,
			"hired 2025-12-31: at least 1 year(s) of service by 2026-12-31 (R8)"},
		{"hired on January 1: the whole year served", v1, Date{2026, 1, 1}, 2026, nil, nil, nil, true, 2, nil, nil, 1, ""},
		{"hired on January 2: short of a year", v1, Date{2026, 1, 2}, 2026, nil, nil, nil, false, 0, nil, nil, 1,
			"hired 2026-01-02: less than 1 year(s) of service by 2026-12-31 (R8)"},
		{"hire date unknown", v1, Date{}, 2026, nil, nil, nil, false, 0, nil, nil, 1, "hire date unknown"},
		{"a major loss in the year cancels it", v1, Date{2024, 3, 1}, 2026, nil, nil, []Incident{loss}, false, 0, nil, nil, 1,
			"major loss on 2026-06-10: 客户设备损坏，赔偿2万元 (R9)"},
		{"a waived major loss does not", v1, Date{2024, 3, 1}, 2026, nil, nil, []Incident{waivedLoss}, true, 2, nil, nil, 1,
			"major loss on 2026-06-10 waived: 经核实非本人责任 (R9)"},
		{"last year's major loss does not", v1, Date{2024, 3, 1}, 2026, nil, nil, []Incident{lastYearLoss}, true, 2, nil, nil, 1, ""},
		{"another technician's major loss does not", v1, Date{2024, 3, 1}, 2026, nil, nil, []Incident{othersLoss}, true, 2, nil, nil, 1, ""},
		{"a major-loss type the policy added cancels it", midYear, Date{2024, 3, 1}, 2026, nil, nil, []Incident{equipmentLoss}, false, 0, nil, nil, 2, ""},
		{"December not closed yet: judged on the closed months", v1, Date{2024, 3, 1}, 2026, nil, []string{"2026-12"}, nil, true, 2, nil,
			[]string{"2026-12"}, 1, "not closed yet, not judged: 2026-12"},
		{"no policy in force at the year's end", v1, Date{2020, 3, 1}, 2025, nil, nil, nil, false, 0, nil, nil, 0, "no policy in force on 2025-12-31"},
		{"policy change mid-year: 89 in March is below version 1's 90", midYear, Date{2024, 3, 1}, 2026, []string{"2026-03=89"}, nil, nil,
			true, 1, []string{"2026-03"}, nil, 2, "2026-03: 89 < 90 (R10)"},
		{"policy change mid-year: 87 in July is not below version 2's 85, paid at its 3 ×", midYear, Date{2024, 3, 1}, 2026,
			[]string{"2026-07=87"}, nil, nil, true, 3, nil, nil, 2, "3 × monthly pay"},
		{"policy change mid-year: 84 in July is below version 2's 85", midYear, Date{2024, 3, 1}, 2026, []string{"2026-07=84"}, nil, nil,
			true, 1, []string{"2026-07"}, nil, 2, "2026-07: 84 < 85 (R10)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := ruleTechnician(ruleTech1, tc.hired)
			closed := append(ruleYear(t, ruleTech1, tc.overrides, tc.drop...), ruleYear(t, ruleTech2, []string{"2026-05=10"})...)
			b := YearEndBonus(tc.h, u, tc.year, closed, tc.incidents)
			wantAmount := int64(tc.multiplier) * 450_000
			if b.Eligible != tc.eligible || b.Multiplier != tc.multiplier || b.AmountFen != wantAmount || b.MonthlyPayFen != 450_000 {
				t.Fatalf("eligible %v × %d = %d fen, want %v × %d = %d\nreasons %q", b.Eligible, b.Multiplier, b.AmountFen,
					tc.eligible, tc.multiplier, wantAmount, b.Reasons)
			}
			if !slices.Equal(ruleMonthNames(b.BelowThreshold), tc.below) || !slices.Equal(ruleMonthNames(b.OpenMonths), tc.open) {
				t.Fatalf("below %v open %v, want %v %v", b.BelowThreshold, b.OpenMonths, tc.below, tc.open)
			}
			if b.PolicyVersion != tc.version || b.TechnicianID != ruleTech1 || b.Year != tc.year {
				t.Fatalf("bonus %+v", b)
			}
			if tc.reason != "" && !slices.ContainsFunc(b.Reasons, func(r string) bool { return strings.Contains(r, tc.reason) }) {
				t.Fatalf("reasons %q, want one containing %q", b.Reasons, tc.reason)
			}
		})
	}
	t.Run("the reasons in order: tenure, major losses, months below, result", func(t *testing.T) {
		u := ruleTechnician(ruleTech1, Date{2024, 3, 1})
		b := YearEndBonus(v1, u, 2026, ruleYear(t, ruleTech1, []string{"2026-02=80", "2026-11=89"}), []Incident{waivedLoss})
		want := []string{
			"hired 2024-03-01: at least 1 year(s) of service by 2026-12-31 (R8)",
			"major loss on 2026-06-10 waived: 经核实非本人责任 (R9)",
			"2026-02: 80 < 90 (R10)",
			"2026-11: 89 < 90 (R10)",
			"1 × monthly pay 450000 fen = 450000 fen (R10)",
		}
		if !slices.Equal(b.Reasons, want) {
			t.Fatalf("reasons\n%s\nwant\n%s", strings.Join(b.Reasons, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("the months before the hire month are not judged", func(t *testing.T) {
		p := rulePolicy(t, Month{2026, time.February}, func(p *Policy) { p.BonusTenureYears = 0 })
		u := ruleTechnician(ruleTech1, Date{2026, 5, 18})
		b := YearEndBonus(ruleHistory(t, p), u, 2026, ruleYear(t, ruleTech1, []string{"2026-03=50"}, "2026-12"), nil)
		if !b.Eligible || b.Multiplier != 2 || fmt.Sprint(ruleMonthNames(b.OpenMonths)) != "[2026-12]" {
			t.Fatalf("bonus %+v", b)
		}
	})
}
