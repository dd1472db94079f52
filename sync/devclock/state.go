// Package devclock holds the storage-independent part of the development clock
// (FIELDSYNC_DEV_CLOCK, docs/fieldsim.md): the stored setting and the rule for moving it. The
// storage adapters (sync/mongostore, sync/sqlitestore) keep only how the setting is stored.
package devclock

import (
	"fmt"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// State is the stored setting: Now was set at the real instant SetAt. Set is false while nobody
// set the clock (Now and SetAt are then zero).
type State struct {
	Set   bool
	Now   time.Time
	SetAt time.Time
}

// At returns the clock's reading at the real instant real: real itself when the clock is not
// set, else Now moved on by real − SetAt.
func (s State) At(real time.Time) time.Time {
	if !s.Set {
		return real
	}
	return s.Now.Add(real.Sub(s.SetAt))
}

// String describes the setting for logs: "not set (real clock)" or "<Now> set at <SetAt>" in
// RFC 3339.
func (s State) String() string {
	if !s.Set {
		return "not set (real clock)"
	}
	return fmt.Sprintf("%s set at %s", s.Now.Format(time.RFC3339), s.SetAt.Format(time.RFC3339))
}

// Next returns the setting that moves the clock s to now at the real instant real: Set true,
// Now and SetAt in UTC truncated to the millisecond. The clock only moves forward: when s is set,
// reset is false and now is before s's reading at real, it returns s unchanged and a
// *domain.Error with Code domain.CodeConflict and Fields["now"] = "gte=<current reading>"
// (RFC 3339 with nanoseconds, UTC).
func (s State) Next(now, real time.Time, reset bool) (State, error) {
	if current := s.At(real); s.Set && !reset && now.Before(current) {
		return s, &domain.Error{Code: domain.CodeConflict, Message: "the dev clock only moves forward (reset to go back)",
			Fields: map[string]string{"now": "gte=" + current.UTC().Format(time.RFC3339Nano)}}
	}
	return State{Set: true, Now: now.UTC().Truncate(time.Millisecond), SetAt: real.UTC().Truncate(time.Millisecond)}, nil
}
