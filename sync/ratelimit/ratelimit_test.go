package ratelimit

import (
	"testing"
	"time"
)

func TestExpiryAndSweep(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	if !Expiry(now, 0).IsZero() || Expired(time.Time{}, now) {
		t.Fatal("no expiry must never expire")
	}
	exp := Expiry(now, time.Minute)
	if Expired(exp, now.Add(59*time.Second)) || !Expired(exp, now.Add(time.Minute)) {
		t.Fatalf("expiry %v misjudged", exp)
	}
	if Key("a") == "a" || len(Key("a")) != 64 || Key("a") != Key("a") {
		t.Fatalf("Key = %q", Key("a"))
	}
	var s Sweeper
	if !s.Due(now) || s.Due(now.Add(59*time.Second)) || !s.Due(now.Add(time.Minute)) {
		t.Fatal("sweep not throttled to once a minute")
	}
}
