package mongostore

import (
	"context"
	"errors"
	"log/slog"

	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/fieldsync/fieldsync/sync/devclock"
)

// devClockID is the settings document holding the development clock.
const devClockID = "dev_clock"

// DevClockRefresh is how long DevClock.Now serves its cached reading before it reads the
// settings document again (devclock.Refresh).
const DevClockRefresh = devclock.Refresh

// DevClock is the development clock (devclock.Clock) kept in the settings collection
// (`{_id: "dev_clock", now, setAt}`), shared by every instance.
type DevClock = devclock.Clock

// devClockDoc is the stored form of a devclock.State (the document exists only when Set).
type devClockDoc struct {
	Now   time.Time `bson:"now"`
	SetAt time.Time `bson:"setAt"`
}

// NewDevClock returns the development clock of s; log receives a warning when the document
// cannot be read (the clock then keeps its last reading).
func NewDevClock(s *Store, log *slog.Logger) *DevClock {
	return devclock.New(devClockStorage{s}, log)
}

// devClockStorage keeps the dev clock in the settings document; the compare-and-set is on setAt.
type devClockStorage struct{ store *Store }

// Save implements devclock.Storage: an insert when nothing is stored, else an update of the
// document still holding cur.SetAt.
func (d devClockStorage) Save(ctx context.Context, cur devclock.State, _ any, next devclock.State) (bool, error) {
	coll := d.store.DB().Collection(collSettings)
	doc := bson.D{{Key: "now", Value: next.Now}, {Key: "setAt", Value: next.SetAt}}
	if !cur.Set {
		_, err := coll.InsertOne(ctx, append(bson.D{{Key: "_id", Value: devClockID}}, doc...))
		if mongo.IsDuplicateKeyError(err) {
			return false, nil
		}
		if err != nil {
			return false, Translate(err, "set the dev clock")
		}
		return true, nil
	}
	res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: devClockID}, {Key: "setAt", Value: cur.SetAt}},
		bson.D{{Key: "$set", Value: doc}})
	if err != nil {
		return false, Translate(err, "set the dev clock")
	}
	return res.MatchedCount != 0, nil
}

// Load implements devclock.Storage.
func (d devClockStorage) Load(ctx context.Context) (devclock.State, any, error) {
	var doc devClockDoc
	err := d.store.DB().Collection(collSettings).FindOne(ctx, bson.D{{Key: "_id", Value: devClockID}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return devclock.State{}, nil, nil
	}
	if err != nil {
		return devclock.State{}, nil, Translate(err, "load the dev clock")
	}
	return devclock.State{Set: true, Now: doc.Now.UTC(), SetAt: doc.SetAt.UTC()}, nil, nil
}
