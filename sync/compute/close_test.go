package compute_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// onTime pushes every tech's weekly report for each week (Mondays) on its Friday at 10:00.
func (r *rig) onTime(techs []domain.Principal, mondays ...string) {
	r.t.Helper()
	for _, monday := range mondays {
		d, err := domain.ParseDate(monday)
		if err != nil {
			r.t.Fatal(err)
		}
		r.clock.Set(d.AddDays(4).Start().Add(10 * time.Hour))
		for _, tech := range techs {
			r.report(tech, monday, r.clock.Now())
		}
	}
}

func month(s string) domain.Month { m, _ := domain.ParseMonth(s); return m }

// lineOf returns the line of incident id in a pulled assessment (nil when absent).
func lineOf(a map[string]any, id string) map[string]any {
	lines, _ := a["lines"].([]any)
	for _, l := range lines {
		if m := l.(map[string]any); m["incidentId"] == id {
			return m
		}
	}
	return nil
}

// TestAssessmentsCloseAndAdjustments walks a team's March: an incident is scored and pulled by
// the right people only; a late weekly report is pending; the leader closes March (hr sees it
// from then on); an incident for March recorded after the close lands in April as an
// adjustment; the frozen incident is locked to edits, the adjustment is not.
func TestAssessmentsCloseAndAdjustments(t *testing.T) {
	r := newRig(t)
	w := r.worker()
	ctx := context.Background()
	r.runAt(w, at(2026, 3, 2, 9, 0))
	r.onTime([]domain.Principal{r.tech1, r.tech2}, "2026-03-02") // team B's reports do not matter here

	r.clock.Set(at(2026, 3, 10, 10, 0))
	i1 := r.incident(r.leaderA, r.tech1, domain.IncidentUnreachable, "2026-03-10", map[string]any{"note": "电话不通"})
	r.runAt(w, at(2026, 3, 10, 12, 0))
	mine := r.assessment(r.tech1, r.tech1, "2026-03")
	if mine == nil || num(t, mine["total"]) != 98 || num(t, mine["deductions"]) != 2 || mine["state"] != "open" ||
		lineOf(mine, i1) == nil || num(t, lineOf(mine, i1)["points"]) != -2 || num(t, mine["policyVersion"]) != 1 {
		t.Fatalf("tech1's March after the incident: %v", mine)
	}
	version := num(t, mine["version"])
	for _, tc := range []struct {
		name string
		who  domain.Principal
		sees bool
	}{
		{"the technician (own)", r.tech1, true},
		{"a teammate", r.tech2, false},
		{"the team's leader", r.leaderA, true},
		{"another team's leader", r.leaderB, false},
		{"another team's technician", r.techB, false},
		{"hr before the close", r.hr, false},
	} {
		t.Run("open assessment read by "+tc.name, func(t *testing.T) {
			if got := r.assessment(tc.who, r.tech1, "2026-03"); (got != nil) != tc.sees {
				t.Errorf("sees %v, want %v", got != nil, tc.sees)
			}
		})
	}
	r.runAt(w, at(2026, 3, 10, 13, 0))
	if again := r.assessment(r.tech1, r.tech1, "2026-03"); num(t, again["version"]) != version {
		t.Errorf("a rerun rewrote the assessment: version %v, was %d", again["version"], version)
	}

	// tech2's last March report arrives on Sunday: −2, pending for the leader before the close.
	r.onTime([]domain.Principal{r.tech1}, "2026-03-09", "2026-03-16", "2026-03-23")
	r.onTime([]domain.Principal{r.tech2}, "2026-03-09", "2026-03-16")
	r.clock.Set(at(2026, 3, 29, 10, 0))
	r.report(r.tech2, "2026-03-23", r.clock.Now())
	r.runAt(w, at(2026, 3, 30, 9, 0))
	preview, err := w.Month(ctx, r.leaderA, "", month("2026-03"))
	if err != nil {
		t.Fatal(err)
	}
	if preview.Closed || len(preview.Pending) != 1 || preview.Pending[0].Kind != compute.PendingLateReport ||
		preview.Pending[0].TechnicianID != r.tech2.UserID || preview.CloseDue.String() != "2026-04-05" {
		t.Fatalf("March before the close: %+v", preview)
	}

	// Closing: only the team's leader, only once the month ended, once, in order.
	r.clock.Set(at(2026, 3, 31, 18, 0))
	if _, err := w.CloseMonth(ctx, r.leaderA, "", month("2026-03")); domain.ErrorCode(err) != domain.CodeInvalid ||
		domain.ErrorFields(err)["month"] != "ended" {
		t.Fatalf("close before the month ended: %v", err)
	}
	r.clock.Set(at(2026, 4, 2, 9, 0))
	for _, p := range []domain.Principal{r.tech1, r.hr, compute.ServerPrincipal} {
		if _, err := w.CloseMonth(ctx, p, "", month("2026-03")); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("%s closed March: %v", p.Role, err)
		}
	}
	v, err := w.CloseMonth(ctx, r.leaderA, "", month("2026-03"))
	if err != nil {
		t.Fatal(err)
	}
	totals := map[string]int{}
	for _, s := range v.Scores {
		totals[s.TechnicianID] = s.Total
	}
	if !v.Closed || len(v.Scores) != 2 || totals[r.tech1.UserID] != 98 || totals[r.tech2.UserID] != 98 {
		t.Fatalf("closed March: %+v", v)
	}
	if _, err := w.CloseMonth(ctx, r.leaderA, "", month("2026-03")); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("second close: %v", err)
	}
	closed := r.assessment(r.hr, r.tech1, "2026-03")
	if closed == nil || closed["state"] != "closed" || closed["closedBy"] != r.leaderA.UserID || num(t, closed["total"]) != 98 {
		t.Fatalf("hr's view of the closed assessment: %v", closed)
	}
	if r.assessment(r.leaderB, r.tech1, "2026-03") != nil {
		t.Error("another team's leader sees the closed assessment")
	}
	frozen := num(t, r.assessment(r.tech2, r.tech2, "2026-03")["version"])

	// A March incident recorded after the close counts in April, labelled as an adjustment.
	r.clock.Set(at(2026, 4, 3, 10, 0))
	i2 := r.incident(r.leaderA, r.tech2, domain.IncidentLeftPost, "2026-03-20", nil)
	r.runAt(w, at(2026, 4, 3, 12, 0))
	march := r.assessment(r.tech2, r.tech2, "2026-03")
	if num(t, march["version"]) != frozen || num(t, march["total"]) != 98 || lineOf(march, i2) != nil {
		t.Errorf("the closed March changed: %v", march)
	}
	april := r.assessment(r.tech2, r.tech2, "2026-04")
	line := lineOf(april, i2)
	if line == nil || line["adjustment"] != true || line["adjustmentOf"] != "2026-03" || num(t, april["total"]) != 95 ||
		april["state"] != "open" {
		t.Errorf("April with the adjustment: %v", april)
	}

	if a := r.assessment(r.tech1, r.tech1, "2026-04"); a == nil || num(t, a["total"]) != 100 || len(a["lines"].([]any)) != 0 {
		t.Errorf("tech1's April holds March's frozen incident: %v", a)
	}

	// The frozen incident refuses edits; the adjustment, in an open month, takes them.
	if res := r.push(r.leaderA, domain.CollIncidents, i1, 1, map[string]any{"note": "改"}, r.clock.Now()); res.Status != sync.StatusConflict {
		t.Errorf("edit of a frozen incident: %+v", res)
	}
	if res := r.push(r.leaderA, domain.CollIncidents, i2, 1, map[string]any{"note": "补记"}, r.clock.Now()); res.Status != sync.StatusApplied {
		t.Errorf("edit of an adjustment: %+v", res)
	}

	// Months close in order.
	r.clock.Set(at(2026, 6, 2, 9, 0))
	if _, err := w.CloseMonth(ctx, r.leaderA, "", month("2026-05")); domain.ErrorCode(err) != domain.CodeConflict ||
		domain.ErrorFields(err)["month"] != "eq=2026-04" {
		t.Errorf("close May before April: %v", err)
	}
	if locked, err := compute.MonthClosed(ctx, r.state, r.teamA, month("2026-03")); err != nil || !locked {
		t.Errorf("MonthClosed(March) = %v, %v", locked, err)
	}
	if locked, err := compute.MonthClosed(ctx, r.state, r.teamB, month("2026-03")); err != nil || locked {
		t.Errorf("team B's March closed: %v, %v", locked, err)
	}
}

// TestDowngradeAcrossYearEnd: two consecutive closed months below 90, December and January,
// flag a downgrade (R7); closing December computes the year's bonuses (R8–R10).
func TestDowngradeAcrossYearEnd(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	graded := r.user("tech.graded", domain.RoleTechnician, r.teamA, domain.User{HireDate: domain.Date{Year: 2025, Month: 6, Day: 1},
		ProbationPassed: true, Grade: domain.GradeB, MonthlyPayFen: 450_000})
	all := []domain.Principal{graded} // the others' missed reports do not matter here
	w := r.worker()
	r.runAt(w, at(2026, 12, 1, 9, 0))
	r.onTime(all, "2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28")
	for _, d := range []string{"2026-12-03", "2026-12-10", "2026-12-17"} {
		r.incident(r.leaderA, graded, domain.IncidentLeftPost, d, nil)
	}
	r.clock.Set(at(2027, 1, 4, 9, 0))
	if _, err := w.CloseMonth(ctx, r.leaderA, "", month("2026-12")); err != nil {
		t.Fatal(err)
	}
	if flags := r.pull(r.hr, domain.CollGradeReviews); len(flags) != 0 {
		t.Fatalf("flagged after one month: %v", flags)
	}
	bonus := r.pull(r.hr, domain.CollYearEndBonuses)[domain.Bonus{TechnicianID: graded.UserID, Year: 2026}.ID()]
	if bonus == nil || num(t, bonus["amountFen"]) != 450_000 || num(t, bonus["multiplier"]) != 1 || bonus["provisional"] != true ||
		!strings.Contains(str(bonus["reasons"]), "2026-12: 85 < 90") {
		t.Fatalf("December's bonus: %v", bonus)
	}

	r.onTime(all, "2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25")
	for _, d := range []string{"2027-01-05", "2027-01-12", "2027-01-19"} {
		r.incident(r.leaderA, graded, domain.IncidentLeftPost, d, nil)
	}
	r.clock.Set(at(2027, 2, 1, 9, 0))
	if _, err := w.CloseMonth(ctx, r.leaderA, "", month("2027-01")); err != nil {
		t.Fatal(err)
	}
	flags := r.pull(r.hr, domain.CollGradeReviews)
	if len(flags) != 1 {
		t.Fatalf("flags after January: %v", flags)
	}
	for _, f := range flags {
		if f["technicianId"] != graded.UserID || str(f["months"]) != "[2026-12 2027-01]" || f["from"] != "B" || f["to"] != "C" {
			t.Errorf("flag %v", f)
		}
	}
	if got := r.pull(graded, domain.CollGradeReviews); len(got) != 1 {
		t.Errorf("the technician does not see their flag: %v", got)
	}
	if got := r.pull(r.tech1, domain.CollGradeReviews); len(got) != 0 {
		t.Errorf("a teammate sees the flag: %v", got)
	}
}
