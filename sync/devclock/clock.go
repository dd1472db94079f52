package devclock

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// Refresh is how long Clock.Now serves its cached reading before it reads the stored setting
// again: a clock set by another process or instance is seen within it.
const Refresh = time.Second

// Storage is how a storage adapter keeps the setting, shared by every process on the database.
type Storage interface {
	// Load reads the stored setting (Set false when there is none) and an opaque revision that
	// Save compares against.
	Load(ctx context.Context) (st State, rev any, err error)
	// Save stores next in place of cur, read by Load with revision rev (cur.Set false: nothing
	// stored yet), as a compare-and-set: saved is false when the setting changed meanwhile.
	Save(ctx context.Context, cur State, rev any, next State) (saved bool, err error)
}

// Clock is the development clock (FIELDSYNC_DEV_CLOCK, docs/fieldsim.md): a settable "now" kept
// by a Storage. Once set to T at the real instant S, it reads T + (real now − S): it keeps
// running from where it was set. Unset, it reads the real clock. It exists so that a simulator
// can replay a past month against the rules that judge the server's time (R1 deadlines, R5
// closes); production never enables it. Real is the real clock (time.Now when nil).
type Clock struct {
	storage Storage
	log     *slog.Logger
	Real    func() time.Time

	mu       sync.Mutex
	state    State
	readAt   time.Time // real instant of the last read of the setting
	haveRead bool
}

// New returns the clock kept by s; log receives a warning when the setting cannot be read (the
// clock then keeps its last reading).
func New(s Storage, log *slog.Logger) *Clock {
	if log == nil {
		log = slog.Default()
	}
	return &Clock{storage: s, log: log, Real: time.Now}
}

func (c *Clock) real() time.Time {
	if c.Real == nil {
		return time.Now()
	}
	return c.Real()
}

// Now returns the clock's time: the stored setting moved on by the real time since it was set,
// read again from the storage at most every Refresh.
func (c *Clock) Now() time.Time {
	real := c.real()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haveRead || real.Sub(c.readAt) >= Refresh || real.Before(c.readAt) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, _, err := c.storage.Load(ctx)
		cancel()
		if err != nil {
			c.log.Warn("read the dev clock", slog.String("error", err.Error()))
		} else {
			c.state, c.readAt, c.haveRead = st, real, true
		}
	}
	return c.state.At(real)
}

// State reads the stored setting (Set false when there is none).
func (c *Clock) State(ctx context.Context) (State, error) {
	st, _, err := c.storage.Load(ctx)
	if err == nil {
		c.mu.Lock()
		c.state, c.readAt, c.haveRead = st, c.real(), true
		c.mu.Unlock()
	}
	return st, err
}

// Set moves the clock to now. It only moves forward: a time before the clock's current reading
// is a conflict (fields.now "gte=<current reading>") unless reset is true. It returns the new
// state. Two admins setting it at once: one wins, the other gets a conflict.
func (c *Clock) Set(ctx context.Context, now time.Time, reset bool) (State, error) {
	cur, rev, err := c.storage.Load(ctx)
	if err != nil {
		return State{}, err
	}
	real := c.real().UTC()
	next, err := cur.Next(now, real, reset)
	if err != nil {
		return cur, err
	}
	saved, err := c.storage.Save(ctx, cur, rev, next)
	if err != nil {
		return State{}, err
	}
	if !saved {
		return cur, domain.Errorf(domain.CodeConflict, "the dev clock was set meanwhile: try again")
	}
	c.mu.Lock()
	c.state, c.readAt, c.haveRead = next, real, true
	c.mu.Unlock()
	return next, nil
}
