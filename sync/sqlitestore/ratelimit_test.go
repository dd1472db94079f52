package sqlitestore

import (
	"bytes"
	"testing"
	"time"
)

func TestLimiterStorage(t *testing.T) {
	store, _ := openTest(t)
	l := NewLimiterStorage(store)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }

	if v, err := l.Get("absent"); v != nil || err != nil {
		t.Fatalf("Get(absent) = %q, %v", v, err)
	}
	if err := l.Set("a", []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := l.Set("forever", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := l.Get("a"); err != nil || !bytes.Equal(v, []byte("1")) {
		t.Fatalf("Get(a) = %q, %v", v, err)
	}
	if err := l.Set("a", []byte("2"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Get("a"); !bytes.Equal(v, []byte("2")) {
		t.Fatalf("Get(a) after overwrite = %q", v)
	}
	if err := l.Set("", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	if err := l.Set("empty", nil, 0); err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Get("empty"); v != nil {
		t.Fatalf("empty value stored: %q", v)
	}

	now = now.Add(time.Minute) // a expires exactly now
	if v, err := l.Get("a"); v != nil || err != nil {
		t.Fatalf("Get(a) expired = %q, %v", v, err)
	}
	if v, _ := l.Get("forever"); !bytes.Equal(v, []byte("x")) {
		t.Fatalf("Get(forever) = %q", v)
	}
	// The sweep removes the expired row.
	now = now.Add(2 * time.Minute)
	if err := l.Set("b", []byte("1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := store.reader.QueryRow(`SELECT count(*) FROM rate_limits`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after sweep = %d, %v; want 2", n, err)
	}
	// Keys are hashed.
	if err := store.reader.QueryRow(`SELECT count(*) FROM rate_limits WHERE key = 'b'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("plain key stored: %d, %v", n, err)
	}

	if err := l.Delete("b"); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete("b"); err != nil {
		t.Fatalf("Delete(absent) = %v", err)
	}
	if v, _ := l.Get("b"); v != nil {
		t.Fatalf("Get after Delete = %q", v)
	}
	if err := l.Reset(); err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Get("forever"); v != nil {
		t.Fatalf("Get after Reset = %q", v)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
