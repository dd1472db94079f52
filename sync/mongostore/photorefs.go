package mongostore

import (
	"context"
	"errors"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync"
)

// collPhotoRefs maps, on FerretDB, each photo to the records that refer to it: document
// {_id: <sha256>, k: [<docKey>...]}. It stands in for the `photos` index of records, which
// FerretDB v1 never uses (a query on it reads every record): who may read a photo, which records
// wait for it, who claimed a receipt image first (R16). The list may hold keys of records that no
// longer refer to the photo (a writer that failed between the two steps below); readers load the
// records and check, so it is a list of candidates, never missing one: a write adds its record's
// new photos before it writes the record, and removes the photos it dropped after.
const collPhotoRefs = "photo_refs"

// photoRefsMarker is the sync_meta document whose presence says photo_refs was built from the
// records (backfillPhotoRefs).
const photoRefsMarker = "photo_refs_built"

type photoRefsDoc struct {
	Keys []string `bson:"k"`
}

func (r *Records) photoRefs() *mongo.Collection { return r.store.DB().Collection(collPhotoRefs) }

// photoDiff returns, for the records of keys written from cur to next, the photos each gains
// and loses, by photo.
func photoDiff(keys []sync.RecordKey, cur, next map[sync.RecordKey]*sync.Record) (added, removed map[string][]string) {
	added, removed = map[string][]string{}, map[string][]string{}
	for _, k := range keys {
		var before, after []string
		if c := cur[k]; c != nil {
			before = c.Photos
		}
		if n := next[k]; n != nil {
			after = n.Photos
		}
		for _, h := range after {
			if !slices.Contains(before, h) {
				added[h] = append(added[h], docKey(k))
			}
		}
		for _, h := range before {
			if !slices.Contains(after, h) {
				removed[h] = append(removed[h], docKey(k))
			}
		}
	}
	return added, removed
}

// addPhotoRefs records that the records keys (by photo) refer to their photos.
func (r *Records) addPhotoRefs(ctx context.Context, byPhoto map[string][]string) error {
	for _, h := range slices.Sorted(mapKeys(byPhoto)) {
		_, err := r.photoRefs().UpdateOne(ctx, bson.D{{Key: "_id", Value: h}},
			bson.D{{Key: "$addToSet", Value: bson.D{{Key: "k", Value: bson.D{{Key: "$each", Value: byPhoto[h]}}}}}},
			options.UpdateOne().SetUpsert(true))
		if err != nil {
			return Translate(err, "add the records of photo %s", h)
		}
	}
	return nil
}

// removePhotoRefs records that the records keys (by photo) no longer refer to their photos.
func (r *Records) removePhotoRefs(ctx context.Context, byPhoto map[string][]string) error {
	for _, h := range slices.Sorted(mapKeys(byPhoto)) {
		_, err := r.photoRefs().UpdateOne(ctx, bson.D{{Key: "_id", Value: h}},
			bson.D{{Key: "$pullAll", Value: bson.D{{Key: "k", Value: byPhoto[h]}}}})
		if err != nil {
			return Translate(err, "remove records of photo %s", h)
		}
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// photoRecords loads the records that refer to the photo h (tombstones included), from the
// photo's candidate list, in _id order.
func (r *Records) photoRecords(ctx context.Context, h string) ([]recordDoc, error) {
	var d photoRefsDoc
	err := r.photoRefs().FindOne(ctx, bson.D{{Key: "_id", Value: h}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, Translate(err, "read the records of photo %s", h)
	}
	docs, err := findByIDs[recordDoc](ctx, r.store, r.coll(), d.Keys)
	if err != nil {
		return nil, Translate(err, "load the records of photo %s", h)
	}
	docs = slices.DeleteFunc(docs, func(d recordDoc) bool { return !slices.Contains(d.Photos, h) })
	slices.SortFunc(docs, func(a, b recordDoc) int { return strings.Compare(a.ID, b.ID) })
	return docs, nil
}

// feedPhotoVisible is PhotoVisible on FerretDB.
func (r *Records) feedPhotoVisible(ctx context.Context, h string, tokens []string) (bool, error) {
	docs, err := r.photoRecords(ctx, h)
	return slices.ContainsFunc(docs, func(d recordDoc) bool { return !d.Deleted && holdsAny(d.Audience, tokens) }), err
}

// feedReferring is Referring on FerretDB.
func (r *Records) feedReferring(ctx context.Context, h string, limit int) ([]sync.RecordKey, error) {
	docs, err := r.photoRecords(ctx, h)
	out := make([]sync.RecordKey, 0, min(len(docs), limit))
	for _, d := range docs[:min(len(docs), limit)] {
		out = append(out, sync.RecordKey{Collection: d.Collection, ID: d.RecordID})
	}
	return out, err
}

// feedClaims is Claims on FerretDB.
func (r *Records) feedClaims(ctx context.Context, h string, collections []string, limit int) ([]sync.PhotoClaim, error) {
	docs, err := r.photoRecords(ctx, h)
	if err != nil {
		return nil, err
	}
	docs = slices.DeleteFunc(docs, func(d recordDoc) bool { return d.Deleted || !slices.Contains(collections, d.Collection) })
	slices.SortStableFunc(docs, func(a, b recordDoc) int { return a.CreatedAt.Compare(b.CreatedAt) })
	out := make([]sync.PhotoClaim, 0, min(len(docs), limit))
	for _, d := range docs[:min(len(docs), limit)] {
		out = append(out, sync.PhotoClaim{Key: sync.RecordKey{Collection: d.Collection, ID: d.RecordID}, CreatedAt: d.CreatedAt})
	}
	return out, nil
}

// backfillPhotoRefs builds photo_refs from the records once per database (a database written
// before it was kept), then leaves its marker. One pass over the records, at Open.
func (r *Records) backfillPhotoRefs(ctx context.Context) error {
	meta := r.store.DB().Collection(collSyncMeta)
	err := meta.FindOne(ctx, bson.D{{Key: "_id", Value: photoRefsMarker}}).Err()
	if err == nil {
		return nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return Translate(err, "read the photo index marker")
	}
	cur, err := r.coll().Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "photos", Value: 1}}))
	if err != nil {
		return Translate(err, "read records for the photo index")
	}
	defer cur.Close(ctx)
	byPhoto := map[string][]string{}
	for cur.Next(ctx) {
		var d struct {
			ID     string   `bson:"_id"`
			Photos []string `bson:"photos"`
		}
		if err := cur.Decode(&d); err != nil {
			return Translate(err, "decode a record for the photo index")
		}
		for _, h := range d.Photos {
			byPhoto[h] = append(byPhoto[h], d.ID)
		}
	}
	if err := cur.Err(); err != nil {
		return Translate(err, "read records for the photo index")
	}
	if err := r.addPhotoRefs(ctx, byPhoto); err != nil {
		return err
	}
	_, err = meta.InsertOne(ctx, bson.D{{Key: "_id", Value: photoRefsMarker}})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return Translate(err, "write the photo index marker")
	}
	return nil
}
