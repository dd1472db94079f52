package sqlitestore

import (
	"context"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/sync/compute"
)

// TestComputeCheckpoint: zero before the first save, then the last one saved.
func TestComputeCheckpoint(t *testing.T) {
	s, _ := openTest(t)
	c := NewCompute(s)
	ctx := context.Background()
	if cp, err := c.Checkpoint(ctx); err != nil || cp != (compute.Checkpoint{}) {
		t.Fatalf("initial Checkpoint = %+v, %v", cp, err)
	}
	for _, want := range []compute.Checkpoint{
		{Seq: 7, PolicyVersion: 1, R1Through: time.Date(2026, 3, 2, 9, 0, 0, 5, time.UTC), Baseline: "2026-03:a,b"},
		{Seq: 9, PolicyVersion: 2, Baseline: "2026-04:a"},
	} {
		if err := c.SaveCheckpoint(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := c.Checkpoint(ctx)
		if err != nil || got.Seq != want.Seq || got.PolicyVersion != want.PolicyVersion ||
			!got.R1Through.Equal(want.R1Through) || got.Baseline != want.Baseline {
			t.Fatalf("Checkpoint = %+v, %v; want %+v", got, err, want)
		}
	}
}
