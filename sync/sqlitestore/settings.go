package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// signingKeyID is the settings row holding the generated access-token signing key.
const signingKeyID = "jwt_signing_key"

// Settings implements accounts.Settings: server-wide values.
type Settings struct{ store *Store }

// NewSettings returns the settings of s.
func NewSettings(s *Store) *Settings { return &Settings{store: s} }

var _ accounts.Settings = (*Settings)(nil)

// SigningKey returns the stored signing key, inserting candidate first when there is none (one
// write: insert-if-absent, then read).
func (s *Settings) SigningKey(ctx context.Context, candidate []byte) ([]byte, error) {
	var key []byte
	err := s.store.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (id, value, created_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, signingKeyID, candidate, nanos(time.Now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE id = ?`, signingKeyID).Scan(&key)
	})
	if err != nil {
		return nil, translate(err, "load the signing key")
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("load the signing key: empty value: %w", domain.ErrUnavailable)
	}
	return key, nil
}
