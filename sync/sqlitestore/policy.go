package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// Policies implements compute.PolicyStore: the policy versions, one row per version (its JSON
// form), only ever inserted: the insert on the version is what makes two admins adding "the
// next version" at once end with one winner and one conflict.
type Policies struct{ store *Store }

// NewPolicies returns the policy store of s.
func NewPolicies(s *Store) *Policies { return &Policies{store: s} }

var _ compute.PolicyStore = (*Policies)(nil)

// Versions returns every stored version, oldest first. Errors: unavailable; internal for a
// stored row that no longer decodes into a Policy.
func (p *Policies) Versions(ctx context.Context) ([]domain.Policy, error) {
	rows, err := p.store.reader.QueryContext(ctx, `SELECT version, policy FROM policies ORDER BY version`)
	if err != nil {
		return nil, translate(err, "list policy versions")
	}
	defer rows.Close()
	out := []domain.Policy{}
	for rows.Next() {
		var v int
		var raw []byte
		if err := rows.Scan(&v, &raw); err != nil {
			return nil, translate(err, "list policy versions")
		}
		var pol domain.Policy
		if err := json.Unmarshal(raw, &pol); err != nil {
			return nil, &domain.Error{Code: domain.CodeInternal, Message: "decode policy versions",
				Err: fmt.Errorf("decode policy version %d: %w", v, err)}
		}
		pol.Version = v
		out = append(out, pol)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list policy versions")
	}
	return out, nil
}

// Insert stores pol as version pol.Version, added by user id by at at. Errors: conflict when
// that version exists already (another admin added it first).
func (p *Policies) Insert(ctx context.Context, pol domain.Policy, by string, at time.Time) error {
	raw, err := json.Marshal(pol)
	if err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "store policy",
			Err: fmt.Errorf("encode policy version %d: %w", pol.Version, err)}
	}
	err = p.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO policies (version, effective_from, policy, created_at, created_by)
			VALUES (?, ?, ?, ?, ?)`, pol.Version, pol.EffectiveFrom.String(), raw, nanos(at), by)
		return err
	})
	if err != nil {
		if domain.ErrorCode(translate(err, "")) == domain.CodeConflict {
			return compute.PolicyAddedMeanwhile(pol.Version)
		}
		return translate(err, "store policy version %d", pol.Version)
	}
	return nil
}
