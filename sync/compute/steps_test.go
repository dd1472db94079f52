package compute_test

import (
	"context"
	"testing"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// TestStepsGetEachChangeOnce: a further rule plugged into the worker gets the records of its
// collections written since the last pass, once, and its records are written as the server's.
func TestStepsGetEachChangeOnce(t *testing.T) {
	r := newRig(t)
	var seen [][]string
	step := compute.Step{Name: "weekly report count", Collections: []string{domain.CollWeeklyReports},
		Run: func(ctx context.Context, in compute.StepInput) ([]sync.ServerWrite, error) {
			var ids []string
			var writes []sync.ServerWrite
			for _, rec := range in.Changed {
				ids = append(ids, rec.ID)
				all, err := in.Read(ctx, compute.TeamTokens(rec.Team), domain.CollWeeklyReports)
				if err != nil {
					return nil, err
				}
				writes = append(writes, sync.ServerWrite{Collection: domain.CollReimbursements,
					ID: domain.DerivedID("test", rec.Owner), Owner: rec.Owner, Team: rec.Team,
					Fields: map[string]any{"reportsOfTeam": int64(len(all))}})
			}
			seen = append(seen, ids)
			return writes, nil
		}}
	w := r.workerOn(r.state, step)
	r.runAt(w, at(2026, 3, 2, 9, 0))
	r.clock.Set(at(2026, 3, 6, 10, 0))
	r.report(r.tech1, "2026-03-02", r.clock.Now())
	r.report(r.tech2, "2026-03-02", r.clock.Now())
	r.runAt(w, at(2026, 3, 6, 11, 0))
	r.runAt(w, at(2026, 3, 6, 12, 0))
	if len(seen) != 3 || len(seen[0]) != 0 || len(seen[1]) != 2 || len(seen[2]) != 0 {
		t.Fatalf("changes given to the step, pass by pass: %v", seen)
	}
	got := r.pull(r.tech1, domain.CollReimbursements)[domain.DerivedID("test", r.tech1.UserID)]
	if got == nil || num(t, got["reportsOfTeam"]) != 2 || got["owner"] != r.tech1.UserID {
		t.Errorf("the step's record as its technician pulls it: %v", got)
	}
	if other := r.pull(r.tech2, domain.CollReimbursements)[domain.DerivedID("test", r.tech1.UserID)]; other != nil {
		t.Errorf("a teammate pulls it: %v", other)
	}
}
