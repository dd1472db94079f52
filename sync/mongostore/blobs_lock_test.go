package mongostore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// TestUploadLocks runs the lock of resumable uploads through its cases. Two UploadLocks values
// on one database stand for two server instances: they share nothing but the database.
func TestUploadLocks(t *testing.T) {
	store := storetest.Mongo(t)
	// Wide margins: the suite runs under -race on two loaded cores.
	const ttl, tick = 3 * time.Second, 20 * time.Millisecond
	one := mongostore.NewUploadLocks(store).WithTiming(ttl, tick)
	two := mongostore.NewUploadLocks(store).WithTiming(ttl, tick)
	ctx := context.Background()
	never := func() { t.Error("requestUnlock called on a lock nobody asked for") }

	t.Run("lock and unlock", func(t *testing.T) {
		l := one.NewLock("u1")
		if err := l.Lock(ctx, never); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(); err != nil {
			t.Fatal(err)
		}
		again := two.NewLock("u1")
		if err := again.Lock(ctx, never); err != nil {
			t.Fatalf("lock after unlock: %v", err)
		}
		_ = again.Unlock()
	})

	t.Run("a waiter asks the holder, which releases", func(t *testing.T) {
		holder := one.NewLock("u2")
		var asked atomic.Int32
		release := make(chan struct{})
		if err := holder.Lock(ctx, func() { asked.Add(1); close(release) }); err != nil {
			t.Fatal(err)
		}
		go func() {
			<-release
			_ = holder.Unlock()
		}()
		waiter := two.NewLock("u2")
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := waiter.Lock(wctx, never); err != nil {
			t.Fatalf("waiter: %v", err)
		}
		defer waiter.Unlock()
		if asked.Load() != 1 {
			t.Errorf("holder asked %d times, want once", asked.Load())
		}
		if waited := time.Since(start); waited > ttl {
			t.Errorf("waited %v: the release request should free the lock before it expires (%v)", waited, ttl)
		}
	})

	t.Run("a waiter gives up when its context ends", func(t *testing.T) {
		holder := one.NewLock("u3")
		if err := holder.Lock(ctx, func() {}); err != nil { // asked, but keeps the lock
			t.Fatal(err)
		}
		defer holder.Unlock()
		wctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		err := two.NewLock("u3").Lock(wctx, never)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock = %v, want the context's deadline", err)
		}
	})

	t.Run("a dead holder's lock is taken over after the TTL", func(t *testing.T) {
		// A holder that died: its document stays, nobody renews it.
		if _, err := store.DB().Collection("upload_locks").InsertOne(ctx, bson.D{{Key: "_id", Value: "u4"},
			{Key: "holder", Value: "dead"}, {Key: "exp", Value: time.Now().UTC().Add(ttl)}, {Key: "release", Value: false}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		l := two.NewLock("u4")
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := l.Lock(wctx, never); err != nil {
			t.Fatal(err)
		}
		defer l.Unlock()
		if waited := time.Since(start); waited < ttl/2 {
			t.Errorf("took a live lock over after %v", waited)
		}
	})

	t.Run("a held lock is renewed past its TTL", func(t *testing.T) {
		holder := one.NewLock("u5")
		if err := holder.Lock(ctx, func() {}); err != nil { // asked below, keeps the lock
			t.Fatal(err)
		}
		defer holder.Unlock()
		time.Sleep(2 * ttl)
		wctx, cancel := context.WithTimeout(ctx, 3*tick)
		defer cancel()
		holder2 := two.NewLock("u5")
		if err := holder2.Lock(wctx, func() {}); err == nil {
			_ = holder2.Unlock()
			t.Fatal("took over a lock its holder keeps renewing")
		}
	})
}
