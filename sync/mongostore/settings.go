package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
)

// signingKeyID is the settings document holding the generated access-token signing key.
const signingKeyID = "jwt_signing_key"

// Settings implements accounts.Settings: server-wide values every instance shares.
type Settings struct{ store *Store }

// NewSettings returns the settings of s.
func NewSettings(s *Store) *Settings { return &Settings{store: s} }

type settingDoc struct {
	ID        string    `bson:"_id"`
	Value     []byte    `bson:"value"`
	CreatedAt time.Time `bson:"createdAt"`
}

// SigningKey returns the stored signing key, inserting candidate first when there is none. Of
// several instances starting at once, the first insert wins and everybody reads its key.
func (s *Settings) SigningKey(ctx context.Context, candidate []byte) ([]byte, error) {
	c := s.store.DB().Collection(collSettings)
	_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: signingKeyID}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "value", Value: candidate}, {Key: "createdAt", Value: time.Now().UTC()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) { // a concurrent upsert won: read its key
		return nil, Translate(err, "store the signing key")
	}
	var d settingDoc
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: signingKeyID}}).Decode(&d); err != nil {
		return nil, Translate(err, "load the signing key")
	}
	if len(d.Value) == 0 {
		return nil, fmt.Errorf("load the signing key: empty value: %w", domain.ErrUnavailable)
	}
	return d.Value, nil
}
