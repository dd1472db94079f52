package storetest

import (
	"testing"
	"time"
)

// fakeT is a testing.TB with its own name and cleanup list, so that lease holders can be
// simulated and released at chosen moments.
type fakeT struct {
	testing.TB
	name     string
	cleanups []func()
}

func (f *fakeT) Name() string      { return f.name }
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Helper()           {}
func (f *fakeT) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestSameFamily(t *testing.T) {
	tests := []struct {
		holder, test string
		want         bool
	}{
		{"TestA", "TestA", true},
		{"TestA", "TestA/sub", true},
		{"TestA", "TestA/sub/deeper", true},
		{"TestA/sub", "TestA", false},
		{"TestA", "TestAB", false},
		{"TestA", "TestB/TestA", false},
	}
	for _, tc := range tests {
		t.Run(tc.holder+" "+tc.test, func(t *testing.T) {
			if got := sameFamily(tc.holder, tc.test); got != tc.want {
				t.Fatalf("sameFamily(%q, %q) = %v, want %v", tc.holder, tc.test, got, tc.want)
			}
		})
	}
}

// TestExclusiveWaitsForSharedHolders checks both directions of the lease: an exclusive
// request waits for every shared holder, and shared requests wait for the exclusive holder.
func TestExclusiveWaitsForSharedHolders(t *testing.T) {
	idle := 0
	l := newGatewayLease(func() { idle++ })
	a, b := &fakeT{TB: t, name: "TestA"}, &fakeT{TB: t, name: "TestB"}
	l.acquireShared(a)
	l.acquireShared(b)

	reserver := &fakeT{TB: t, name: "TestReserve"}
	reserved := make(chan struct{})
	go func() {
		l.acquireExclusive(reserver)
		close(reserved)
	}()
	a.finish()
	select {
	case <-reserved:
		t.Fatal("exclusive lease granted while TestB holds a shared one")
	case <-time.After(50 * time.Millisecond):
	}
	if idle != 0 {
		t.Fatalf("onIdle called %d times while TestB holds a lease", idle)
	}
	b.finish()
	if idle != 1 {
		t.Fatalf("onIdle called %d times after the last shared holder finished, want 1", idle)
	}
	select {
	case <-reserved:
	case <-time.After(5 * time.Second):
		t.Fatal("exclusive lease not granted after every shared holder finished")
	}

	late := &fakeT{TB: t, name: "TestLate"}
	shared := make(chan struct{})
	go func() {
		l.acquireShared(late)
		close(shared)
	}()
	select {
	case <-shared:
		t.Fatal("shared lease granted during the exclusive one")
	case <-time.After(50 * time.Millisecond):
	}
	reserver.finish()
	select {
	case <-shared:
	case <-time.After(5 * time.Second):
		t.Fatal("shared lease not granted after the exclusive holder finished")
	}
	late.finish()
}
