package storetest

import (
	"strings"
	stdsync "sync"
	"testing"
)

// gatewayLease arbitrates the one embedded gateway of the process between tests: many shared
// holders (tests using the shared gateway) or one exclusive holder (a test that stops it or
// runs its own), never both. Holders are named by t.Name() so that a test asking for the other
// kind of lease while it, or one of its parents, holds one fails instead of deadlocking.
type gatewayLease struct {
	mu        stdsync.Mutex
	cond      *stdsync.Cond
	shared    map[string]int // test name → shared leases held
	exclusive string         // test name of the exclusive holder, "" when none
	onIdle    func()         // called, under mu, when the last shared lease is released
}

var lease = newGatewayLease(stopSharedGateway)

func newGatewayLease(onIdle func()) *gatewayLease {
	l := &gatewayLease{shared: map[string]int{}, onIdle: onIdle}
	l.cond = stdsync.NewCond(&l.mu)
	return l
}

// sameFamily reports whether holder is test or one of its parents ("A" holds, "A/b" asks).
func sameFamily(holder, test string) bool {
	return holder == test || strings.HasPrefix(test, holder+"/")
}

// acquireShared blocks while a test holds the exclusive lease, then holds a shared lease until
// t's cleanup.
func (l *gatewayLease) acquireShared(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.exclusive != "" && sameFamily(l.exclusive, t.Name()) {
		t.Fatalf("storetest: %s reserved the object gateway (ReserveObjectGateway); it cannot use the shared one", l.exclusive)
	}
	for l.exclusive != "" {
		l.cond.Wait()
	}
	l.shared[t.Name()]++
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.shared[t.Name()]--; l.shared[t.Name()] == 0 {
			delete(l.shared, t.Name())
		}
		if len(l.shared) == 0 && l.onIdle != nil {
			l.onIdle()
		}
		l.cond.Broadcast()
	})
}

// acquireExclusive blocks until no test holds any lease, then holds the exclusive lease until
// t's cleanup.
func (l *gatewayLease) acquireExclusive(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for holder := range l.shared {
		if sameFamily(holder, t.Name()) {
			t.Fatalf("storetest: %s uses the shared object gateway; ReserveObjectGateway must come before any ObjectStore call in the test", holder)
		}
	}
	if l.exclusive != "" && sameFamily(l.exclusive, t.Name()) {
		t.Fatalf("storetest: %s already reserved the object gateway", l.exclusive)
	}
	for l.exclusive != "" || len(l.shared) > 0 {
		l.cond.Wait()
	}
	l.exclusive = t.Name()
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.exclusive = ""
		l.cond.Broadcast()
	})
}
