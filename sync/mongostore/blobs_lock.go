package mongostore

import (
	"context"
	"errors"
	"fmt"
	stdsync "sync"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// collUploadLocks holds the locks of the resumable uploads in progress, one document per upload:
// {_id: upload id, holder, exp, release}.
const collUploadLocks = "upload_locks"

// Defaults of UploadLocks.
const (
	// DefaultUploadLockTTL is how long a lock outlives its holder's last renewal: a crashed
	// instance's lock is taken over after it.
	DefaultUploadLockTTL = 15 * time.Second
	// DefaultUploadLockTick is how often a holder renews its lock and looks for release requests,
	// and how often a waiter tries again.
	DefaultUploadLockTick = 250 * time.Millisecond
)

// UploadLocks are exclusive locks shared by every server instance through the database: on
// resumable (tus) uploads, so that two requests for one upload never write it at once, whichever
// instances they reach, and on photo addresses (Claim), so that only one upload at a time writes
// a photo's object (sync/blobs). A holder renews its lock every tick; a lock not renewed for TTL (its
// instance died) is taken over. A waiter asks the holder to release (the holder's requestUnlock
// callback runs: tusd then stops the old request, saves what it received and unlocks), which
// is how a phone that reconnects after a cut gets its upload back at once.
//
// Every operation is a single-document atomic write (insert on _id, compare-and-set on holder or
// expiry), so it holds on MongoDB and on FerretDB alike. Expiry compares the clocks of the
// instances: keep them within a few seconds (NTP).
type UploadLocks struct {
	store *Store
	ttl   time.Duration
	tick  time.Duration
}

// NewUploadLocks returns the locks of s with the default TTL and tick.
func NewUploadLocks(s *Store) *UploadLocks {
	return &UploadLocks{store: s, ttl: DefaultUploadLockTTL, tick: DefaultUploadLockTick}
}

// WithTiming returns a copy with another TTL and tick (tests).
func (l *UploadLocks) WithTiming(ttl, tick time.Duration) *UploadLocks {
	return &UploadLocks{store: l.store, ttl: ttl, tick: tick}
}

func (l *UploadLocks) coll() *mongo.Collection { return l.store.DB().Collection(collUploadLocks) }

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

type lockDoc struct {
	ID      string    `bson:"_id"`
	Holder  string    `bson:"holder"`
	Exp     time.Time `bson:"exp"`
	Release bool      `bson:"release"`
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
			return err
		}
		if ok {
			lk.stop, lk.done = make(chan struct{}), make(chan struct{})
			go lk.renew(requestUnlock)
			return nil
		}
		_, err = lk.locks.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: lk.id}, {Key: "holder", Value: bson.D{{Key: "$ne", Value: lk.holder}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "release", Value: true}}}})
		if err != nil && ctx.Err() == nil {
			return Translate(err, "ask for the lock of upload %s", lk.id)
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
		lk.stop, lk.done = make(chan struct{}), make(chan struct{})
		go lk.renew(requestUnlock)
	}
	return ok, err
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
	now := time.Now().UTC()
	doc := lockDoc{ID: lk.id, Holder: lk.holder, Exp: now.Add(lk.locks.ttl)}
	_, err := lk.locks.coll().InsertOne(ctx, doc)
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, Translate(err, "lock upload %s", lk.id)
	}
	res, err := lk.locks.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: lk.id}, {Key: "exp", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "holder", Value: lk.holder}, {Key: "exp", Value: doc.Exp}, {Key: "release", Value: false}}}})
	if err != nil {
		return false, Translate(err, "take over the expired lock of upload %s", lk.id)
	}
	return res.MatchedCount == 1, nil
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
		exp := time.Now().UTC().Add(lk.locks.ttl)
		var d lockDoc
		err := lk.locks.coll().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: lk.id}, {Key: "holder", Value: lk.holder}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "exp", Value: exp}}}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
		cancel()
		switch {
		case err == nil:
			held = exp
			if d.Release {
				ask()
			}
		case errors.Is(err, mongo.ErrNoDocuments), time.Now().After(held):
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
	_, err := lk.locks.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: lk.id}, {Key: "holder", Value: lk.holder}})
	return Translate(err, "unlock upload %s", lk.id)
}
