package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/fieldsync/fieldsync/server"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/devclock"
	"github.com/fieldsync/fieldsync/sync/stores"
)

// devClock is the development clock (FIELDSYNC_DEV_CLOCK, docs/fieldsim.md) as the server's
// /v1/dev/clock sees it: the shared setting in the database (devclock.Clock in the document store), and a nudge
// that starts a rules pass on this instance as soon as the clock moves, so that a simulator
// need not wait for the worker's tick.
type devClock struct {
	*devclock.Clock
	nudge chan struct{}
}

// newDevClock returns the dev clock when the configuration enables it, else nil. It logs a
// loud warning: every rule that judges the server's time then follows a clock an admin sets.
func newDevClock(cfg Config, docs *stores.Set, log *slog.Logger) *devClock {
	if !cfg.DevClock {
		return nil
	}
	c := &devClock{Clock: docs.NewDevClock(log), nudge: make(chan struct{}, 1)}
	st, err := c.State(context.Background())
	if err != nil {
		st = devclock.State{}
	}
	log.Warn("DEV CLOCK ON: FIELDSYNC_DEV_CLOCK=true lets an admin set the server's clock (PUT /v1/dev/clock); "+
		"rules, stamps and closes follow it. Never enable this in production.", slog.String("clock", st.String()))
	return c
}

// Reading implements server.DevClock.
func (c *devClock) Reading(ctx context.Context) (time.Time, bool, error) {
	st, err := c.State(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	return st.At(c.Real()), st.Set, nil
}

// Set implements server.DevClock: it stores the new time and nudges the rules worker.
func (c *devClock) Set(ctx context.Context, now time.Time, reset bool) (time.Time, error) {
	st, err := c.Clock.Set(ctx, now, reset)
	if err != nil {
		return time.Time{}, err
	}
	select {
	case c.nudge <- struct{}{}:
	default:
	}
	return st.At(c.Real()), nil
}

// now is the server's clock: the dev clock when enabled, else time.Now. Auth tokens, leases of
// the sync sequence and the janitors stay on the real clock.
func (a *app) now() func() time.Time {
	if a.clock == nil {
		return time.Now
	}
	return a.clock.Now
}

// devClockDep is the dev clock for server.Deps: nil (no routes) unless enabled.
func (a *app) devClockDep() server.DevClock {
	if a.clock == nil {
		return nil
	}
	return a.clock
}

// runRules runs the rules worker until ctx ends. With the dev clock on, it runs no pass until
// an admin has set the clock (a pass on the real clock would judge the R1 deadlines up to today
// and a simulated past month could never be judged again), then a pass every interval and
// whenever the clock moves.
func (a *app) runRules(ctx context.Context) {
	if a.clock == nil {
		a.rules.Run(ctx)
		return
	}
	tick := time.NewTicker(compute.DefaultInterval)
	defer tick.Stop()
	for {
		if st, err := a.clock.State(ctx); err == nil && st.Set {
			if err := a.rules.RunOnce(ctx, a.clock.Now()); err != nil && ctx.Err() == nil {
				a.log.Warn("compute pass failed", slog.String("error", err.Error()))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-a.clock.nudge:
		}
	}
}
