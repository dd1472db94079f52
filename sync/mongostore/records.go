package mongostore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/blobs"
)

// collRecords holds every synced record of every collection, one document per record, so that
// one index on (aud, seq) serves a pull across all collections in commit order.
const collRecords = "records"

// maxCASAttempts bounds how often UpdateMany retries a record whose write clashed.
const maxCASAttempts = 8

// ferretUpdatesPerCommand bounds the writes of one bulk command on FerretDB: FerretDB v1 keeps a
// SQLite row set open for every update of a command until the command ends, and its SQLite pool
// holds at most 100 connections, so a command of ~100 updates waits for itself forever (the
// server hangs). Measured: 95 updates pass, 110 hang.
const ferretUpdatesPerCommand = 50

// Records implements sync.RecordStore.
//
// On MongoDB a write is a compare-and-set on {_id, seq} and a pull one query on the (aud, seq)
// index. On FerretDB v1, which answers only `{_id: <string>}` filters from an index, the same
// queries would read the whole collection: there a write holds the Store's write lock for its
// read-modify-write and is addressed by _id alone (sound: on FerretDB the Store is the
// database's only writer), and a pull reads the change feed (feed.go).
type Records struct {
	store *Store
	index bool // the MongoDB queries even on FerretDB (tests of that path)
}

// NewRecords returns the record store of s.
func NewRecords(s *Store) *Records { return &Records{store: s} }

// feedMode reports whether r keeps and reads the change feed (FerretDB).
func (r *Records) feedMode() bool { return r.store.ferret && !r.index }

func (r *Records) coll() *mongo.Collection { return r.store.DB().Collection(collRecords) }

// recordDoc is the storage shape of a sync.Record. _id is "<collection>/<id>".
type recordDoc struct {
	ID             string            `bson:"_id"`
	Collection     string            `bson:"c"`
	RecordID       string            `bson:"rid"`
	Owner          string            `bson:"owner"`
	Team           string            `bson:"team"`
	Audience       []string          `bson:"aud"`
	Revoked        []string          `bson:"rev,omitempty"`
	Photos         []string          `bson:"photos,omitempty"`
	Version        int64             `bson:"v"`
	Seq            int64             `bson:"seq"`
	Fields         bson.M            `bson:"f"`
	FieldVersions  map[string]int64  `bson:"fv"`
	FieldWriters   map[string]string `bson:"fw,omitempty"`
	Deleted        bool              `bson:"del"`
	DeletedVersion int64             `bson:"delv,omitempty"`
	CreatedAt      time.Time         `bson:"createdAt"`
	UpdatedAt      time.Time         `bson:"updatedAt"`
	Conflicts      []conflictDoc     `bson:"conflicts,omitempty"`
	Receipts       []receiptDoc      `bson:"receipts,omitempty"`
}

type conflictDoc struct {
	MutationID    string    `bson:"m"`
	UserID        string    `bson:"u"`
	DeviceID      string    `bson:"d"`
	Field         string    `bson:"f"`
	ServerValue   any       `bson:"sv"`
	ClientValue   any       `bson:"cv"`
	BaseVersion   int64     `bson:"bv"`
	ServerVersion int64     `bson:"v"`
	At            time.Time `bson:"at"`
	ClientTime    time.Time `bson:"ct,omitempty"`
}

func docKey(k sync.RecordKey) string { return k.Collection + "/" + k.ID }

func fromRecord(r *sync.Record) recordDoc {
	d := recordDoc{
		ID: docKey(sync.RecordKey{Collection: r.Collection, ID: r.ID}), Collection: r.Collection, RecordID: r.ID,
		Owner: r.Owner, Team: r.Team, Audience: r.Audience, Revoked: r.Revoked, Photos: r.Photos,
		Version: r.Version, Seq: r.Seq, Fields: bson.M(sync.NormalizeNumbers(r.Fields).(map[string]any)), FieldVersions: r.FieldVersions, FieldWriters: r.FieldWriters,
		Deleted: r.Deleted, DeletedVersion: r.DeletedVersion, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if d.Audience == nil {
		d.Audience = []string{}
	}
	if d.FieldVersions == nil {
		d.FieldVersions = map[string]int64{}
	}
	for _, c := range r.Conflicts {
		d.Conflicts = append(d.Conflicts, conflictDoc{MutationID: c.MutationID, UserID: c.UserID, DeviceID: c.DeviceID,
			Field: c.Field, ServerValue: sync.NormalizeNumbers(c.ServerValue), ClientValue: sync.NormalizeNumbers(c.ClientValue),
			BaseVersion: c.BaseVersion, ServerVersion: c.ServerVersion, At: c.At.UTC(), ClientTime: c.ClientTime.UTC()})
	}
	for _, rc := range r.Receipts {
		d.Receipts = append(d.Receipts, fromReceipt(rc))
	}
	return d
}

func (d recordDoc) toRecord() *sync.Record {
	r := &sync.Record{
		Collection: d.Collection, ID: d.RecordID, Owner: d.Owner, Team: d.Team,
		Audience: d.Audience, Revoked: d.Revoked, Photos: d.Photos, Seq: d.Seq,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		State: sync.State{Version: d.Version, Fields: fromStorageMap(d.Fields), FieldVersions: d.FieldVersions, FieldWriters: d.FieldWriters,
			Deleted: d.Deleted, DeletedVersion: d.DeletedVersion},
	}
	if r.FieldVersions == nil {
		r.FieldVersions = map[string]int64{}
	}
	for _, c := range d.Conflicts {
		r.Conflicts = append(r.Conflicts, sync.ConflictEntry{MutationID: c.MutationID, UserID: c.UserID, DeviceID: c.DeviceID,
			Field: c.Field, ServerValue: fromStorage(c.ServerValue), ClientValue: fromStorage(c.ClientValue),
			BaseVersion: c.BaseVersion, ServerVersion: c.ServerVersion, At: c.At, ClientTime: c.ClientTime})
	}
	for _, rc := range d.Receipts {
		r.Receipts = append(r.Receipts, rc.toReceipt())
	}
	return r
}

// findByIDs loads the documents of ids. On MongoDB that is one $in query; FerretDB v1 (SQLite)
// pushes down only _id equality and would scan the whole collection for an $in, so there it is
// one indexed lookup per id, which keeps a push's cost in the size of its batch, not of the data.
func findByIDs[T any](ctx context.Context, s *Store, coll *mongo.Collection, ids []string) ([]T, error) {
	var docs []T
	if !s.IsFerretDB() {
		cur, err := coll.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
		if err != nil {
			return nil, err
		}
		err = cur.All(ctx, &docs)
		return docs, err
	}
	for _, id := range ids {
		var d T
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// GetMany implements sync.RecordStore.
func (r *Records) GetMany(ctx context.Context, keys []sync.RecordKey) (map[sync.RecordKey]*sync.Record, error) {
	out := make(map[sync.RecordKey]*sync.Record, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, docKey(k))
	}
	docs, err := findByIDs[recordDoc](ctx, r.store, r.coll(), ids)
	if err != nil {
		return nil, Translate(err, "load %d records", len(ids))
	}
	for _, d := range docs {
		rec := d.toRecord()
		out[sync.RecordKey{Collection: rec.Collection, ID: rec.ID}] = rec
	}
	return out, nil
}

// UpdateMany implements sync.RecordStore: the one read-modify-write path. Each written record is
// a single-document compare-and-set on the Seq it was read at (every write moves Seq), or an
// insert for a new record; clashing records are read again and passed to fn again.
func (r *Records) UpdateMany(ctx context.Context, keys []sync.RecordKey,
	fn func(cur map[sync.RecordKey]*sync.Record) (map[sync.RecordKey]*sync.Record, error)) error {
	pending := slices.Clone(keys)
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == maxCASAttempts {
			return fmt.Errorf("update %d records: still clashing after %d attempts: %w", len(pending), attempt, domain.ErrConflict)
		}
		clashed, err := r.updateOnce(ctx, pending, fn)
		if err != nil {
			return err
		}
		pending = clashed
	}
	return nil
}

// updateOnce is one round of UpdateMany: read, fn, compare-and-set write. On FerretDB the round
// holds the store's write lock, and the write is addressed by _id alone (see Records).
func (r *Records) updateOnce(ctx context.Context, keys []sync.RecordKey,
	fn func(cur map[sync.RecordKey]*sync.Record) (map[sync.RecordKey]*sync.Record, error)) ([]sync.RecordKey, error) {
	if r.feedMode() {
		r.store.writeMu.Lock()
		defer r.store.writeMu.Unlock()
	}
	cur, err := r.GetMany(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if _, ok := cur[k]; !ok {
			cur[k] = nil
		}
	}
	next, err := fn(cur)
	if err != nil {
		return nil, err
	}
	return r.writeCAS(ctx, cur, next)
}

// writeCAS writes next, each record conditional on the Seq of its version in cur, and returns
// the keys whose write clashed.
func (r *Records) writeCAS(ctx context.Context, cur, next map[sync.RecordKey]*sync.Record) ([]sync.RecordKey, error) {
	if len(next) == 0 {
		return nil, nil
	}
	keys := slices.SortedFunc(maps.Keys(next), func(a, b sync.RecordKey) int {
		return compareKeys(a, b)
	})
	if r.feedMode() {
		recs := make([]*sync.Record, len(keys))
		for i, k := range keys {
			recs[i] = next[k]
		}
		if err := r.appendFeed(ctx, recs); err != nil {
			return nil, err
		}
		if added, _ := photoDiff(keys, cur, next); len(added) > 0 {
			if err := r.addPhotoRefs(ctx, added); err != nil {
				return nil, err
			}
		}
	}
	clashed, err := r.writeRecords(ctx, keys, cur, next)
	if err != nil || !r.feedMode() {
		return clashed, err
	}
	written := slices.DeleteFunc(slices.Clone(keys), func(k sync.RecordKey) bool { return slices.Contains(clashed, k) })
	if _, removed := photoDiff(written, cur, next); len(removed) > 0 {
		if err := r.removePhotoRefs(ctx, removed); err != nil {
			return nil, err
		}
	}
	return clashed, nil
}

// writeRecords is writeCAS's one bulk write; it returns the keys whose write clashed.
func (r *Records) writeRecords(ctx context.Context, keys []sync.RecordKey, cur, next map[sync.RecordKey]*sync.Record) ([]sync.RecordKey, error) {
	models := make([]mongo.WriteModel, 0, len(keys))
	for _, k := range keys {
		doc := fromRecord(next[k])
		if old := cur[k]; old != nil {
			filter := bson.D{{Key: "_id", Value: doc.ID}, {Key: "seq", Value: old.Seq}}
			if r.feedMode() {
				filter = filter[:1] // the write lock is the compare-and-set
			}
			models = append(models, mongo.NewReplaceOneModel().SetFilter(filter).SetReplacement(doc))
		} else {
			models = append(models, mongo.NewInsertOneModel().SetDocument(doc))
		}
	}
	chunk := len(models)
	if r.store.ferret {
		chunk = ferretUpdatesPerCommand
	}
	landed, clashes := int64(0), false
	for part := range slices.Chunk(models, max(chunk, 1)) {
		res, err := r.coll().BulkWrite(ctx, part, options.BulkWrite().SetOrdered(false))
		var bwe mongo.BulkWriteException
		if err != nil && !(errors.As(err, &bwe) && onlyDuplicateKeys(bwe)) {
			return nil, Translate(err, "write %d records", len(part))
		}
		clashes = clashes || err != nil
		if res != nil {
			landed += res.InsertedCount + res.MatchedCount
		}
	}
	if !clashes && landed == int64(len(models)) {
		return nil, nil
	}
	// Some writes clashed: find out which by reading back what is stored now.
	stored, gerr := r.GetMany(ctx, keys)
	if gerr != nil {
		return nil, gerr
	}
	var clashed []sync.RecordKey
	for _, k := range keys {
		s, ok := stored[k]
		if !ok || s.Seq != next[k].Seq || s.Version != next[k].Version {
			clashed = append(clashed, k)
		}
	}
	return clashed, nil
}

func onlyDuplicateKeys(e mongo.BulkWriteException) bool {
	if e.WriteConcernError != nil || len(e.WriteErrors) == 0 {
		return false
	}
	for _, we := range e.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}

func compareKeys(a, b sync.RecordKey) int {
	if a.Collection != b.Collection {
		if a.Collection < b.Collection {
			return -1
		}
		return 1
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// Changes implements sync.RecordStore with one indexed query on (aud, seq) and (rev, seq).
// On FerretDB it reads the change feed instead (feedChanges).
func (r *Records) Changes(ctx context.Context, q sync.ChangeQuery) ([]*sync.Record, error) {
	if len(q.Tokens) == 0 || q.Limit <= 0 || q.Through <= q.After {
		return nil, nil
	}
	if r.feedMode() {
		return r.feedChanges(ctx, q)
	}
	seqRange := bson.D{{Key: "$gt", Value: q.After}, {Key: "$lte", Value: q.Through}}
	visible := bson.A{
		bson.D{{Key: "aud", Value: bson.D{{Key: "$in", Value: q.Tokens}}}},
	}
	if !q.SkipDeleted {
		visible = append(visible, bson.D{{Key: "rev", Value: bson.D{{Key: "$in", Value: q.Tokens}}}})
	}
	filter := bson.D{{Key: "seq", Value: seqRange}, {Key: "$or", Value: visible}}
	if q.SkipDeleted {
		filter = append(filter, bson.E{Key: "del", Value: false})
	}
	if q.Collection != "" {
		filter = append(filter, bson.E{Key: "c", Value: q.Collection})
	}
	opts := options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(q.Limit)).
		SetProjection(bson.D{{Key: "receipts", Value: 0}})
	cur, err := r.coll().Find(ctx, filter, opts)
	if err != nil {
		return nil, Translate(err, "find changes after %d", q.After)
	}
	var docs []recordDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, Translate(err, "decode changes")
	}
	out := make([]*sync.Record, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.toRecord())
	}
	return out, nil
}

// TombstonesBefore returns the highest Seq among the tombstones last written before cutoff (0
// when there are none). The purge marks that Seq purged first, then deletes them.
func (r *Records) TombstonesBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	opts := options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}}).SetProjection(bson.D{{Key: "seq", Value: 1}})
	var d struct {
		Seq int64 `bson:"seq"`
	}
	err := r.coll().FindOne(ctx, bson.D{{Key: "del", Value: true}, {Key: "updatedAt", Value: bson.D{{Key: "$lt", Value: cutoff}}}}, opts).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	return d.Seq, Translate(err, "find tombstones before %s", cutoff.Format(time.RFC3339))
}

// DeleteTombstones removes the tombstones with Seq at or below through that were last written
// before cutoff, and returns how many.
func (r *Records) DeleteTombstones(ctx context.Context, through int64, cutoff time.Time) (int64, error) {
	if r.feedMode() {
		r.store.writeMu.Lock()
		defer r.store.writeMu.Unlock()
	}
	res, err := r.coll().DeleteMany(ctx, bson.D{{Key: "del", Value: true}, {Key: "seq", Value: bson.D{{Key: "$lte", Value: through}}},
		{Key: "updatedAt", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return 0, Translate(err, "delete tombstones through %d", through)
	}
	return res.DeletedCount, nil
}

// ---- Photo queries (sync/blobs.Records; docs/photos.md), on the photos index (photo_refs on FerretDB) ----

// PhotoVisible reports whether a live record whose audience holds one of tokens refers to the
// photo h: who may read a photo.
func (r *Records) PhotoVisible(ctx context.Context, h string, tokens []string) (bool, error) {
	if len(tokens) == 0 {
		return false, nil
	}
	err := r.coll().FindOne(ctx, bson.D{{Key: "photos", Value: h}, {Key: "aud", Value: bson.D{{Key: "$in", Value: tokens}}},
		{Key: "del", Value: false}}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, Translate(err, "find a visible record of photo %s", h)
}

// Referring returns up to limit records, tombstones included, that refer to the photo h.
func (r *Records) Referring(ctx context.Context, h string, limit int) ([]sync.RecordKey, error) {
	if r.feedMode() {
		return r.feedReferring(ctx, h, limit)
	}
	return r.photoKeys(ctx, bson.D{{Key: "photos", Value: h}}, limit, "find the records of photo %s", h)
}

// Claims returns up to limit live records of collections that refer to the photo h, earliest
// created first (ties by collection, then id: the order of _id).
func (r *Records) Claims(ctx context.Context, h string, collections []string, limit int) ([]sync.PhotoClaim, error) {
	if r.feedMode() {
		return r.feedClaims(ctx, h, collections, limit)
	}
	filter := bson.D{{Key: "photos", Value: h}, {Key: "c", Value: bson.D{{Key: "$in", Value: collections}}}, {Key: "del", Value: false}}
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "c", Value: 1}, {Key: "rid", Value: 1}, {Key: "createdAt", Value: 1}})
	cur, err := r.coll().Find(ctx, filter, opts)
	if err != nil {
		return nil, Translate(err, "find the claims of photo %s", h)
	}
	var docs []struct {
		Collection string    `bson:"c"`
		RecordID   string    `bson:"rid"`
		CreatedAt  time.Time `bson:"createdAt"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, Translate(err, "decode the claims of photo %s", h)
	}
	out := make([]sync.PhotoClaim, len(docs))
	for i, d := range docs {
		out[i] = sync.PhotoClaim{Key: sync.RecordKey{Collection: d.Collection, ID: d.RecordID}, CreatedAt: d.CreatedAt}
	}
	return out, nil
}

// PendingPhotos returns up to limit live records whose computed photosPending is not empty.
func (r *Records) PendingPhotos(ctx context.Context, limit int) ([]blobs.PendingRecord, error) {
	filter := bson.D{{Key: "f." + sync.FieldPhotosPending + ".0", Value: bson.D{{Key: "$exists", Value: true}}}, {Key: "del", Value: false}}
	opts := options.Find().SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "c", Value: 1}, {Key: "rid", Value: 1}, {Key: "f." + sync.FieldPhotosPending, Value: 1}})
	cur, err := r.coll().Find(ctx, filter, opts)
	if err != nil {
		return nil, Translate(err, "find records with pending photos")
	}
	var docs []struct {
		Collection string `bson:"c"`
		RecordID   string `bson:"rid"`
		Fields     bson.M `bson:"f"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, Translate(err, "decode records with pending photos")
	}
	out := make([]blobs.PendingRecord, 0, len(docs))
	for _, d := range docs {
		p := blobs.PendingRecord{Key: sync.RecordKey{Collection: d.Collection, ID: d.RecordID}}
		if list, ok := fromStorage(d.Fields[sync.FieldPhotosPending]).([]any); ok {
			for _, x := range list {
				if h, ok := x.(string); ok {
					p.Pending = append(p.Pending, h)
				}
			}
		}
		if len(p.Pending) > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}

// SharedPhotos returns, for every photo referred to by more than one live record of collections,
// those records. It reads the photos of every such record (grouping in Go: FerretDB's $group is
// not to be trusted with more than one accumulator), which is fine for the janitor's hourly pass.
func (r *Records) SharedPhotos(ctx context.Context, collections []string) (map[string][]sync.RecordKey, error) {
	cur, err := r.coll().Find(ctx, bson.D{{Key: "c", Value: bson.D{{Key: "$in", Value: collections}}}, {Key: "del", Value: false},
		{Key: "photos.0", Value: bson.D{{Key: "$exists", Value: true}}}},
		options.Find().SetProjection(bson.D{{Key: "c", Value: 1}, {Key: "rid", Value: 1}, {Key: "photos", Value: 1}}))
	if err != nil {
		return nil, Translate(err, "find photo claims")
	}
	by := map[string][]sync.RecordKey{}
	for cur.Next(ctx) {
		var d struct {
			Collection string   `bson:"c"`
			RecordID   string   `bson:"rid"`
			Photos     []string `bson:"photos"`
		}
		if err := cur.Decode(&d); err != nil {
			_ = cur.Close(ctx)
			return nil, Translate(err, "decode photo claims")
		}
		for _, h := range d.Photos {
			by[h] = append(by[h], sync.RecordKey{Collection: d.Collection, ID: d.RecordID})
		}
	}
	if err := cur.Err(); err != nil {
		return nil, Translate(err, "read photo claims")
	}
	_ = cur.Close(ctx)
	for h, keys := range by {
		if len(keys) < 2 {
			delete(by, h)
		}
	}
	return by, nil
}

// photoKeys returns the keys of up to limit records matching filter.
func (r *Records) photoKeys(ctx context.Context, filter bson.D, limit int, format string, args ...any) ([]sync.RecordKey, error) {
	cur, err := r.coll().Find(ctx, filter, options.Find().SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "c", Value: 1}, {Key: "rid", Value: 1}}))
	if err != nil {
		return nil, Translate(err, format, args...)
	}
	var docs []struct {
		Collection string `bson:"c"`
		RecordID   string `bson:"rid"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, Translate(err, format, args...)
	}
	out := make([]sync.RecordKey, len(docs))
	for i, d := range docs {
		out[i] = sync.RecordKey{Collection: d.Collection, ID: d.RecordID}
	}
	return out, nil
}
