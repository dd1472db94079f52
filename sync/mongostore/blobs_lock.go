package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync/blobs"
)

// collUploadLocks holds the locks of the resumable uploads in progress, one document per upload:
// {_id: upload id, holder, exp, release}.
const collUploadLocks = "upload_locks"

// NewUploadLocks returns the locks of s (collection upload_locks), shared by every server
// instance through the database, with the default TTL and tick (blobs.UploadLocks).
//
// Every operation is a single-document atomic write (insert on _id, compare-and-set on holder or
// expiry), so it holds on MongoDB and on FerretDB alike.
func NewUploadLocks(s *Store) *blobs.UploadLocks { return blobs.NewUploadLocks(lockTable{s}) }

// lockTable is the blobs.LockTable of collection upload_locks.
type lockTable struct{ store *Store }

var _ blobs.LockTable = lockTable{}

func (t lockTable) coll() *mongo.Collection { return t.store.DB().Collection(collUploadLocks) }

type lockDoc struct {
	ID      string    `bson:"_id"`
	Holder  string    `bson:"holder"`
	Exp     time.Time `bson:"exp"`
	Release bool      `bson:"release"`
}

func (t lockTable) Acquire(ctx context.Context, id, holder string, exp, now time.Time) (bool, error) {
	now, exp = now.UTC(), exp.UTC()
	_, err := t.coll().InsertOne(ctx, lockDoc{ID: id, Holder: holder, Exp: exp})
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, Translate(err, "lock upload %s", id)
	}
	res, err := t.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "exp", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "holder", Value: holder}, {Key: "exp", Value: exp}, {Key: "release", Value: false}}}})
	if err != nil {
		return false, Translate(err, "take over the expired lock of upload %s", id)
	}
	return res.MatchedCount == 1, nil
}

func (t lockTable) RequestRelease(ctx context.Context, id, holder string) error {
	_, err := t.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "holder", Value: bson.D{{Key: "$ne", Value: holder}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "release", Value: true}}}})
	return Translate(err, "ask for the lock of upload %s", id)
}

func (t lockTable) Renew(ctx context.Context, id, holder string, exp time.Time) (bool, error) {
	var d lockDoc
	err := t.coll().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}, {Key: "holder", Value: holder}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "exp", Value: exp.UTC()}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, blobs.ErrLockNotHeld
	}
	if err != nil {
		return false, Translate(err, "renew the lock of upload %s", id)
	}
	return d.Release, nil
}

func (t lockTable) Delete(ctx context.Context, id, holder string) error {
	_, err := t.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "holder", Value: holder}})
	return Translate(err, "unlock upload %s", id)
}
