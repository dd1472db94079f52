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

// collBlobs holds one document per stored photo, keyed by its SHA-256 (docs/photos.md).
const collBlobs = "blobs"

// Blobs implements blobs.Meta: the metadata of the stored photos.
type Blobs struct{ store *Store }

// NewBlobs returns the photo metadata of s.
func NewBlobs(s *Store) *Blobs { return &Blobs{store: s} }

func (b *Blobs) coll() *mongo.Collection { return b.store.DB().Collection(collBlobs) }

// blobDoc is the storage shape of a blobs.Blob.
type blobDoc struct {
	ID               string    `bson:"_id"`
	Size             int64     `bson:"size"`
	ContentType      string    `bson:"contentType"`
	Uploader         string    `bson:"uploader"`
	Team             string    `bson:"team"`
	CreatedAt        time.Time `bson:"createdAt"`
	GPS              *gpsDoc   `bson:"gps,omitempty"`
	Referenced       bool      `bson:"referenced"`
	LastReferencedAt time.Time `bson:"lastReferencedAt,omitempty"`
	IdleSince        time.Time `bson:"idleSince"`
}

type gpsDoc struct {
	Lat float64 `bson:"lat"`
	Lon float64 `bson:"lon"`
}

func fromBlob(b blobs.Blob) blobDoc {
	d := blobDoc{ID: b.Hash, Size: b.Size, ContentType: b.ContentType, Uploader: b.Uploader, Team: b.Team,
		CreatedAt: b.CreatedAt.UTC(), Referenced: b.Referenced, IdleSince: b.IdleSince.UTC()}
	if !b.LastReferencedAt.IsZero() {
		d.LastReferencedAt = b.LastReferencedAt.UTC()
	}
	if b.GPS != nil {
		d.GPS = &gpsDoc{Lat: b.GPS.Lat, Lon: b.GPS.Lon}
	}
	return d
}

func (d blobDoc) toBlob() blobs.Blob {
	b := blobs.Blob{Hash: d.ID, Size: d.Size, ContentType: d.ContentType, Uploader: d.Uploader, Team: d.Team,
		CreatedAt: d.CreatedAt, Referenced: d.Referenced, LastReferencedAt: d.LastReferencedAt, IdleSince: d.IdleSince}
	if d.GPS != nil {
		b.GPS = &blobs.GPS{Lat: d.GPS.Lat, Lon: d.GPS.Lon}
	}
	return b
}

// Get implements blobs.Meta. Errors: domain.ErrNotFound; unavailable.
func (b *Blobs) Get(ctx context.Context, h string) (blobs.Blob, error) {
	var d blobDoc
	if err := b.coll().FindOne(ctx, bson.D{{Key: "_id", Value: h}}).Decode(&d); err != nil {
		return blobs.Blob{}, Translate(err, "load photo %s", h)
	}
	return d.toBlob(), nil
}

// Existing implements blobs.Meta by _id (findByIDs).
func (b *Blobs) Existing(ctx context.Context, hashes []string) ([]string, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	docs, err := findByIDs[struct {
		ID string `bson:"_id"`
	}](ctx, b.store, b.coll(), hashes)
	if err != nil {
		return nil, Translate(err, "find %d photos", len(hashes))
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// Insert implements blobs.Meta: an insert on _id; a duplicate key means the photo is there.
func (b *Blobs) Insert(ctx context.Context, blob blobs.Blob) (bool, error) {
	_, err := b.coll().InsertOne(ctx, fromBlob(blob))
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, Translate(err, "store photo %s", blob.Hash)
	}
	return true, nil
}

// MarkReferenced implements blobs.Meta.
func (b *Blobs) MarkReferenced(ctx context.Context, h string, at time.Time) error {
	at = at.UTC()
	_, err := b.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: h}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "referenced", Value: true}, {Key: "lastReferencedAt", Value: at}, {Key: "idleSince", Value: at}}}})
	return Translate(err, "mark photo %s referenced", h)
}

// IdleBefore implements blobs.Meta with the idleSince index.
func (b *Blobs) IdleBefore(ctx context.Context, cutoff time.Time, limit int) ([]blobs.Blob, error) {
	cur, err := b.coll().Find(ctx, bson.D{{Key: "idleSince", Value: bson.D{{Key: "$lt", Value: cutoff.UTC()}}}},
		options.Find().SetSort(bson.D{{Key: "idleSince", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, Translate(err, "find photos idle since %s", cutoff.Format(time.RFC3339))
	}
	var docs []blobDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, Translate(err, "decode idle photos")
	}
	out := make([]blobs.Blob, len(docs))
	for i, d := range docs {
		out[i] = d.toBlob()
	}
	return out, nil
}

// Delete implements blobs.Meta.
func (b *Blobs) Delete(ctx context.Context, h string) error {
	_, err := b.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: h}})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	return Translate(err, "delete photo %s", h)
}
