package blobs_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/sqlitestore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// lockEnv is two UploadLocks that stand for two processes (server instances): they share
// nothing but the database.
type lockEnv struct {
	ttl, tick time.Duration
	one, two  *blobs.UploadLocks
	// dead inserts the lock id of a holder that died: it stays, nobody renews it.
	dead func(t *testing.T, id string, exp time.Time)
}

// lockTables returns a lockEnv per adapter.
func lockTables(t *testing.T) map[string]func(t *testing.T) lockEnv {
	return map[string]func(t *testing.T) lockEnv{
		// Two Stores opened on the same file stand for two processes.
		"sqlite": func(t *testing.T) lockEnv {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "fieldsync.db")
			store, err := sqlitestore.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = store.Close() })
			other, err := sqlitestore.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = other.Close() })
			const ttl, tick = 1 * time.Second, 20 * time.Millisecond
			return lockEnv{ttl: ttl, tick: tick,
				one: sqlitestore.NewUploadLocks(store).WithTiming(ttl, tick),
				two: sqlitestore.NewUploadLocks(other).WithTiming(ttl, tick),
				dead: func(t *testing.T, id string, exp time.Time) {
					if err := store.Write(ctx, func(tx *sql.Tx) error {
						_, err := tx.ExecContext(ctx, `INSERT INTO upload_locks (id, holder, exp, release) VALUES (?, 'dead', ?, 0)`,
							id, exp.UnixNano())
						return err
					}); err != nil {
						t.Fatal(err)
					}
				}}
		},
		// Two UploadLocks values on one database.
		"mongo": func(t *testing.T) lockEnv {
			store := storetest.Mongo(t)
			// Wide margins: the suite runs under -race on two loaded cores.
			const ttl, tick = 3 * time.Second, 20 * time.Millisecond
			return lockEnv{ttl: ttl, tick: tick,
				one: mongostore.NewUploadLocks(store).WithTiming(ttl, tick),
				two: mongostore.NewUploadLocks(store).WithTiming(ttl, tick),
				dead: func(t *testing.T, id string, exp time.Time) {
					if _, err := store.DB().Collection("upload_locks").InsertOne(context.Background(), bson.D{{Key: "_id", Value: id},
						{Key: "holder", Value: "dead"}, {Key: "exp", Value: exp.UTC()}, {Key: "release", Value: false}}); err != nil {
						t.Fatal(err)
					}
				}}
		},
	}
}

// TestUploadLocks runs the lock of resumable uploads through its cases, on every adapter's
// LockTable.
func TestUploadLocks(t *testing.T) {
	for name, open := range lockTables(t) {
		t.Run(name, func(t *testing.T) { testUploadLocks(t, open(t)) })
	}
}

func testUploadLocks(t *testing.T, e lockEnv) {
	ttl, tick, one, two := e.ttl, e.tick, e.one, e.two
	ctx := context.Background()
	never := func() { t.Error("requestUnlock called on a lock nobody asked for") }

	t.Run("lock and unlock", func(t *testing.T) {
		l := one.NewLock("u1")
		if err := l.Lock(ctx, never); err != nil {
			t.Fatal(err)
		}
		if ok, err := two.NewLock("u1").TryLock(ctx, never); err != nil || ok {
			t.Fatalf("TryLock on a held lock = %v, %v; want false", ok, err)
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
		e.dead(t, "u4", time.Now().Add(ttl))
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

	t.Run("claim", func(t *testing.T) {
		rel, ok, err := one.Claim(ctx, "photo", false)
		if err != nil || !ok {
			t.Fatalf("Claim = %v, %v", ok, err)
		}
		if _, ok, err := two.Claim(ctx, "photo", false); err != nil || ok {
			t.Fatalf("second Claim = %v, %v; want false", ok, err)
		}
		rel()
		rel2, ok, err := two.Claim(ctx, "photo", true)
		if err != nil || !ok {
			t.Fatalf("Claim after release = %v, %v", ok, err)
		}
		rel2()
	})
}
