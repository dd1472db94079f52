package mongostore

import (
	"context"
	"errors"
	"log/slog"
	stdsync "sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/devclock"
)

// devClockID is the settings document holding the development clock.
const devClockID = "dev_clock"

// DevClockRefresh is how long DevClock.Now serves its cached reading before it reads the
// settings document again: a clock set on another instance is seen within it.
const DevClockRefresh = time.Second

// DevClock is the development clock (FIELDSYNC_DEV_CLOCK, docs/fieldsim.md): a settable "now"
// kept in the settings collection (`{_id: "dev_clock", now, setAt}`), shared by every instance.
// Once set to T at the real instant S, it reads T + (real now − S): it keeps running from where
// it was set. Unset, it reads the real clock. It exists so that a simulator can replay a past
// month against the rules that judge the server's time (R1 deadlines, R5 closes); production
// never enables it. Real is the real clock (time.Now when nil).
type DevClock struct {
	store *Store
	log   *slog.Logger
	Real  func() time.Time

	mu       stdsync.Mutex
	state    devclock.State
	readAt   time.Time // real instant of the last read of the document
	haveRead bool
}

// devClockDoc is the stored form of a devclock.State (the document exists only when Set).
type devClockDoc struct {
	Now   time.Time `bson:"now"`
	SetAt time.Time `bson:"setAt"`
}

// NewDevClock returns the development clock of s; log receives a warning when the document
// cannot be read (the clock then keeps its last reading).
func NewDevClock(s *Store, log *slog.Logger) *DevClock {
	if log == nil {
		log = slog.Default()
	}
	return &DevClock{store: s, log: log, Real: time.Now}
}

// Now returns the clock's time: the stored setting moved on by the real time since it was set,
// read again from the database at most every DevClockRefresh.
func (c *DevClock) Now() time.Time {
	real := c.Real()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haveRead || real.Sub(c.readAt) >= DevClockRefresh || real.Before(c.readAt) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := c.load(ctx)
		cancel()
		if err != nil {
			c.log.Warn("read the dev clock", slog.String("error", err.Error()))
		} else {
			c.state, c.readAt, c.haveRead = st, real, true
		}
	}
	return c.state.At(real)
}

// State reads the stored setting from the database (Set false when there is none).
func (c *DevClock) State(ctx context.Context) (devclock.State, error) {
	st, err := c.load(ctx)
	if err == nil {
		c.mu.Lock()
		c.state, c.readAt, c.haveRead = st, c.Real(), true
		c.mu.Unlock()
	}
	return st, err
}

// Set moves the clock to now. It only moves forward: a time before the clock's current reading
// is a conflict (fields.now "gte=<current reading>") unless reset is true. It returns the new
// state. Two admins setting it at once: one wins, the other gets a conflict.
func (c *DevClock) Set(ctx context.Context, now time.Time, reset bool) (devclock.State, error) {
	cur, err := c.load(ctx)
	if err != nil {
		return devclock.State{}, err
	}
	real := c.Real().UTC()
	next, err := cur.Next(now, real, reset)
	if err != nil {
		return cur, err
	}
	coll := c.store.DB().Collection(collSettings)
	doc := bson.D{{Key: "now", Value: next.Now}, {Key: "setAt", Value: next.SetAt}}
	if !cur.Set {
		_, err = coll.InsertOne(ctx, append(bson.D{{Key: "_id", Value: devClockID}}, doc...))
		if mongo.IsDuplicateKeyError(err) {
			return cur, domain.Errorf(domain.CodeConflict, "the dev clock was set meanwhile: try again")
		}
		if err != nil {
			return devclock.State{}, Translate(err, "set the dev clock")
		}
	} else {
		res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: devClockID}, {Key: "setAt", Value: cur.SetAt}},
			bson.D{{Key: "$set", Value: doc}})
		if err != nil {
			return devclock.State{}, Translate(err, "set the dev clock")
		}
		if res.MatchedCount == 0 {
			return cur, domain.Errorf(domain.CodeConflict, "the dev clock was set meanwhile: try again")
		}
	}
	c.mu.Lock()
	c.state, c.readAt, c.haveRead = next, real, true
	c.mu.Unlock()
	return next, nil
}

func (c *DevClock) load(ctx context.Context) (devclock.State, error) {
	var d devClockDoc
	err := c.store.DB().Collection(collSettings).FindOne(ctx, bson.D{{Key: "_id", Value: devClockID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return devclock.State{}, nil
	}
	if err != nil {
		return devclock.State{}, Translate(err, "load the dev clock")
	}
	return devclock.State{Set: true, Now: d.Now.UTC(), SetAt: d.SetAt.UTC()}, nil
}
