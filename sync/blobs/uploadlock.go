package blobs

import (
	"context"
	"errors"
	"fmt"
	stdsync "sync"
	"time"

	"github.com/google/uuid"
)

// Defaults of UploadLocks.
const (
	// DefaultUploadLockTTL is how long a lock outlives its holder's last renewal: a crashed
	// process's (instance's) lock is taken over after it.
	DefaultUploadLockTTL = 15 * time.Second
	// DefaultUploadLockTick is how often a holder renews its lock and looks for release requests,
	// and how often a waiter tries again.
	DefaultUploadLockTick = 250 * time.Millisecond
)

// ErrLockNotHeld is what LockTable.Renew reports when the holder no longer holds the lock (it
// was deleted or taken over).
var ErrLockNotHeld = errors.New("upload lock no longer held")

// LockTable is where an adapter keeps the locks of UploadLocks, one row (document) per lock:
// {id, holder, exp, release}. Every operation is atomic on its one lock. Errors other than
// ErrLockNotHeld are the adapter's (translated: unavailable, ...).
type LockTable interface {
	// Acquire inserts the lock id held by holder until exp, or takes it over (release cleared)
	// when its exp is before now, and reports whether holder now holds it.
	Acquire(ctx context.Context, id, holder string, exp, now time.Time) (bool, error)
	// RequestRelease marks the lock id as asked for, unless holder holds it.
	RequestRelease(ctx context.Context, id, holder string) error
	// Renew extends holder's lock id to exp and reports whether its release was asked for.
	// Errors: ErrLockNotHeld when holder does not hold it.
	Renew(ctx context.Context, id, holder string, exp time.Time) (releaseRequested bool, err error)
	// Delete removes the lock id if holder holds it.
	Delete(ctx context.Context, id, holder string) error
}

// UploadLocks are exclusive locks shared by every process (server instance) on one database
// (its LockTable): on resumable (tus) uploads, so that two requests for one upload never write
// it at once, whichever instances they reach, and on photo addresses (Claim), so that only one
// upload at a time writes a photo's object. A holder renews its lock every tick; a lock not
// renewed for TTL (its instance died) is taken over. A waiter asks the holder to release (the
// holder's requestUnlock callback runs: tusd then stops the old request, saves what it received
// and unlocks), which is how a phone that reconnects after a cut gets its upload back at once.
//
// Expiry compares the clocks of the instances: keep them within a few seconds (NTP).
type UploadLocks struct {
	table LockTable
	ttl   time.Duration
	tick  time.Duration
}

var _ Claims = (*UploadLocks)(nil)

// NewUploadLocks returns the locks kept in table with the default TTL and tick.
func NewUploadLocks(table LockTable) *UploadLocks {
	return &UploadLocks{table: table, ttl: DefaultUploadLockTTL, tick: DefaultUploadLockTick}
}

// WithTiming returns a copy with another TTL and tick (tests).
func (l *UploadLocks) WithTiming(ttl, tick time.Duration) *UploadLocks {
	return &UploadLocks{table: l.table, ttl: ttl, tick: tick}
}

// UploadLock is the lock of one upload, unlocked until Lock succeeds. One UploadLock is held by
// one request: Lock, then Unlock once.
type UploadLock struct {
	locks  *UploadLocks
	id     string
	holder string
	stop   chan struct{}
	done   chan struct{}
	once   stdsync.Once
}

// NewLock returns the (unlocked) lock of the upload id.
func (l *UploadLocks) NewLock(id string) *UploadLock {
	return &UploadLock{locks: l, id: id, holder: uuid.NewString()}
}

// Lock takes the lock, waiting while somebody else holds it (and asking them, every tick, to
// release it), until ctx ends. Once held, requestUnlock is called — once, from another goroutine
// — when somebody else asks for the lock or the lock was lost (not renewed in time); the holder
// should then finish quickly and Unlock. Errors: ctx's error (wrapped) when it ended first;
// unavailable.
func (lk *UploadLock) Lock(ctx context.Context, requestUnlock func()) error {
	for {
		ok, err := lk.tryAcquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("lock upload %s: %w", lk.id, ctx.Err())
			}
			return err
		}
		if ok {
			lk.start(requestUnlock)
			return nil
		}
		if err := lk.locks.table.RequestRelease(ctx, lk.id, lk.holder); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lock upload %s: %w", lk.id, ctx.Err())
		case <-time.After(lk.locks.tick):
		}
	}
}

// TryLock takes the lock if nobody holds it (or its holder's lock expired) and reports whether
// it did, without waiting. requestUnlock is as in Lock. Errors: unavailable.
func (lk *UploadLock) TryLock(ctx context.Context, requestUnlock func()) (bool, error) {
	ok, err := lk.tryAcquire(ctx)
	if ok {
		lk.start(requestUnlock)
	}
	return ok, err
}

func (lk *UploadLock) start(requestUnlock func()) {
	lk.stop, lk.done = make(chan struct{}), make(chan struct{})
	go lk.renew(requestUnlock)
}

// Claim takes the lock named name for a short critical section and returns its release. With
// wait it waits (until ctx ends) while somebody else holds it; without, it reports false at once.
// A holder asked to release keeps the lock until its section ends. A failed release is left to
// the TTL. Errors: unavailable; ctx's error while waiting.
func (l *UploadLocks) Claim(ctx context.Context, name string, wait bool) (release func(), ok bool, err error) {
	lk := l.NewLock(name)
	keep := func() {}
	if wait {
		err = lk.Lock(ctx, keep)
		ok = err == nil
	} else {
		ok, err = lk.TryLock(ctx, keep)
	}
	if !ok || err != nil {
		return func() {}, false, err
	}
	return func() { _ = lk.Unlock() }, true, nil
}

// tryAcquire inserts the lock, or takes it over when it expired.
func (lk *UploadLock) tryAcquire(ctx context.Context) (bool, error) {
	now := time.Now()
	return lk.locks.table.Acquire(ctx, lk.id, lk.holder, now.Add(lk.locks.ttl), now)
}

// renew extends the lock every tick until Unlock, and calls requestUnlock once when a release
// is asked for or the lock is lost.
func (lk *UploadLock) renew(requestUnlock func()) {
	defer close(lk.done)
	ask := func() { lk.once.Do(requestUnlock) }
	t := time.NewTicker(lk.locks.tick)
	defer t.Stop()
	held := time.Now().Add(lk.locks.ttl)
	for {
		select {
		case <-lk.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), lk.locks.ttl)
		exp := time.Now().Add(lk.locks.ttl)
		release, err := lk.locks.table.Renew(ctx, lk.id, lk.holder, exp)
		cancel()
		switch {
		case err == nil:
			held = exp
			if release {
				ask()
			}
		case errors.Is(err, ErrLockNotHeld), time.Now().After(held):
			ask() // taken over, or not renewed in time: somebody else may hold it now
		}
	}
}

// Unlock releases the lock. Errors: unavailable (the lock then expires after the TTL).
func (lk *UploadLock) Unlock() error {
	if lk.stop != nil {
		close(lk.stop)
		<-lk.done
		lk.stop = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lk.locks.ttl)
	defer cancel()
	return lk.locks.table.Delete(ctx, lk.id, lk.holder)
}
