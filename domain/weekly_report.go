package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxWeeklyReportTextLen bounds each text field of a weekly report, in characters (runes).
const MaxWeeklyReportTextLen = 4000

// WeeklyReport is a technician's 周工作总结及下周计划 (SPEC.md 6) for the week starting WeekStart
// (a Monday, Asia/Shanghai): work completed, pending items, things needing coordination,
// suggestions and next week's plan. ReceivedAt is the SERVER's clock when the first push of the
// report arrived (the record's submittedAt): it alone decides R1. ClientTime is the phone's
// clock when the report was written (zero when unknown): shown to the leader, who may waive a
// missed-report incident for a report written on time on a site with no signal.
type WeeklyReport struct {
	ID                 string
	TechnicianID       string
	WeekStart          Date
	WorkCompleted      string
	PendingItems       string
	CoordinationNeeded string
	Suggestions        string
	NextWeekPlan       string
	ReceivedAt         time.Time
	ClientTime         time.Time
}

// NewWeeklyReport returns r with its texts trimmed once every invariant holds: id and
// technicianId are UUIDs ("uuid"); weekStart is a Monday ("required", "monday"); workCompleted
// and nextWeekPlan, the two halves of the report, are not empty ("required"); every text is at
// most MaxWeeklyReportTextLen characters ("max=4000"); receivedAt, the server's receipt time,
// is set ("required"). Errors: a *Error with code invalid and those per-field codes.
func NewWeeklyReport(r WeeklyReport) (WeeklyReport, error) {
	texts := []*string{&r.WorkCompleted, &r.PendingItems, &r.CoordinationNeeded, &r.Suggestions, &r.NextWeekPlan}
	names := []string{"workCompleted", "pendingItems", "coordinationNeeded", "suggestions", "nextWeekPlan"}
	bad := map[string]string{}
	for i, s := range texts {
		*s = strings.TrimSpace(*s)
		if utf8.RuneCountInString(*s) > MaxWeeklyReportTextLen {
			bad[names[i]] = "max=4000"
		}
	}
	for field, s := range map[string]string{"workCompleted": r.WorkCompleted, "nextWeekPlan": r.NextWeekPlan} {
		if s == "" {
			bad[field] = "required"
		}
	}
	for field, id := range map[string]string{"id": r.ID, "technicianId": r.TechnicianID} {
		if !IsUUID(id) {
			bad[field] = "uuid"
		}
	}
	switch {
	case r.WeekStart.IsZero():
		bad["weekStart"] = "required"
	case !isCalendarDate(r.WeekStart) || !IsMonday(r.WeekStart):
		bad["weekStart"] = "monday"
	}
	if r.ReceivedAt.IsZero() {
		bad["receivedAt"] = "required"
	}
	if len(bad) > 0 {
		return WeeklyReport{}, Invalid("invalid weekly report", bad)
	}
	return r, nil
}

// Week returns the week the report is for.
func (r WeeklyReport) Week() Week { return Week{Monday: r.WeekStart} }

// ReceivedBy reports whether the server received the report at or before deadline (R1).
func (r WeeklyReport) ReceivedBy(deadline time.Time) bool {
	return !r.ReceivedAt.IsZero() && !r.ReceivedAt.After(deadline)
}

// WrittenBy reports whether the phone's clock says the report was written at or before
// deadline: for the leader deciding whether to waive a missed-report incident, never for R1.
func (r WeeklyReport) WrittenBy(deadline time.Time) bool {
	return !r.ClientTime.IsZero() && !r.ClientTime.After(deadline)
}

// WeeklyReportDue returns the policy that governs week w's report and the instant it is due
// (R1): the version in force on the day the report is due (ReportDeadline), so that the -2
// lands with the points of the month it counts in. Errors: wraps ErrNotFound when no version is
// in force on that day.
func WeeklyReportDue(h PolicyHistory, w Week) (Policy, time.Time, error) {
	late, err := h.At(w.End())
	if err != nil {
		return Policy{}, time.Time{}, fmt.Errorf("weekly report of %s: %w", w, err)
	}
	due := ReportDeadline(late, w)
	if !DateOf(due).Before(late.EffectiveFrom) {
		return late, due, nil
	}
	// The newest version starts after this week's due day: the one before it governs the week.
	early, err := h.At(DateOf(due))
	if err != nil {
		return Policy{}, time.Time{}, fmt.Errorf("weekly report of %s: %w", w, err)
	}
	return early, ReportDeadline(early, w), nil
}

// MissedWeeklyReports implements R1 (SPEC.md): for every week whose report deadline
// (WeeklyReportDue; with the seed's policy Saturday 17:30 Asia/Shanghai) lies in (from, now],
// every technician who owed a report and has none RECEIVED by the deadline gets one incident of
// type missed_weekly_report with the points of the week's policy (-2), dated the due day,
// CreatedBy IncidentByServer, id R1IncidentID(technician, week). Results are ordered by week,
// then technician id; CountsIn is the due day's month, to be placed with Incident.Place (R5).
//
// Exactly once: the ids are deterministic, so the caller writes them insert-if-absent; several
// instances and overlapping runs produce the same incidents. Catch-up: pass from as the last
// deadline already processed (or far in the past: weeks before the first policy version are
// skipped, no rule was in force), and every week the server was down for is judged.
//
// Which clock counts: the server's receipt (ReceivedAt), never the phone's clientTime. The
// phone's clock is the technician's to set, so a rule on it could be met by turning the clock
// back; the receipt time cannot be forged. The cost lands on the honest technician with no
// signal on Saturday afternoon: the report syncs late and the -2 is recorded, but the report
// carries its clientTime, the incident's reason names the late receipt when it is known, and the
// leader waives the incident (Incident.Waive) when the report was evidently written on time.
// A phone whose clock is in UTC changes nothing: instants compare as instants.
//
// Who owes a report: users with RoleTechnician, not Disabled, hired on or before the week's
// Monday; a technician hired mid-week owes the first report for the first full week (the
// Saturday after a Wednesday start would judge three days of work). A zero HireDate owes every
// week. Reports are matched by technician id and weekStart; of several, the earliest receipt
// counts. Deleted reports must be left out by the caller.
func MissedWeeklyReports(h PolicyHistory, technicians []User, reports []WeeklyReport, from, now time.Time) []Incident {
	if len(h) == 0 || !now.After(from) {
		return nil
	}
	type key struct {
		tech string
		week Date
	}
	first := map[key]WeeklyReport{} // the earliest received report per technician and week
	for _, r := range reports {
		k := key{strings.ToLower(r.TechnicianID), r.WeekStart}
		if prev, ok := first[k]; !r.ReceivedAt.IsZero() && (!ok || r.ReceivedAt.Before(prev.ReceivedAt)) {
			first[k] = r
		}
	}
	techs := slices.Clone(technicians)
	slices.SortFunc(techs, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	start := DateOf(from)
	if start.Before(h[0].EffectiveFrom) {
		start = h[0].EffectiveFrom // nothing was due before the first policy
	}
	var out []Incident
	for w := WeekOf(start); !w.Start().After(DateOf(now)); w = w.Next() {
		p, due, err := WeeklyReportDue(h, w)
		if err != nil || !due.After(from) || due.After(now) {
			continue
		}
		for _, u := range techs {
			if u.Role != RoleTechnician || u.Disabled || (!u.HireDate.IsZero() && u.HireDate.After(w.Start())) {
				continue
			}
			r, found := first[key{strings.ToLower(u.ID), w.Start()}]
			if found && r.ReceivedBy(due) {
				continue
			}
			reason := fmt.Sprintf("no weekly report for the week of %s received by %s (Asia/Shanghai)",
				w, due.In(Shanghai).Format("2006-01-02 15:04"))
			if found {
				reason += fmt.Sprintf("; received %s", r.ReceivedAt.In(Shanghai).Format("2006-01-02 15:04"))
				if !r.ClientTime.IsZero() {
					reason += fmt.Sprintf(", written %s by the phone's clock", r.ClientTime.In(Shanghai).Format("2006-01-02 15:04"))
				}
			}
			inc, err := NewIncident(p, IncidentInput{ID: R1IncidentID(u.ID, w), TechnicianID: u.ID, TeamID: u.TeamID,
				Type: IncidentMissedWeeklyReport, Date: DateOf(due), Reason: reason, CreatedBy: IncidentByServer})
			if err != nil {
				continue // not a valid user record (ids are UUIDs once NewUser accepted them)
			}
			out = append(out, inc)
		}
	}
	return out
}
