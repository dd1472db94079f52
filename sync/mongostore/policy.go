package mongostore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// collPolicies holds the policy versions, one document per version, _id = the version number.
const collPolicies = "policies"

// Policies implements compute.PolicyStore: the versioned policy document (SPEC.md, last
// paragraph) shared by every server instance. Versions are only ever inserted, never changed:
// the insert on _id = version is what makes two admins adding "the next version" at once end
// with one winner and one conflict.
type Policies struct{ store *Store }

// NewPolicies returns the policy store of s.
func NewPolicies(s *Store) *Policies { return &Policies{store: s} }

func (p *Policies) coll() *mongo.Collection { return p.store.DB().Collection(collPolicies) }

// policyDoc is the storage shape of one version: the policy's JSON form as a BSON document (so
// that it reads naturally in the mongo shell), plus who added it and when.
type policyDoc struct {
	Version       int       `bson:"_id"`
	EffectiveFrom string    `bson:"effectiveFrom"`
	Policy        bson.M    `bson:"policy"`
	CreatedAt     time.Time `bson:"createdAt"`
	CreatedBy     string    `bson:"createdBy"`
}

func fromPolicy(pol domain.Policy, by string, at time.Time) (policyDoc, error) {
	raw, err := json.Marshal(pol)
	if err != nil {
		return policyDoc{}, fmt.Errorf("encode policy version %d: %w", pol.Version, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return policyDoc{}, fmt.Errorf("encode policy version %d: %w", pol.Version, err)
	}
	return policyDoc{Version: pol.Version, EffectiveFrom: pol.EffectiveFrom.String(),
		Policy: bson.M(sync.NormalizeNumbers(m).(map[string]any)), CreatedAt: at.UTC(), CreatedBy: by}, nil
}

func (d policyDoc) toDomain() (domain.Policy, error) {
	raw, err := json.Marshal(fromStorageMap(d.Policy))
	if err != nil {
		return domain.Policy{}, fmt.Errorf("decode policy version %d: %w", d.Version, err)
	}
	var pol domain.Policy
	if err := json.Unmarshal(raw, &pol); err != nil {
		return domain.Policy{}, fmt.Errorf("decode policy version %d: %w", d.Version, err)
	}
	pol.Version = d.Version
	return pol, nil
}

// Versions returns every stored version, oldest first. Errors: unavailable; internal for a
// stored document that no longer decodes into a Policy.
func (p *Policies) Versions(ctx context.Context) ([]domain.Policy, error) {
	cur, err := p.coll().Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, Translate(err, "list policy versions")
	}
	var docs []policyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, Translate(err, "decode policy versions")
	}
	out := make([]domain.Policy, 0, len(docs))
	for _, d := range docs {
		pol, err := d.toDomain()
		if err != nil {
			return nil, &domain.Error{Code: domain.CodeInternal, Message: "decode policy versions", Err: err}
		}
		out = append(out, pol)
	}
	return out, nil
}

// Insert stores pol as version pol.Version, added by user id by at at. Errors: conflict when
// that version exists already (another admin added it first).
func (p *Policies) Insert(ctx context.Context, pol domain.Policy, by string, at time.Time) error {
	doc, err := fromPolicy(pol, by, at)
	if err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "store policy", Err: err}
	}
	if _, err := p.coll().InsertOne(ctx, doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return compute.PolicyAddedMeanwhile(pol.Version)
		}
		return Translate(err, "store policy version %d", pol.Version)
	}
	return nil
}
