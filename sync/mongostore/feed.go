package mongostore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync"
)

// collChangeFeed is the records' change feed on FerretDB, where a pull cannot use the (aud,
// seq) index: FerretDB v1 answers only `{_id: <string>}` filters from an index and reads the
// whole collection for any other. The feed is addressed by `_id` alone: document
// "b<n>" lists the writes whose sequence numbers lie in [n·feedBucketSize, (n+1)·feedBucketSize),
// each with what a pull filters on. A write appends its entry before it writes the record, so an
// entry whose record does not carry its sequence number (written again since, or never written
// because the writer failed) is skipped by the reader. On MongoDB the feed is not kept.
const collChangeFeed = "change_feed"

// feedBucketSize is how many sequence numbers one feed document covers: a pull reads one
// document per feedBucketSize numbers it passes, whoever wrote them.
const feedBucketSize = 64

// feedEntry is one record write in the feed: its sequence number, the record's docKey and
// collection, and its audience, revoked tokens and deletion at that write.
type feedEntry struct {
	Seq        int64    `bson:"s"`
	Key        string   `bson:"k"`
	Collection string   `bson:"c"`
	Audience   []string `bson:"a"`
	Revoked    []string `bson:"r,omitempty"`
	Deleted    bool     `bson:"d,omitempty"`
}

type feedBucket struct {
	Entries []feedEntry `bson:"e"`
}

func feedBucketID(n int64) string { return "b" + strconv.FormatInt(n, 10) }

func (r *Records) feed() *mongo.Collection { return r.store.DB().Collection(collChangeFeed) }

// appendFeed adds the feed entries of recs (written next, at their Seq), one update a bucket.
func (r *Records) appendFeed(ctx context.Context, recs []*sync.Record) error {
	byBucket := map[int64][]feedEntry{}
	for _, rec := range recs {
		byBucket[rec.Seq/feedBucketSize] = append(byBucket[rec.Seq/feedBucketSize], entryOf(rec))
	}
	for _, n := range slices.Sorted(func(yield func(int64) bool) {
		for n := range byBucket {
			if !yield(n) {
				return
			}
		}
	}) {
		_, err := r.feed().UpdateOne(ctx, bson.D{{Key: "_id", Value: feedBucketID(n)}},
			bson.D{{Key: "$push", Value: bson.D{{Key: "e", Value: bson.D{{Key: "$each", Value: byBucket[n]}}}}}},
			options.UpdateOne().SetUpsert(true))
		if err != nil {
			return Translate(err, "append to change feed bucket %d", n)
		}
	}
	return nil
}

func entryOf(rec *sync.Record) feedEntry {
	aud := rec.Audience
	if aud == nil {
		aud = []string{}
	}
	return feedEntry{Seq: rec.Seq, Key: docKey(sync.RecordKey{Collection: rec.Collection, ID: rec.ID}),
		Collection: rec.Collection, Audience: aud, Revoked: rec.Revoked, Deleted: rec.Deleted}
}

// matches reports whether e is a change q asks for (before checking that it is current).
func (e feedEntry) matches(q sync.ChangeQuery) bool {
	if e.Seq <= q.After || e.Seq > q.Through || (q.Collection != "" && e.Collection != q.Collection) {
		return false
	}
	if q.SkipDeleted {
		return !e.Deleted && holdsAny(e.Audience, q.Tokens)
	}
	return holdsAny(e.Audience, q.Tokens) || holdsAny(e.Revoked, q.Tokens)
}

func holdsAny(list, tokens []string) bool {
	return slices.ContainsFunc(tokens, func(t string) bool { return slices.Contains(list, t) })
}

// feedChanges is Changes on FerretDB: it walks the feed buckets from q.After and loads, by
// `_id`, the records of the entries that match and are still current.
func (r *Records) feedChanges(ctx context.Context, q sync.ChangeQuery) ([]*sync.Record, error) {
	// A caller may ask through "everything" (math.MaxInt64): stop at the last number handed out.
	var seq seqDoc
	err := r.store.DB().Collection(collSyncMeta).FindOne(ctx, bson.D{{Key: "_id", Value: seqDocID}}).Decode(&seq)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, Translate(err, "read the sequence")
	}
	through := min(q.Through, seq.N)
	var out []*sync.Record
	for n := (q.After + 1) / feedBucketSize; n <= through/feedBucketSize && len(out) < q.Limit; n++ {
		var b feedBucket
		err := r.feed().FindOne(ctx, bson.D{{Key: "_id", Value: feedBucketID(n)}}).Decode(&b)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, Translate(err, "read change feed bucket %d", n)
		}
		var want []feedEntry
		for _, e := range b.Entries {
			if e.matches(q) {
				want = append(want, e)
			}
		}
		slices.SortFunc(want, func(a, b feedEntry) int { return cmp.Compare(a.Seq, b.Seq) })
		// Load only as many records as the page still needs; superseded entries make room for
		// the next ones.
		for len(want) > 0 && len(out) < q.Limit {
			chunk := want[:min(len(want), q.Limit-len(out))]
			want = want[len(chunk):]
			ids := make([]string, len(chunk))
			for i, e := range chunk {
				ids[i] = e.Key
			}
			docs, err := findByIDs[recordDoc](ctx, r.store, r.coll(), ids)
			if err != nil {
				return nil, Translate(err, "load %d changed records", len(ids))
			}
			bySeq := make(map[int64]recordDoc, len(docs))
			for _, d := range docs {
				bySeq[d.Seq] = d
			}
			for _, e := range chunk {
				if d, ok := bySeq[e.Seq]; ok && d.ID == e.Key {
					out = append(out, d.toRecord())
				}
			}
		}
	}
	return out, nil
}

// backfill builds what Records keeps beside the records on FerretDB when a database lacks it.
func (r *Records) backfill(ctx context.Context) error {
	if err := r.backfillFeed(ctx); err != nil {
		return err
	}
	return r.backfillPhotoRefs(ctx)
}

// backfillFeed builds the change feed from the records when it is empty and records exist (a
// database written before the feed was kept). One pass over the records, at Open.
func (r *Records) backfillFeed(ctx context.Context) error {
	err := r.feed().FindOne(ctx, bson.D{}).Err()
	if err == nil {
		return nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return Translate(err, "read change feed")
	}
	cur, err := r.coll().Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "c", Value: 1}, {Key: "rid", Value: 1},
		{Key: "aud", Value: 1}, {Key: "rev", Value: 1}, {Key: "del", Value: 1}, {Key: "seq", Value: 1}}))
	if err != nil {
		return Translate(err, "read records for the change feed")
	}
	defer cur.Close(ctx)
	var batch []*sync.Record
	for cur.Next(ctx) {
		var d recordDoc
		if err := cur.Decode(&d); err != nil {
			return Translate(err, "decode a record for the change feed")
		}
		batch = append(batch, &sync.Record{Collection: d.Collection, ID: d.RecordID, Audience: d.Audience,
			Revoked: d.Revoked, Seq: d.Seq, State: sync.State{Deleted: d.Deleted}})
		if len(batch) == 1000 {
			if err := r.appendFeed(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return Translate(err, "read records for the change feed")
	}
	return r.appendFeed(ctx, batch)
}
