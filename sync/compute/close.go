package compute

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// MonthView is a team's month as the leader closes it (R5): its state, when it is due to HR
// (CloseDue, the policy's close day of the next month) and whether that day has passed with the
// month still open (Overdue), the assessments (as they stand, or as frozen once closed), and
// what is still pending.
type MonthView struct {
	Team     string
	Month    domain.Month
	Closed   bool
	ClosedAt time.Time
	ClosedBy string
	CloseDue domain.Date
	Overdue  bool
	Scores   []domain.Score
	Pending  []Pending
}

// Pending is one thing the leader may want to settle before (or after, as an adjustment) the
// close. Kinds:
//   - PendingLateReport: a missed-weekly-report incident (R1) not waived, for a week whose
//     report did arrive, late: the leader waives it when the report was evidently written on
//     time (Week, ReceivedAt).
type Pending struct {
	Kind         string
	IncidentID   string
	TechnicianID string
	Week         domain.Week
	ReceivedAt   time.Time
}

// The kinds of Pending.
const PendingLateReport = "late_weekly_report"

// teamOf decides which team caller may see months of: a leader their own; an admin the team
// asked for. Errors: forbidden for other roles, invalid when an admin names no team.
func teamOf(caller domain.Principal, team string) (string, error) {
	switch {
	case caller.Role == domain.RoleLeader && caller.TeamID != "" && (team == "" || team == caller.TeamID):
		return caller.TeamID, nil
	case caller.Role == domain.RoleLeader:
		return "", domain.Errorf(domain.CodeForbidden, "a leader sees only their own team's months")
	case caller.Role == domain.RoleAdmin && team != "":
		return team, nil
	case caller.Role == domain.RoleAdmin:
		return "", domain.Invalid("name the team", map[string]string{"team": "required"})
	}
	return "", domain.Errorf(domain.CodeForbidden, "a %s may not see a team's open months", caller.Role)
}

// Month returns team's month m as it would be closed now (or as it was closed), for its leader
// (team "" or theirs) or an admin (team required). Errors: forbidden, invalid, unavailable.
func (w *Worker) Month(ctx context.Context, caller domain.Principal, team string, m domain.Month) (MonthView, error) {
	team, err := teamOf(caller, team)
	if err != nil {
		return MonthView{}, err
	}
	h, err := w.cfg.Policies.History(ctx)
	if err != nil {
		return MonthView{}, err
	}
	closes, err := w.cfg.Store.ClosedMonths(ctx, team)
	if err != nil {
		return MonthView{}, err
	}
	return w.view(ctx, h, team, m, indexClosed(closes)[team], w.cfg.Now())
}

// CloseMonth closes caller's team's month m (R5): only the team's leader closes; the month must
// have ended (domain.CheckMonthClose; the policy's close day is a deadline, not a gate); months
// close in order (after the team's first close, only the month after the last closed one); and a
// policy must be in force for it. It first runs a pass (so that every incident and R1 deadline
// up to now is counted), then freezes the month's assessments: one per technician of the team
// hired by the month's end, and per technician with an incident or an assessment in it. The
// close is stored (one insert: a concurrent second close gets conflict), then the closed
// assessments, the grade reviews (R7) and, for December, the year-end bonuses (R8–R10) are
// written. Errors: forbidden; invalid {"month": "ended"} or {"month": "no_policy"}; conflict
// when already closed or {"month": "eq=<next month to close>"}; unavailable.
func (w *Worker) CloseMonth(ctx context.Context, caller domain.Principal, address string, m domain.Month) (MonthView, error) {
	if caller.Role != domain.RoleLeader || caller.TeamID == "" {
		return MonthView{}, domain.Errorf(domain.CodeForbidden, "only a team's leader closes its month")
	}
	team := caller.TeamID
	w.mu.Lock()
	defer w.mu.Unlock()
	release, err := w.waitLease(ctx)
	if err != nil {
		return MonthView{}, err
	}
	defer release()
	now := w.cfg.Now()
	if err := w.pass(ctx, now); err != nil {
		return MonthView{}, err
	}
	h, err := w.cfg.Policies.fresh(ctx)
	if err != nil {
		return MonthView{}, err
	}
	closes, err := w.cfg.Store.ClosedMonths(ctx, team)
	if err != nil {
		return MonthView{}, err
	}
	ci := indexClosed(closes)[team]
	if err := checkClose(h, ci, m, domain.DateOf(now)); err != nil {
		return MonthView{}, err
	}
	v, err := w.view(ctx, h, team, m, ci, now)
	if err != nil {
		return MonthView{}, err
	}
	cm := ClosedMonth{Team: team, Month: m, ClosedAt: now.UTC(), ClosedBy: caller.UserID, Scores: v.Scores}
	for _, s := range v.Scores {
		for _, l := range s.Lines {
			cm.Incidents = append(cm.Incidents, l.IncidentID)
		}
	}
	slices.Sort(cm.Incidents)
	cm.Incidents = slices.Compact(cm.Incidents)
	if err := w.cfg.Store.InsertClosedMonth(ctx, cm); err != nil {
		return MonthView{}, err
	}
	v.Closed, v.ClosedAt, v.ClosedBy, v.Overdue = true, cm.ClosedAt, cm.ClosedBy, false
	e := domain.AuditBy(caller, address, now.UTC(), AuditMonthClose)
	e.TeamID, e.Collection, e.RecordID = team, domain.CollAssessments, m.String()
	e.Detail = fmt.Sprintf("technicians=%d incidents=%d", len(cm.Scores), len(cm.Incidents))
	if err := w.audit(ctx, e); err != nil {
		return v, err
	}
	return v, w.finishClose(ctx, h, cm)
}

// checkClose applies the close's preconditions.
func checkClose(h domain.PolicyHistory, ci closedIndex, m domain.Month, today domain.Date) error {
	isClosed := func(x domain.Month) bool { _, ok := ci[x]; return ok }
	if err := domain.CheckMonthClose(m, today, isClosed); err != nil {
		return err
	}
	if last, ok := ci.last(); ok && m != last.Next() {
		return &domain.Error{Code: domain.CodeConflict, Message: fmt.Sprintf("months close in order: the next one to close is %s", last.Next()),
			Fields: map[string]string{"month": "eq=" + last.Next().String()}}
	}
	if _, err := h.ForMonth(m); err != nil {
		return domain.Invalid("no policy was in force that month", map[string]string{"month": "no_policy"})
	}
	return nil
}

// view computes team's month m: the frozen scores of a closed month, or the scores as they stand.
func (w *Worker) view(ctx context.Context, h domain.PolicyHistory, team string, m domain.Month, ci closedIndex, now time.Time) (MonthView, error) {
	v := MonthView{Team: team, Month: m}
	if p, err := h.ForMonth(m); err == nil {
		v.CloseDue = domain.CloseDue(p, m)
	}
	if c, ok := ci[m]; ok {
		v.Closed, v.ClosedAt, v.ClosedBy, v.Scores = true, c.ClosedAt, c.ClosedBy, c.Scores
	} else {
		v.Overdue = !v.CloseDue.IsZero() && domain.DateOf(now).After(v.CloseDue)
		if err := w.openScores(ctx, h, team, m, ci, &v); err != nil {
			return MonthView{}, err
		}
	}
	return v, w.pending(ctx, team, &v)
}

// openScores fills v.Scores with team's month m as it stands: every technician of the team hired
// by the month's end, and everybody with an incident or an assessment in it.
func (w *Worker) openScores(ctx context.Context, h domain.PolicyHistory, team string, m domain.Month, ci closedIndex, v *MonthView) error {
	tokens := teamTokens(team)
	recs, err := w.readAll(ctx, tokens, domain.CollIncidents)
	if err != nil {
		return err
	}
	incidents, _ := ci.incidents(h, recs)
	users, err := w.cfg.Users.ListUsers(ctx, team)
	if err != nil {
		return err
	}
	who := map[string]bool{}
	for _, u := range technicians(users) {
		if hiredBy(u, m.Last()) {
			who[u.ID] = true
		}
	}
	for _, inc := range incidents {
		if inc.CountsIn == m {
			who[inc.TechnicianID] = true
		}
	}
	existing, err := w.readAll(ctx, tokens, domain.CollAssessments)
	if err != nil {
		return err
	}
	for _, rec := range existing {
		if text(rec.Fields["month"]) == m.String() {
			who[text(rec.Fields["technicianId"])] = true
		}
	}
	v.Scores = nil
	for _, id := range slices.Sorted(maps.Keys(who)) {
		s, err := domain.ScoreMonth(h, m, id, incidents)
		if err != nil {
			return domain.Invalid("no policy was in force that month", map[string]string{"month": "no_policy"})
		}
		v.Scores = append(v.Scores, s)
	}
	return nil
}

// pending lists v's R1 incidents, not waived, whose weekly report did arrive (late).
func (w *Worker) pending(ctx context.Context, team string, v *MonthView) error {
	type key struct {
		tech string
		week domain.Date
	}
	var wanted []Pending
	for _, s := range v.Scores {
		for _, l := range s.Lines {
			if l.Type == domain.IncidentMissedWeeklyReport && !l.Waived {
				wanted = append(wanted, Pending{Kind: PendingLateReport, IncidentID: l.IncidentID,
					TechnicianID: s.TechnicianID, Week: domain.WeekOf(l.Date)})
			}
		}
	}
	v.Pending = nil
	if len(wanted) == 0 {
		return nil
	}
	recs, err := w.readAll(ctx, teamTokens(team), domain.CollWeeklyReports)
	if err != nil {
		return err
	}
	received := map[key]time.Time{}
	for _, rec := range recs {
		if r, ok := weeklyReportOf(rec); ok {
			k := key{strings.ToLower(r.TechnicianID), r.WeekStart}
			if prev, seen := received[k]; !seen || r.ReceivedAt.Before(prev) {
				received[k] = r.ReceivedAt
			}
		}
	}
	for _, p := range wanted {
		if at, ok := received[key{strings.ToLower(p.TechnicianID), p.Week.Start()}]; ok {
			p.ReceivedAt = at
			v.Pending = append(v.Pending, p)
		}
	}
	return nil
}

// finishCloses completes the closes a crash left half-written.
func (w *Worker) finishCloses(ctx context.Context, h domain.PolicyHistory) error {
	closes, err := w.cfg.Store.UnfinishedClosedMonths(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range closes {
		errs = append(errs, w.finishClose(ctx, h, c))
	}
	return errors.Join(errs...)
}

// finishClose writes what a close decides: the closed assessments (state closed, frozen lines),
// the team's grade reviews over all its closed months (R7), December's year-end bonuses
// (R8–R10), then marks the close done. Every write is idempotent.
func (w *Worker) finishClose(ctx context.Context, h domain.PolicyHistory, c ClosedMonth) error {
	var writes []sync.ServerWrite
	for _, s := range c.Scores {
		writes = append(writes, sync.ServerWrite{Collection: domain.CollAssessments, ID: AssessmentID(s.TechnicianID, c.Month),
			Owner: s.TechnicianID, Team: c.Team, Fields: scoreFields(s, &c, nil)})
	}
	users, err := w.cfg.Users.ListUsers(ctx, c.Team)
	if err != nil {
		return err
	}
	closes, err := w.cfg.Store.ClosedMonths(ctx, c.Team)
	if err != nil {
		return err
	}
	var scores []domain.Score
	for _, cm := range closes {
		scores = append(scores, cm.Scores...)
	}
	for _, u := range technicians(users) {
		for _, f := range domain.DowngradeReview(h, u, scores) {
			writes = append(writes, sync.ServerWrite{Collection: domain.CollGradeReviews, ID: f.ID(),
				Owner: u.ID, Team: c.Team, Fields: flagFields(f)})
		}
	}
	if c.Month.Month == time.December {
		bonuses, err := w.teamBonuses(ctx, h, c.Team, c.Month.Year, users, closes)
		if err != nil {
			return err
		}
		writes = append(writes, bonusWrites(c.Team, bonuses)...)
	}
	if _, err := w.write(ctx, writes); err != nil {
		return err
	}
	return w.cfg.Store.MarkClosedMonthDone(ctx, c.Team, c.Month)
}
