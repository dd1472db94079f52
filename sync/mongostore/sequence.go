package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// collSyncMeta holds the sequence document {_id: "seq", n, inflight: {"<first>": expiresAt}, purged}.
const collSyncMeta = "sync_meta"

const seqDocID = "seq"

// Sequencer implements sync.Sequencer on one MongoDB document, with compare-and-set updates
// only (no transactions), so that it works on FerretDB and across server instances.
//
// Reserve moves n forward by compare-and-set on its old value and records the reservation's
// first number with its lease expiry in inflight, in the same single-document write: a reader
// can never see a number allocated without also seeing it in flight. Horizon's Stable is one
// below the smallest unexpired reservation (or n when none is in flight).
type Sequencer struct {
	store *Store
	now   func() time.Time
}

// NewSequencer returns the sequencer of the store; now is the clock (time.Now in production).
func NewSequencer(s *Store, now func() time.Time) *Sequencer {
	return &Sequencer{store: s, now: now}
}

type seqDoc struct {
	N        int64                `bson:"n"`
	Inflight map[string]time.Time `bson:"inflight"`
	Purged   int64                `bson:"purged"`
}

func (q *Sequencer) coll() *mongo.Collection { return q.store.DB().Collection(collSyncMeta) }

func (q *Sequencer) load(ctx context.Context) (seqDoc, error) {
	var d seqDoc
	err := q.coll().FindOne(ctx, bson.D{{Key: "_id", Value: seqDocID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		_, err = q.coll().InsertOne(ctx, bson.D{{Key: "_id", Value: seqDocID}, {Key: "n", Value: int64(0)},
			{Key: "inflight", Value: bson.D{}}, {Key: "purged", Value: int64(0)}})
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			return d, Translate(err, "create sequence")
		}
		return seqDoc{}, nil
	}
	if err != nil {
		return d, Translate(err, "load sequence")
	}
	return d, nil
}

// Reserve implements sync.Sequencer.
func (q *Sequencer) Reserve(ctx context.Context, n int, lease time.Duration) (int64, func(context.Context) error, error) {
	if n <= 0 {
		return 0, nil, fmt.Errorf("reserve %d sequence numbers: %w", n, domain.ErrInvalid)
	}
	for attempt := 0; ; attempt++ {
		d, err := q.load(ctx)
		if err != nil {
			return 0, nil, err
		}
		first := d.N + 1
		set := bson.D{{Key: "n", Value: d.N + int64(n)}, {Key: "inflight." + strconv.FormatInt(first, 10), Value: q.now().Add(lease)}}
		res, err := q.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: seqDocID}, {Key: "n", Value: d.N}}, bson.D{{Key: "$set", Value: set}})
		if err != nil {
			return 0, nil, Translate(err, "reserve sequence numbers")
		}
		if res.MatchedCount == 1 {
			release := func(ctx context.Context) error {
				_, err := q.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: seqDocID}},
					bson.D{{Key: "$unset", Value: bson.D{{Key: "inflight." + strconv.FormatInt(first, 10), Value: ""}}}})
				return Translate(err, "release sequence numbers from %d", first)
			}
			return first, release, nil
		}
		if attempt > 1000 {
			return 0, nil, fmt.Errorf("reserve sequence numbers: %w", domain.ErrConflict)
		}
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
	}
}

// Horizon implements sync.Sequencer. Reservations whose lease has passed count as abandoned and
// are removed.
func (q *Sequencer) Horizon(ctx context.Context) (sync.Horizon, error) {
	d, err := q.load(ctx)
	if err != nil {
		return sync.Horizon{}, err
	}
	now := q.now()
	stable := d.N
	var expired bson.D
	for k, exp := range d.Inflight {
		first, perr := strconv.ParseInt(k, 10, 64)
		if perr != nil {
			continue
		}
		if !exp.After(now) {
			expired = append(expired, bson.E{Key: "inflight." + k, Value: ""})
			continue
		}
		stable = min(stable, first-1)
	}
	if len(expired) > 0 {
		// Best effort: another instance may have removed them already.
		_, _ = q.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: seqDocID}}, bson.D{{Key: "$unset", Value: expired}})
	}
	return sync.Horizon{Stable: stable, Allocated: d.N, Purged: min(d.Purged, stable)}, nil
}

// MarkPurged raises the purge point to seq (never lowers it): cursors below it answer
// resync_required. Call it before deleting the tombstones at or below seq.
func (q *Sequencer) MarkPurged(ctx context.Context, seq int64) error {
	if _, err := q.load(ctx); err != nil {
		return err
	}
	_, err := q.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: seqDocID}},
		bson.D{{Key: "$max", Value: bson.D{{Key: "purged", Value: seq}}}},
		options.UpdateOne())
	return Translate(err, "mark purged through %d", seq)
}
