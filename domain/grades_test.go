package domain

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBandsAndPay(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		name   string
		grade  Grade
		pay    int64
		fields map[string]string
	}{
		{"A at its top", GradeA, 600_000, nil},
		{"A above its top", GradeA, 600_001, map[string]string{"monthlyPayFen": "band=500000..600000"}},
		{"exactly 5000.00 CNY fits A", GradeA, 500_000, nil},
		{"exactly 5000.00 CNY fits B", GradeB, 500_000, nil},
		{"B below its bottom", GradeB, 399_999, map[string]string{"monthlyPayFen": "band=400000..500000"}},
		{"C at its bottom", GradeC, 300_000, nil},
		{"C below its bottom", GradeC, 299_999, map[string]string{"monthlyPayFen": "band=300000..400000"}},
		{"on probation: no band", "", 250_000, nil},
		{"negative pay", GradeC, -1, map[string]string{"monthlyPayFen": "min=0"}},
		{"grade D", "D", 350_000, map[string]string{"grade": "oneof=A B C"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPay(p, tc.grade, tc.pay)
			if tc.fields == nil && err != nil || tc.fields != nil && (ErrorCode(err) != CodeInvalid || !maps.Equal(ErrorFields(err), tc.fields)) {
				t.Fatalf("CheckPay: %v %v, want %v", err, ErrorFields(err), tc.fields)
			}
		})
	}
	if b, err := BandOf(p, GradeB); err != nil || b != (PayBand{MinFen: 400_000, MaxFen: 500_000}) {
		t.Fatalf("BandOf(B) = %+v, %v", b, err)
	}
	if _, err := BandOf(p, ""); ErrorCode(err) != CodeInvalid {
		t.Fatalf("BandOf(probation): %v", err)
	}
}

// ruleScores returns closed scores of tech, one per "YYYY-MM=total" pair.
func ruleScores(t *testing.T, tech string, pairs ...string) []Score {
	t.Helper()
	var out []Score
	for _, pair := range pairs {
		ms, ts, _ := strings.Cut(pair, "=")
		m, err := ParseMonth(ms)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, c := range ts {
			total = total*10 + int(c-'0')
		}
		out = append(out, Score{Month: m, TechnicianID: tech, Base: 100, Total: total, PolicyVersion: 1})
	}
	return out
}

func TestDowngradeReview(t *testing.T) {
	member := ruleTechnician(ruleTech1, Date{2024, 3, 1}) // grade B
	laxer := rulePolicy(t, Month{2027, time.January}, func(p *Policy) { p.DowngradeBelow = 85 })
	cases := []struct {
		name   string
		h      PolicyHistory
		grade  Grade
		scores []string
		want   [][]string // months of each flag
	}{
		{"two months below 90 across December → January", ruleHistory(t), GradeB,
			[]string{"2027-01=88", "2026-11=95", "2026-12=89"}, [][]string{{"2026-12", "2027-01"}}},
		{"exactly 90 is not below", ruleHistory(t), GradeB, []string{"2026-05=90", "2026-06=89", "2026-07=90"}, nil},
		{"a good month between breaks the run", ruleHistory(t), GradeB, []string{"2026-05=80", "2026-06=91", "2026-07=80"}, nil},
		{"a month not closed breaks the run", ruleHistory(t), GradeB, []string{"2026-05=80", "2026-07=80"}, nil},
		{"three months below: one flag", ruleHistory(t), GradeB, []string{"2026-05=80", "2026-06=80", "2026-07=80"},
			[][]string{{"2026-05", "2026-06"}}},
		{"four months below: two flags", ruleHistory(t), GradeB, []string{"2026-05=80", "2026-06=80", "2026-07=80", "2026-08=80"},
			[][]string{{"2026-05", "2026-06"}, {"2026-07", "2026-08"}}},
		{"each month under its own policy: 88 in January 2027 is not below 85", ruleHistory(t, laxer), GradeB,
			[]string{"2026-12=88", "2027-01=88"}, nil},
		{"under its own policy: 84 in January 2027 is", ruleHistory(t, laxer), GradeB,
			[]string{"2026-12=88", "2027-01=84"}, [][]string{{"2026-12", "2027-01"}}},
		{"C stays C but is flagged", ruleHistory(t), GradeC, []string{"2026-05=70", "2026-06=70"}, [][]string{{"2026-05", "2026-06"}}},
		{"on probation: no grade, no flag", ruleHistory(t), "", []string{"2026-05=70", "2026-06=70"}, nil},
		{"months before the first policy are not judged", ruleHistory(t), GradeB, []string{"2025-12=70", "2026-01=70"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := member
			u.Grade = tc.grade
			scores := append(ruleScores(t, ruleTech1, tc.scores...), ruleScores(t, ruleTech2, "2026-05=10", "2026-06=10")...)
			flags := DowngradeReview(tc.h, u, scores)
			var got [][]string
			for _, f := range flags {
				var ms []string
				for _, m := range f.Months {
					ms = append(ms, m.String())
				}
				got = append(got, ms)
				if f.TechnicianID != ruleTech1 || f.From != tc.grade || f.To != Downgrade(tc.grade) || len(f.Totals) != len(f.Months) {
					t.Fatalf("flag %+v", f)
				}
				if !strings.Contains(f.Reason, "(R7)") || !IsUUID(f.ID()) {
					t.Fatalf("flag reason %q id %q", f.Reason, f.ID())
				}
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Fatalf("flags %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("the reason names the months and the downgrade", func(t *testing.T) {
		u := member
		u.Grade = GradeC
		flags := DowngradeReview(ruleHistory(t), u, ruleScores(t, ruleTech1, "2026-12=89", "2027-01=88"))
		want := "2 consecutive closed months below the threshold (2026-12: 89 < 90, 2027-01: 88 < 90): downgrade C → C (R7); grade C is the lowest and stays"
		if len(flags) != 1 || flags[0].Reason != want || !slices.Equal(flags[0].Totals, []int{89, 88}) {
			t.Fatalf("flags %+v\nwant reason %s", flags, want)
		}
	})
}

func TestDowngrade(t *testing.T) {
	for from, to := range map[Grade]Grade{GradeA: GradeB, GradeB: GradeC, GradeC: GradeC, "": ""} {
		if got := Downgrade(from); got != to {
			t.Errorf("Downgrade(%q) = %q, want %q", from, got, to)
		}
	}
}
