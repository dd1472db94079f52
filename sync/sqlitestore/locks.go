package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	stdsync "sync"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/sync/blobs"
)

// Defaults of UploadLocks.
const (
	// DefaultUploadLockTTL is how long a lock outlives its holder's last renewal: a crashed
	// process's lock is taken over after it.
	DefaultUploadLockTTL = 15 * time.Second
	// DefaultUploadLockTick is how often a holder renews its lock and looks for release requests,
	// and how often a waiter tries again.
	DefaultUploadLockTick = 250 * time.Millisecond
)

// UploadLocks are exclusive locks shared by every process on the database file (table
// upload_locks): on resumable (tus) uploads and on photo addresses (Claim), with the semantics of
// sync/mongostore.UploadLocks. A holder renews its lock every tick; a lock not renewed for TTL is
// taken over. A waiter asks the holder to release (the holder's requestUnlock callback runs).
// Every operation is one write transaction on the single writer.
type UploadLocks struct {
	store *Store
	ttl   time.Duration
	tick  time.Duration
}

var _ blobs.Claims = (*UploadLocks)(nil)

// NewUploadLocks returns the locks of s with the default TTL and tick.
func NewUploadLocks(s *Store) *UploadLocks {
	return &UploadLocks{store: s, ttl: DefaultUploadLockTTL, tick: DefaultUploadLockTick}
}

// WithTiming returns a copy with another TTL and tick (tests).
func (l *UploadLocks) WithTiming(ttl, tick time.Duration) *UploadLocks {
	return &UploadLocks{store: l.store, ttl: ttl, tick: tick}
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
// — when somebody else asks for the lock or the lock was lost. Errors: ctx's error (wrapped) when
// it ended first; unavailable.
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
		err = lk.locks.store.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE upload_locks SET release = 1 WHERE id = ? AND holder != ?`, lk.id, lk.holder)
			return err
		})
		if err != nil && ctx.Err() == nil {
			return translate(err, "ask for the lock of upload %s", lk.id)
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

// tryAcquire inserts the lock, or takes it over when it expired, in one transaction.
func (lk *UploadLock) tryAcquire(ctx context.Context) (bool, error) {
	var n int64
	err := lk.locks.store.Write(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		res, err := tx.ExecContext(ctx, `INSERT INTO upload_locks (id, holder, exp, release) VALUES (?, ?, ?, 0)
			ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, exp = excluded.exp, release = 0
			WHERE upload_locks.exp < ?`, lk.id, lk.holder, now.Add(lk.locks.ttl).UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, translate(err, "lock upload %s", lk.id)
	}
	return n == 1, nil
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
		var release int64
		err := lk.locks.store.Write(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `UPDATE upload_locks SET exp = ? WHERE id = ? AND holder = ? RETURNING release`,
				exp.UnixNano(), lk.id, lk.holder).Scan(&release)
		})
		cancel()
		switch {
		case err == nil:
			held = exp
			if release != 0 {
				ask()
			}
		case errors.Is(err, sql.ErrNoRows), time.Now().After(held):
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
	err := lk.locks.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM upload_locks WHERE id = ? AND holder = ?`, lk.id, lk.holder)
		return err
	})
	return translate(err, "unlock upload %s", lk.id)
}
