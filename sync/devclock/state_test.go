package devclock

import (
	"errors"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

func TestStateClock(t *testing.T) {
	real := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var unset State
	if got := unset.At(real); !got.Equal(real) {
		t.Fatalf("unset At = %v, want the real clock %v", got, real)
	}
	if unset.String() != "not set (real clock)" {
		t.Fatalf("unset String = %q", unset.String())
	}
	past := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	s, err := unset.Next(past, real, false)
	if err != nil || !s.Set || !s.Now.Equal(past) || !s.SetAt.Equal(real) {
		t.Fatalf("Next on unset = %+v, %v", s, err)
	}
	later := real.Add(time.Hour)
	if got := s.At(later); !got.Equal(past.Add(time.Hour)) {
		t.Fatalf("At = %v, want %v", got, past.Add(time.Hour))
	}
	back, err := s.Next(past, later, false)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeConflict || de.Fields["now"] != "gte="+past.Add(time.Hour).Format(time.RFC3339Nano) {
		t.Fatalf("backwards Next err = %v", err)
	}
	if back != s {
		t.Fatalf("backwards Next changed the state: %+v", back)
	}
	if r, err := s.Next(past, later, true); err != nil || !r.Now.Equal(past) || !r.SetAt.Equal(later) {
		t.Fatalf("reset Next = %+v, %v", r, err)
	}
}
