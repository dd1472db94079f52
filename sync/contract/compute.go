package contract

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// computeOf opens the stores and returns their compute store, skipping without one.
func computeOf(t *testing.T, open func(t *testing.T) Stores) compute.Store {
	t.Helper()
	return openFor(t, open, "no compute store", func(s Stores) bool { return s.Compute != nil }).Compute
}

// ComputeLease: one owner at a time; the owner renews; an expired lease goes to the next
// asker; only the owner releases.
func ComputeLease(t *testing.T, open func(t *testing.T) Stores) {
	c := computeOf(t, open)
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
	for _, st := range steps {
		if st.op == "release" {
			if err := c.ReleaseLease(ctx, st.owner); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		got, err := c.AcquireLease(ctx, st.owner, st.now, 2*time.Minute)
		if err != nil || got != st.want {
			t.Fatalf("%s: AcquireLease(%s) = %v, %v; want %v", st.name, st.owner, got, err, st.want)
		}
	}
}

// ClosedMonths: a close is stored once with its frozen scores, read back whole (incidents sorted),
// found by its incidents, marked done, and listed oldest month first, then by team.
func ClosedMonths(t *testing.T, open func(t *testing.T) Stores) {
	c := computeOf(t, open)
	ctx := context.Background()
	march, _ := domain.ParseMonth("2026-03")
	feb := domain.Month{Year: 2026, Month: 2}
	cm := compute.ClosedMonth{Team: "team-a", Month: march, ClosedAt: time.Date(2026, 4, 2, 1, 0, 0, 0, time.UTC),
		ClosedBy: "leader-a", Incidents: []string{"i2", "i1"}, Scores: []domain.Score{{Month: march, TechnicianID: "t1",
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
	sc := got.Scores[0]
	if got.ClosedBy != "leader-a" || !got.ClosedAt.Equal(cm.ClosedAt) || got.Done || !got.Counts("i2") || got.Counts("i3") ||
		sc.Total != 93 || len(sc.Lines) != 2 || !sc.Lines[1].Adjustment || *sc.Lines[1].AdjustmentOf != feb ||
		sc.Lines[0].Date.Day != 3 || sc.Month != march || !reflect.DeepEqual(got.Incidents, []string{"i1", "i2"}) {
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
	// Ordering: oldest month first, then team; "" lists every team.
	for _, x := range []compute.ClosedMonth{{Team: "team-b", Month: march}, {Team: "team-a", Month: feb}} {
		if err := c.InsertClosedMonth(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.ClosedMonths(ctx, "")
	if err != nil || len(all) != 3 || all[0].Month != feb || all[1].Team != "team-a" || all[2].Team != "team-b" {
		t.Fatalf("ClosedMonths(\"\") = %+v, %v", all, err)
	}
	if a, _ := c.ClosedMonths(ctx, "team-a"); len(a) != 2 || a[0].Month != feb || a[1].Month != march {
		t.Fatalf("ClosedMonths(team-a) = %+v", a)
	}
	// A close without incidents reads back with an empty, non-nil list.
	if a, _ := c.ClosedMonths(ctx, "team-b"); len(a) != 1 || a[0].Incidents == nil || len(a[0].Incidents) != 0 || len(a[0].Scores) != 0 {
		t.Fatalf("ClosedMonths(team-b) = %+v", a)
	}
}
