package sqlitestore

import (
	"context"
	"errors"
	stdsync "sync"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	fsync "github.com/fieldsync/fieldsync/sync"
)

// clock is a settable test clock.
type clock struct {
	mu  stdsync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func horizon(t *testing.T, q *Sequencer) fsync.Horizon {
	t.Helper()
	h, err := q.Horizon(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSequencerReserveAndHorizon(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	q := NewSequencer(s, c.Now)

	if h := horizon(t, q); h != (fsync.Horizon{}) {
		t.Fatalf("empty Horizon = %+v", h)
	}
	a, releaseA, err := q.Reserve(ctx, 3, time.Minute)
	if err != nil || a != 1 {
		t.Fatalf("Reserve(3) = %d, %v; want 1", a, err)
	}
	b, releaseB, err := q.Reserve(ctx, 2, time.Minute)
	if err != nil || b != 4 {
		t.Fatalf("Reserve(2) = %d, %v; want 4", b, err)
	}
	if h := horizon(t, q); h != (fsync.Horizon{Stable: 0, Allocated: 5}) {
		t.Fatalf("Horizon with both in flight = %+v", h)
	}
	// Releasing the later one does not move Stable past the earlier one still in flight.
	if err := releaseB(ctx); err != nil {
		t.Fatal(err)
	}
	if h := horizon(t, q); h.Stable != 0 {
		t.Fatalf("Stable = %d with [1,4) in flight, want 0", h.Stable)
	}
	if err := releaseA(ctx); err != nil {
		t.Fatal(err)
	}
	if h := horizon(t, q); h != (fsync.Horizon{Stable: 5, Allocated: 5}) {
		t.Fatalf("Horizon after releases = %+v", h)
	}
	if err := releaseA(ctx); err != nil {
		t.Fatalf("second release: %v", err)
	}

	// A reservation whose lease has passed counts as abandoned.
	d, _, err := q.Reserve(ctx, 1, time.Minute)
	if err != nil || d != 6 {
		t.Fatalf("Reserve = %d, %v; want 6", d, err)
	}
	if h := horizon(t, q); h.Stable != 5 {
		t.Fatalf("Stable = %d during lease, want 5", h.Stable)
	}
	c.add(time.Minute)
	if h := horizon(t, q); h.Stable != 6 || h.Allocated != 6 {
		t.Fatalf("Horizon after lease = %+v, want stable 6", h)
	}

	// The purge point is capped by Stable and never lowered.
	if err := q.MarkPurged(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if err := q.MarkPurged(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if h := horizon(t, q); h.Purged != 4 {
		t.Fatalf("Purged = %d, want 4", h.Purged)
	}
	if err := q.MarkPurged(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if h := horizon(t, q); h.Purged != h.Stable {
		t.Fatalf("Horizon = %+v: Purged above Stable", h)
	}

	for _, n := range []int{0, -1} {
		if _, _, err := q.Reserve(ctx, n, time.Minute); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("Reserve(%d) = %v, want ErrInvalid", n, err)
		}
	}
}

func TestSequencerConcurrentReservesAreDisjoint(t *testing.T) {
	const workers, each = 8, 20
	ctx := context.Background()
	s, _ := openTest(t)
	q := NewSequencer(s, time.Now)
	var mu stdsync.Mutex
	seen := map[int64]bool{}
	var wg stdsync.WaitGroup
	for range workers {
		wg.Go(func() {
			last := int64(0)
			for range each {
				first, release, err := q.Reserve(ctx, 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if first <= last {
					t.Errorf("Reserve went back: %d after %d", first, last)
				}
				last = first
				mu.Lock()
				for i := first; i < first+3; i++ {
					if seen[i] {
						t.Errorf("number %d handed out twice", i)
					}
					seen[i] = true
				}
				mu.Unlock()
				if err := release(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if h := horizon(t, q); h.Allocated != 3*workers*each || h.Stable != h.Allocated || len(seen) != 3*workers*each {
		t.Fatalf("Horizon = %+v, %d distinct numbers; want %d", h, len(seen), 3*workers*each)
	}
}
