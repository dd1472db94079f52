package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/sync/ratelimit"
)

// LimiterStorage implements fiber.Storage (github.com/gofiber/fiber/v2) on SQLite, for Fiber's
// limiter middleware: the counters of failed logins live in the database file, so every process
// on it counts the same attempts. Keys are stored as their SHA-256. Expired entries read as
// absent; they are deleted by a sweep at most once a minute.
type LimiterStorage struct {
	store   *Store
	timeout time.Duration
	now     func() time.Time
	sweeper ratelimit.Sweeper
}

var _ fiber.Storage = (*LimiterStorage)(nil)

// NewLimiterStorage returns the limiter storage of s. Each call is bounded by 2 s.
func NewLimiterStorage(s *Store) *LimiterStorage {
	return &LimiterStorage{store: s, timeout: ratelimit.Timeout, now: time.Now}
}

func (l *LimiterStorage) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), l.timeout)
}

// Get returns the value of key, or nil, nil when it is absent or expired.
func (l *LimiterStorage) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ctx, cancel := l.ctx()
	defer cancel()
	var val []byte
	var exp int64
	err := l.store.reader.QueryRowContext(ctx, `SELECT val, exp FROM rate_limits WHERE key = ?`, ratelimit.Key(key)).Scan(&val, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "load rate limit")
	}
	if ratelimit.Expired(fromNanos(exp), l.now()) {
		return nil, nil
	}
	return val, nil
}

// Set stores val under key for exp (0: no expiry). An empty key or value is ignored.
func (l *LimiterStorage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := l.ctx()
	defer cancel()
	at := nanos(ratelimit.Expiry(l.now(), exp))
	err := l.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rate_limits (key, val, exp) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET val = excluded.val, exp = excluded.exp`, ratelimit.Key(key), val, at)
		return err
	})
	if err != nil {
		return translate(err, "store rate limit")
	}
	l.sweep(ctx)
	return nil
}

// sweep deletes expired entries, at most once a minute per process.
func (l *LimiterStorage) sweep(ctx context.Context) {
	now := l.now()
	if !l.sweeper.Due(now) {
		return
	}
	_ = l.store.Write(ctx, func(tx *sql.Tx) error { // housekeeping only
		_, err := tx.ExecContext(ctx, `DELETE FROM rate_limits WHERE exp != 0 AND exp <= ?`, now.UnixNano())
		return err
	})
}

// Delete removes key; an absent key is no error.
func (l *LimiterStorage) Delete(key string) error {
	ctx, cancel := l.ctx()
	defer cancel()
	err := l.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM rate_limits WHERE key = ?`, ratelimit.Key(key))
		return err
	})
	return translate(err, "delete rate limit")
}

// Reset removes every counter.
func (l *LimiterStorage) Reset() error {
	ctx, cancel := l.ctx()
	defer cancel()
	err := l.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM rate_limits`)
		return err
	})
	return translate(err, "reset rate limits")
}

// Close does nothing: the Store is closed by its owner.
func (l *LimiterStorage) Close() error { return nil }
