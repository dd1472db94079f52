package compute

import (
	"context"
	"log/slog"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// missedReports runs R1 for every weekly-report deadline in (cp.R1Through, now]: each
// technician who owed a report and has none received by the server by the deadline gets one −2
// incident (domain.MissedWeeklyReports), written insert-if-absent under its deterministic id
// (domain.R1IncidentID), so that it exists exactly once per technician and week whichever
// instance, pass or catch-up writes it, and a leader's later waiver or delete is never undone.
// The incident is dated the due day and counts where Placement puts it (an adjustment of a month
// already closed, when the server was down across the close).
//
// The first pass ever only records now: deadlines before the server first ran are nobody's
// (users created before a deployment do not owe the weeks before it). After that, every pass
// judges what passed since the last one: the weeks the server was down for are caught up on the
// first pass after it comes back.
func (w *Worker) missedReports(ctx context.Context, h domain.PolicyHistory, users []domain.User, cp *Checkpoint, now time.Time) error {
	if cp.R1Through.IsZero() {
		cp.R1Through = now
		return nil
	}
	if !now.After(cp.R1Through) || !anyDeadline(h, cp.R1Through, now) {
		return nil
	}
	recs, err := w.readAll(ctx, ServerPrincipal.Tokens(), domain.CollWeeklyReports)
	if err != nil {
		return err
	}
	var reports []domain.WeeklyReport
	for _, rec := range recs {
		if r, ok := weeklyReportOf(rec); ok {
			reports = append(reports, r)
		}
	}
	var writes []sync.ServerWrite
	for _, inc := range domain.MissedWeeklyReports(h, users, reports, cp.R1Through, now) {
		writes = append(writes, sync.ServerWrite{Collection: domain.CollIncidents, ID: inc.ID,
			Owner: domain.IncidentByServer, Team: inc.TeamID, IfAbsent: true, Fields: map[string]any{
				"technicianId": inc.TechnicianID, "type": inc.Type, "date": inc.Date.String(),
				"points": int64(inc.Points), "reason": inc.Reason}})
	}
	n, err := w.write(ctx, writes)
	if err != nil {
		return err
	}
	if n > 0 {
		w.log.Info("R1: missed weekly reports recorded", slog.Int("incidents", n),
			slog.String("from", cp.R1Through.UTC().Format(time.RFC3339)), slog.String("through", now.UTC().Format(time.RFC3339)))
	}
	cp.R1Through = now
	return nil
}

// anyDeadline reports whether a weekly-report deadline lies in (from, now], so that passes
// between two Saturdays read no reports at all.
func anyDeadline(h domain.PolicyHistory, from, now time.Time) bool {
	for wk := domain.WeekOfTime(from); !wk.Start().After(domain.DateOf(now)); wk = wk.Next() {
		if _, due, err := domain.WeeklyReportDue(h, wk); err == nil && due.After(from) && !due.After(now) {
			return true
		}
	}
	return false
}
