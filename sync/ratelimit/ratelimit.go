// Package ratelimit holds the storage-independent part of the login rate limiter's storage
// (fiber.Storage for Fiber's limiter middleware, built by cmd/fieldsync): how keys are stored,
// when an entry expires and how often expired entries are swept. The storage adapters
// (sync/mongostore, sync/sqlitestore LimiterStorage) keep only how the counters are stored.
package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"sync/atomic"
	"time"
)

// Timeout bounds each call of a limiter storage.
const Timeout = 2 * time.Second

// SweepEvery is how often, at most, a process deletes the expired entries.
const SweepEvery = time.Minute

// Key is the stored form of a limiter key: its SHA-256 in hex, so that usernames and addresses
// do not sit in the database.
func Key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Expiry is when an entry set at now for exp expires: the zero time (never) when exp is not
// positive.
func Expiry(now time.Time, exp time.Duration) time.Time {
	if exp <= 0 {
		return time.Time{}
	}
	return now.Add(exp)
}

// Expired reports whether an entry expiring at exp (zero: never) reads as absent at now.
func Expired(exp, now time.Time) bool {
	return !exp.IsZero() && !now.Before(exp)
}

// Sweeper throttles the sweep of expired entries to at most once every SweepEvery per process.
// The zero value is ready to use.
type Sweeper struct{ last atomic.Int64 }

// Due reports whether a sweep is due at now and, if so, claims it (one caller wins).
func (s *Sweeper) Due(now time.Time) bool {
	last := s.last.Load()
	return now.Unix()-last >= int64(SweepEvery/time.Second) && s.last.CompareAndSwap(last, now.Unix())
}
