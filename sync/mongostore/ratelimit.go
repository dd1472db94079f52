package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/ratelimit"
)

// collRateLimits holds the login rate limiter's counters, shared by every server instance.
const collRateLimits = "rate_limits"

// LimiterStorage implements fiber.Storage (github.com/gofiber/fiber/v2) on MongoDB, for Fiber's
// limiter middleware: the counters of failed logins live in the database, so every instance
// counts the same attempts. Keys are stored as their SHA-256, so usernames and addresses do not
// sit in the collection. Expired entries read as absent; they are deleted by a TTL index on
// MongoDB and by a sweep at most once a minute (FerretDB has no TTL indexes).
//
// The limiter reads and writes a counter in two steps (no atomic increment), so attempts that
// arrive at the same moment on different instances may count once: the effective limit is at
// most the number of instances times the configured one.
type LimiterStorage struct {
	store   *Store
	timeout time.Duration
	now     func() time.Time
	sweeper ratelimit.Sweeper
}

// NewLimiterStorage returns the limiter storage of s. Each call is bounded by 2 s.
func NewLimiterStorage(s *Store) *LimiterStorage {
	return &LimiterStorage{store: s, timeout: ratelimit.Timeout, now: time.Now}
}

type limitDoc struct {
	Key   string     `bson:"_id"`
	Value []byte     `bson:"val"`
	Exp   *time.Time `bson:"exp,omitempty"` // absent: never expires (a TTL index ignores it)
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
	var d limitDoc
	err := l.store.DB().Collection(collRateLimits).FindOne(ctx, bson.D{{Key: "_id", Value: ratelimit.Key(key)}}).Decode(&d)
	if err != nil {
		if err = Translate(err, "load rate limit"); errors.Is(err, domain.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if d.Exp != nil && ratelimit.Expired(*d.Exp, l.now()) {
		return nil, nil
	}
	return d.Value, nil
}

// Set stores val under key for exp (0: no expiry). An empty key or value is ignored.
func (l *LimiterStorage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := l.ctx()
	defer cancel()
	d := limitDoc{Key: ratelimit.Key(key), Value: val}
	if at := ratelimit.Expiry(l.now(), exp); !at.IsZero() {
		at = at.UTC()
		d.Exp = &at
	}
	_, err := l.store.DB().Collection(collRateLimits).ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.Key}}, d,
		options.Replace().SetUpsert(true))
	if err != nil {
		return Translate(err, "store rate limit")
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
	_, _ = l.store.DB().Collection(collRateLimits).DeleteMany(ctx,
		bson.D{{Key: "exp", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}}) // housekeeping only
}

// Delete removes key; an absent key is no error.
func (l *LimiterStorage) Delete(key string) error {
	ctx, cancel := l.ctx()
	defer cancel()
	if _, err := l.store.DB().Collection(collRateLimits).DeleteOne(ctx, bson.D{{Key: "_id", Value: ratelimit.Key(key)}}); err != nil {
		return Translate(err, "delete rate limit")
	}
	return nil
}

// Reset removes every counter.
func (l *LimiterStorage) Reset() error {
	ctx, cancel := l.ctx()
	defer cancel()
	if _, err := l.store.DB().Collection(collRateLimits).DeleteMany(ctx, bson.D{}); err != nil {
		return Translate(err, "reset rate limits")
	}
	return nil
}

// Close does nothing: the Store is closed by its owner.
func (l *LimiterStorage) Close() error { return nil }
