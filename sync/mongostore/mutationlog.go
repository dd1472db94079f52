package mongostore

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync"
)

// collMutations is the mutation log: one document per idempotency key, expired by a TTL index
// on "at" (see indexes.go); older resends are still answered from the records' own receipts.
const collMutations = "mutations"

// MutationLog implements sync.MutationLog.
type MutationLog struct{ store *Store }

// NewMutationLog returns the mutation log of s.
func NewMutationLog(s *Store) *MutationLog { return &MutationLog{store: s} }

type receiptDoc struct {
	Key         string       `bson:"_id"`
	ContentHash string       `bson:"h"`
	MutationID  string       `bson:"m"`
	Status      string       `bson:"s"`
	Version     int64        `bson:"v,omitempty"`
	Conflicts   []fieldConfl `bson:"c,omitempty"`
	ErrCode     string       `bson:"ec,omitempty"`
	ErrMessage  string       `bson:"em,omitempty"`
	ErrFields   []errField   `bson:"ef,omitempty"`
	At          time.Time    `bson:"at"`
	UserID      string       `bson:"u,omitempty"` // who pushed (mutation log only; absent before sync health)
	DeviceID    string       `bson:"d,omitempty"`
}

// errField is one per-field message; field paths may hold '.' and '$', so they are values, not keys.
type errField struct {
	Path    string `bson:"p"`
	Message string `bson:"m"`
}

type fieldConfl struct {
	Field       string `bson:"f"`
	ServerValue any    `bson:"sv"`
	ClientValue any    `bson:"cv"`
}

func fromReceipt(r sync.Receipt) receiptDoc {
	d := receiptDoc{Key: r.Key, ContentHash: r.ContentHash, MutationID: r.Result.MutationID,
		Status: string(r.Result.Status), Version: r.Result.Version, At: r.At.UTC(), UserID: r.UserID, DeviceID: r.DeviceID}
	for _, c := range r.Result.Conflicts {
		d.Conflicts = append(d.Conflicts, fieldConfl{Field: c.Field, ServerValue: sync.NormalizeNumbers(c.ServerValue), ClientValue: sync.NormalizeNumbers(c.ClientValue)})
	}
	if e := r.Result.Error; e != nil {
		d.ErrCode, d.ErrMessage = e.Code, e.Message
		for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
			d.ErrFields = append(d.ErrFields, errField{Path: k, Message: e.Fields[k]})
		}
	}
	return d
}

func (d receiptDoc) toReceipt() sync.Receipt {
	r := sync.Receipt{Key: d.Key, ContentHash: d.ContentHash, At: d.At, UserID: d.UserID, DeviceID: d.DeviceID, Result: sync.Result{
		MutationID: d.MutationID, Status: sync.Status(d.Status), Version: d.Version}}
	for _, c := range d.Conflicts {
		r.Result.Conflicts = append(r.Result.Conflicts, sync.FieldConflict{Field: c.Field,
			ServerValue: fromStorage(c.ServerValue), ClientValue: fromStorage(c.ClientValue)})
	}
	if d.ErrCode != "" {
		r.Result.Error = &sync.ResultError{Code: d.ErrCode, Message: d.ErrMessage}
		if len(d.ErrFields) > 0 {
			r.Result.Error.Fields = map[string]string{}
			for _, f := range d.ErrFields {
				r.Result.Error.Fields[f.Path] = f.Message
			}
		}
	}
	return r
}

// GetMany implements sync.MutationLog.
func (l *MutationLog) GetMany(ctx context.Context, keys []string) (map[string]sync.Receipt, error) {
	out := make(map[string]sync.Receipt, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	docs, err := findByIDs[receiptDoc](ctx, l.store, l.store.DB().Collection(collMutations), keys)
	if err != nil {
		return nil, Translate(err, "load %d mutation receipts", len(keys))
	}
	for _, d := range docs {
		out[d.Key] = d.toReceipt()
	}
	return out, nil
}

// PutMany implements sync.MutationLog: an unordered insert where an existing key is no error.
func (l *MutationLog) PutMany(ctx context.Context, receipts []sync.Receipt) error {
	if len(receipts) == 0 {
		return nil
	}
	docs := make([]any, 0, len(receipts))
	for _, r := range receipts {
		docs = append(docs, fromReceipt(r))
	}
	_, err := l.store.DB().Collection(collMutations).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if err != nil && errors.As(err, &bwe) && onlyDuplicateKeys(bwe) {
		return nil
	}
	return Translate(err, "store %d mutation receipts", len(receipts))
}

// DeleteBefore removes the receipts stored before cutoff and returns how many. A resend of an
// older mutation is still answered from its record's receipts (sync.MaxReceipts).
func (l *MutationLog) DeleteBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := l.store.DB().Collection(collMutations).DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return 0, Translate(err, "delete mutation receipts before %s", cutoff.Format(time.RFC3339))
	}
	return res.DeletedCount, nil
}
