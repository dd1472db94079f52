package mongostore_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// TestComputeLease: one owner at a time; the owner renews; an expired lease goes to the next
// asker; only the owner releases.
func TestComputeLease(t *testing.T) {
	c := mongostore.NewCompute(storetest.Mongo(t))
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		name  string
		op    string // take | release
		owner string
		now   time.Time
		want  bool
	}{
		{"a takes the free lease", "take", "a", t0, true},
		{"b waits while a holds it", "take", "b", t0.Add(time.Minute), false},
		{"a renews", "take", "a", t0.Add(time.Minute), true},
		{"b still waits after a's first expiry", "take", "b", t0.Add(2 * time.Minute), false},
		{"b takes it once a's renewal expired", "take", "b", t0.Add(3 * time.Minute), true},
		{"a's release of b's lease does nothing", "release", "a", t0, false},
		{"a waits", "take", "a", t0.Add(3 * time.Minute), false},
		{"b releases", "release", "b", t0, false},
		{"a takes the released lease", "take", "a", t0.Add(3 * time.Minute), true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.op == "release" {
				if err := c.ReleaseLease(ctx, s.owner); err != nil {
					t.Fatal(err)
				}
				return
			}
			got, err := c.AcquireLease(ctx, s.owner, s.now, 2*time.Minute)
			if err != nil || got != s.want {
				t.Fatalf("AcquireLease(%s) = %v, %v; want %v", s.owner, got, err, s.want)
			}
		})
	}
}

// TestClosedMonths: a close is stored once with its frozen scores, read back whole, found by its
// incidents, and marked done.
func TestClosedMonths(t *testing.T) {
	c := mongostore.NewCompute(storetest.Mongo(t))
	ctx := context.Background()
	march, _ := domain.ParseMonth("2026-03")
	feb := domain.Month{Year: 2026, Month: 2}
	cm := compute.ClosedMonth{Team: "team-a", Month: march, ClosedAt: time.Date(2026, 4, 2, 1, 0, 0, 0, time.UTC),
		ClosedBy: "leader-a", Incidents: []string{"i1", "i2"}, Scores: []domain.Score{{Month: march, TechnicianID: "t1",
			Base: 100, Deductions: 7, Total: 93, PolicyVersion: 1, Lines: []domain.ScoreLine{
				{IncidentID: "i1", Type: "left_post", Date: domain.Date{Year: 2026, Month: 3, Day: 3}, Points: -5},
				{IncidentID: "i2", Type: "unreachable", Date: domain.Date{Year: 2026, Month: 2, Day: 27}, Points: -2,
					Adjustment: true, AdjustmentOf: &feb}}}}}
	if err := c.InsertClosedMonth(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if err := c.InsertClosedMonth(ctx, cm); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("second close: %v", err)
	}
	got, ok, err := c.ClosedMonth(ctx, "team-a", march)
	if err != nil || !ok {
		t.Fatalf("ClosedMonth = %v, %v", ok, err)
	}
	s := got.Scores[0]
	if got.ClosedBy != "leader-a" || !got.ClosedAt.Equal(cm.ClosedAt) || got.Done || !got.Counts("i2") || got.Counts("i3") ||
		s.Total != 93 || len(s.Lines) != 2 || !s.Lines[1].Adjustment || *s.Lines[1].AdjustmentOf != feb || s.Lines[0].Date.Day != 3 {
		t.Fatalf("read back %+v", got)
	}
	if _, ok, _ := c.ClosedMonth(ctx, "team-b", march); ok {
		t.Error("team B's March is closed")
	}
	for _, tc := range []struct {
		team, id string
		want     bool
	}{{"team-a", "i1", true}, {"team-a", "i9", false}, {"team-b", "i1", false}} {
		if frozen, err := c.FrozenIncident(ctx, tc.team, tc.id); err != nil || frozen != tc.want {
			t.Errorf("FrozenIncident(%s, %s) = %v, %v", tc.team, tc.id, frozen, err)
		}
	}
	if open, _ := c.UnfinishedClosedMonths(ctx); len(open) != 1 {
		t.Errorf("unfinished: %v", open)
	}
	if err := c.MarkClosedMonthDone(ctx, "team-a", march); err != nil {
		t.Fatal(err)
	}
	if open, _ := c.UnfinishedClosedMonths(ctx); len(open) != 0 {
		t.Errorf("unfinished after done: %v", open)
	}
}
