package sqlitestore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

func TestDevClock(t *testing.T) {
	store, path := openTest(t)
	ctx := context.Background()
	real := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	c := NewDevClock(store, nil)
	c.Real = func() time.Time { return real }

	if st, err := c.State(ctx); err != nil || st.Set {
		t.Fatalf("State = %v, %v; want unset", st, err)
	}
	if got := c.Now(); !got.Equal(real) {
		t.Fatalf("unset Now = %v, want real %v", got, real)
	}
	past := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st, err := c.Set(ctx, past, false)
	if err != nil || !st.Set || !st.Now.Equal(past) || !st.SetAt.Equal(real) {
		t.Fatalf("Set = %v, %v", st, err)
	}
	real = real.Add(time.Hour)
	if got := c.Now(); !got.Equal(past.Add(time.Hour)) {
		t.Fatalf("Now = %v, want %v (runs on from the setting)", got, past.Add(time.Hour))
	}
	// Backwards without reset: conflict.
	if _, err := c.Set(ctx, past, false); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("Set backwards = %v, want conflict", err)
	}
	// Another process on the file sees it.
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c2 := NewDevClock(other, nil)
	c2.Real = func() time.Time { return real }
	if got := c2.Now(); !got.Equal(past.Add(time.Hour)) {
		t.Fatalf("other Now = %v", got)
	}
	// A reading cached by another process is refreshed after DevClockRefresh.
	if _, err := c.Set(ctx, past.Add(2*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if got := c2.Now(); !got.Equal(past.Add(time.Hour)) {
		t.Fatalf("cached Now = %v, want the cached reading", got)
	}
	real = real.Add(DevClockRefresh)
	if got := c2.Now(); !got.Equal(past.Add(2*time.Hour + DevClockRefresh)) {
		t.Fatalf("refreshed Now = %v", got)
	}
	// Reset goes back.
	st, err = c2.Set(ctx, past, true)
	if err != nil || !st.Now.Equal(past) {
		t.Fatalf("reset = %v, %v", st, err)
	}
	if st, _ := c.State(ctx); !st.Now.Equal(past) || st.String() == "" {
		t.Fatalf("State after reset = %v", st)
	}
}
