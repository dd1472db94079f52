package domain

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// ruleIncident returns an incident of tech on day worth points, placed in its own month.
func ruleIncident(n int, tech, typ string, day Date, points int) Incident {
	return Incident{ID: ruleIncidentID(n), TechnicianID: tech, TeamID: ruleTeam, Type: typ, Date: day, Points: points,
		CreatedBy: ruleLeader, CountsIn: MonthOf(day)}
}

// lineKeys names each score line "date type points[ waived][ adj:month]".
func ruleLineKeys(s Score) []string {
	var keys []string
	for _, l := range s.Lines {
		k := fmt.Sprintf("%s %s %d", l.Date, l.Type, l.Points)
		if l.Waived {
			k += " waived"
		}
		if l.Adjustment {
			k += " adj:" + l.AdjustmentOf.String()
		}
		keys = append(keys, k)
	}
	return keys
}

func TestMonthlyScore(t *testing.T) {
	nov := Month{2026, time.November}
	missed := ruleIncident(1, ruleTech1, IncidentMissedWeeklyReport, Date{2026, 11, 7}, -2)
	leftPost := ruleIncident(2, ruleTech1, IncidentLeftPost, Date{2026, 11, 4}, -5)
	praise := ruleIncident(3, ruleTech1, IncidentCommendation, Date{2026, 11, 20}, 3)
	bigPraise := ruleIncident(4, ruleTech1, IncidentCommendation, Date{2026, 11, 21}, 5)
	waived, _ := ruleIncident(5, ruleTech1, IncidentMissedWeeklyReport, Date{2026, 11, 14}, -2).Waive("山区无信号")
	late := ruleIncident(6, ruleTech1, IncidentUnreachable, Date{2026, 10, 30}, -2).Place(
		func(m Month) bool { return m.Before(nov) }, nov)
	unplaced := ruleIncident(7, ruleTech1, IncidentUnreachable, Date{2026, 11, 9}, -2)
	unplaced.CountsIn = Month{}
	otherTech := ruleIncident(8, ruleTech2, IncidentLeftPost, Date{2026, 11, 4}, -5)
	otherMonth := ruleIncident(9, ruleTech1, IncidentLeftPost, Date{2026, 12, 1}, -5)
	cases := []struct {
		name                  string
		incidents             []Incident
		deductions, additions int
		total                 int
		lines                 []string
	}{
		{"a clean month scores the base", nil, 0, 0, 100, nil},
		{"R1 and R3 deduct", []Incident{missed, leftPost}, 7, 0, 93,
			[]string{"2026-11-04 left_post -5", "2026-11-07 missed_weekly_report -2"}},
		{"commendations add, uncapped", []Incident{praise, bigPraise}, 0, 8, 108,
			[]string{"2026-11-20 commendation 3", "2026-11-21 commendation 5"}},
		{"a waived incident is listed, not counted", []Incident{missed, waived}, 2, 0, 98,
			[]string{"2026-11-07 missed_weekly_report -2", "2026-11-14 missed_weekly_report -2 waived"}},
		{"an adjustment for closed October counts in November, labelled", []Incident{late, praise}, 2, 3, 101,
			[]string{"2026-10-30 unreachable -2 adj:2026-10", "2026-11-20 commendation 3"}},
		{"an incident not placed counts in its date's month", []Incident{unplaced}, 2, 0, 98,
			[]string{"2026-11-09 unreachable -2"}},
		{"other technicians and months are ignored", []Incident{otherTech, otherMonth, missed}, 2, 0, 98,
			[]string{"2026-11-07 missed_weekly_report -2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := MonthlyScore(DefaultPolicy(), nov, ruleTech1, tc.incidents)
			if s.Month != nov || s.TechnicianID != ruleTech1 || s.Base != 100 || s.PolicyVersion != 1 {
				t.Fatalf("score header %+v", s)
			}
			if s.Deductions != tc.deductions || s.Additions != tc.additions || s.Total != tc.total {
				t.Fatalf("-%d +%d = %d, want -%d +%d = %d", s.Deductions, s.Additions, s.Total, tc.deductions, tc.additions, tc.total)
			}
			if keys := ruleLineKeys(s); !slices.Equal(keys, tc.lines) {
				t.Fatalf("lines %v, want %v", keys, tc.lines)
			}
		})
	}
	t.Run("the base comes from the month's policy", func(t *testing.T) {
		p := clonePolicy(DefaultPolicy())
		p.Version, p.BaseScore = 2, 120
		if s := MonthlyScore(p, nov, ruleTech1, []Incident{missed}); s.Total != 118 || s.PolicyVersion != 2 {
			t.Fatalf("score %+v", s)
		}
	})
}

func TestPlaceIncident(t *testing.T) {
	closedThroughOctober := func(m Month) bool { return !m.After(Month{2026, time.October}) }
	oct, nov := Month{2026, time.October}, Month{2026, time.November}
	cases := []struct {
		name   string
		date   Date
		closed func(Month) bool
		counts Month
		adj    *Month
	}{
		{"an open month keeps its incident", Date{2026, 11, 3}, closedThroughOctober, nov, nil},
		{"a closed month's incident lands in the open month", Date{2026, 10, 31}, closedThroughOctober, nov, &oct},
		{"an older closed month too", Date{2026, 3, 2}, closedThroughOctober, nov, &Month{2026, time.March}},
		{"nothing closed", Date{2026, 10, 31}, nil, oct, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counts, adj := PlaceIncident(tc.date, tc.closed, nov)
			if counts != tc.counts || (adj == nil) != (tc.adj == nil) || (adj != nil && *adj != *tc.adj) {
				t.Fatalf("PlaceIncident = %v, %v; want %v, %v", counts, adj, tc.counts, tc.adj)
			}
		})
	}
}

func TestCloseDue(t *testing.T) {
	p := DefaultPolicy()
	if got := CloseDue(p, Month{2026, time.November}); got != (Date{2026, 12, 5}) {
		t.Fatalf("CloseDue(2026-11) = %v", got)
	}
	if got := CloseDue(p, Month{2026, time.December}); got != (Date{2027, 1, 5}) {
		t.Fatalf("CloseDue(2026-12) = %v", got)
	}
}

func TestCheckMonthClose(t *testing.T) {
	nov := Month{2026, time.November}
	closedNov := func(m Month) bool { return m == nov }
	cases := []struct {
		name   string
		today  Date
		closed func(Month) bool
		code   Code
	}{
		{"on the month's last day", Date{2026, 11, 30}, nil, CodeInvalid},
		{"the day after", Date{2026, 12, 1}, nil, ""},
		{"after the close day", Date{2026, 12, 9}, nil, ""},
		{"already closed", Date{2026, 12, 2}, closedNov, CodeConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckMonthClose(nov, tc.today, tc.closed); ErrorCode(err) != tc.code {
				t.Fatalf("CheckMonthClose: %v, want %q", err, tc.code)
			}
		})
	}
	if err := CheckMonthClose(nov, Date{2026, 12, 2}, closedNov); !errors.Is(err, ErrConflict) {
		t.Fatalf("errors.Is(conflict): %v", err)
	}
}

func TestScoreMonth(t *testing.T) {
	h := ruleHistory(t, rulePolicy(t, Month{2026, time.July}, func(p *Policy) { p.BaseScore = 110 }))
	missed := ruleIncident(1, ruleTech1, IncidentMissedWeeklyReport, Date{2026, 7, 4}, -2)
	if s, err := ScoreMonth(h, Month{2026, time.July}, ruleTech1, []Incident{missed}); err != nil || s.Total != 108 || s.PolicyVersion != 2 {
		t.Fatalf("ScoreMonth(2026-07) = %+v, %v", s, err)
	}
	if s, err := ScoreMonth(h, Month{2026, time.June}, ruleTech1, nil); err != nil || s.Total != 100 || s.PolicyVersion != 1 {
		t.Fatalf("ScoreMonth(2026-06) = %+v, %v", s, err)
	}
	if _, err := ScoreMonth(h, Month{2025, time.December}, ruleTech1, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ScoreMonth before the first version: %v", err)
	}
}
