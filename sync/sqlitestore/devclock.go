package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	stdsync "sync"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/devclock"
)

// devClockID is the settings row holding the development clock.
const devClockID = "dev_clock"

// DevClockRefresh is how long DevClock.Now serves its cached reading before it reads the
// settings row again: a clock set by another process is seen within it.
const DevClockRefresh = time.Second

// DevClock is the development clock (FIELDSYNC_DEV_CLOCK, docs/fieldsim.md), as in
// sync/mongostore: a settable "now" kept in the settings table (row "dev_clock", value JSON
// {now, setAt} in Unix nanoseconds), shared by every process on the file. Once set to T at the
// real instant S, it reads T + (real now − S). Unset, it reads the real clock. Real is the real
// clock (time.Now when nil).
type DevClock struct {
	store *Store
	log   *slog.Logger
	Real  func() time.Time

	mu       stdsync.Mutex
	state    devclock.State
	readAt   time.Time
	haveRead bool
}

// devClockDoc is the stored JSON form of a devclock.State (the row exists only when Set).
type devClockDoc struct {
	Now   int64 `json:"now"`
	SetAt int64 `json:"setAt"`
}

// NewDevClock returns the development clock of s; log receives a warning when the row cannot be
// read (the clock then keeps its last reading).
func NewDevClock(s *Store, log *slog.Logger) *DevClock {
	if log == nil {
		log = slog.Default()
	}
	return &DevClock{store: s, log: log, Real: time.Now}
}

func (c *DevClock) real() time.Time {
	if c.Real == nil {
		return time.Now()
	}
	return c.Real()
}

// Now returns the clock's time, reading the setting again at most every DevClockRefresh.
func (c *DevClock) Now() time.Time {
	real := c.real()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haveRead || real.Sub(c.readAt) >= DevClockRefresh || real.Before(c.readAt) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, _, err := c.load(ctx, c.store.reader)
		cancel()
		if err != nil {
			c.log.Warn("read the dev clock", slog.String("error", err.Error()))
		} else {
			c.state, c.readAt, c.haveRead = st, real, true
		}
	}
	return c.state.At(real)
}

// State reads the stored setting from the database (Set false when there is none).
func (c *DevClock) State(ctx context.Context) (devclock.State, error) {
	st, _, err := c.load(ctx, c.store.reader)
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
func (c *DevClock) Set(ctx context.Context, now time.Time, reset bool) (devclock.State, error) {
	cur, raw, err := c.load(ctx, c.store.reader)
	if err != nil {
		return devclock.State{}, err
	}
	real := c.real().UTC()
	next, err := cur.Next(now, real, reset)
	if err != nil {
		return cur, err
	}
	val, err := json.Marshal(devClockDoc{Now: next.Now.UnixNano(), SetAt: next.SetAt.UnixNano()})
	if err != nil {
		return devclock.State{}, fmt.Errorf("set the dev clock: %w", err)
	}
	lost := false
	err = c.store.Write(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if !cur.Set {
			res, err = tx.ExecContext(ctx, `INSERT INTO settings (id, value, created_at) VALUES (?, ?, ?)
				ON CONFLICT (id) DO NOTHING`, devClockID, val, real.UnixNano())
		} else { // compare-and-set on the value read
			res, err = tx.ExecContext(ctx, `UPDATE settings SET value = ? WHERE id = ? AND value = ?`, val, devClockID, raw)
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		lost = n == 0
		return err
	})
	if err != nil {
		return devclock.State{}, translate(err, "set the dev clock")
	}
	if lost {
		return cur, domain.Errorf(domain.CodeConflict, "the dev clock was set meanwhile: try again")
	}
	c.mu.Lock()
	c.state, c.readAt, c.haveRead = next, real, true
	c.mu.Unlock()
	return next, nil
}

func (c *DevClock) load(ctx context.Context, db *sql.DB) (devclock.State, []byte, error) {
	var raw []byte
	err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE id = ?`, devClockID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return devclock.State{}, nil, nil
	}
	if err != nil {
		return devclock.State{}, nil, translate(err, "load the dev clock")
	}
	var d devClockDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return devclock.State{}, nil, translate(err, "decode the dev clock")
	}
	return devclock.State{Set: true, Now: fromNanos(d.Now), SetAt: fromNanos(d.SetAt)}, raw, nil
}
