package sqlitestore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// AuditLog implements accounts.AuditLog on the append-only audit_log table: entries are
// inserted, never updated or deleted by fieldsync.
type AuditLog struct {
	store *Store
	now   func() time.Time
}

// NewAuditLog returns the audit log of s.
func NewAuditLog(s *Store) *AuditLog { return &AuditLog{store: s, now: time.Now} }

var _ accounts.AuditLog = (*AuditLog)(nil)

// Record appends entries in one write. An entry without ID gets a new UUIDv7, one without At the
// current time; Username and Detail are cut to their limits (domain.MaxAuditUsernameLen,
// domain.MaxAuditDetailLen).
func (l *AuditLog) Record(ctx context.Context, entries ...domain.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	entries = append([]domain.AuditEntry(nil), entries...) // the caller's entries stay as they are
	for i := range entries {
		var err error
		if entries[i], err = entries[i].ForStorage(l.now); err != nil {
			return err
		}
	}
	err := l.store.Write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (id, at, user_id, username, role, team_id, device_id,
			address, action, collection, record_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, e := range entries {
			if _, err := st.ExecContext(ctx, e.ID, nanos(e.At), e.UserID, e.Username,
				string(e.Role), e.TeamID, e.DeviceID, e.Address, string(e.Action), e.Collection, e.RecordID,
				e.Detail); err != nil {
				return err
			}
		}
		return nil
	})
	return translate(err, "append %d audit entries", len(entries))
}

// List returns the entries q selects, newest first (by at, then id), at most q.Limit
// (domain.DefaultAuditLimit when 0, never above domain.MaxAuditLimit). With q.Before, only
// entries after that entry in this order are returned; an unknown Before is domain.ErrNotFound.
func (l *AuditLog) List(ctx context.Context, q domain.AuditQuery) ([]domain.AuditEntry, error) {
	var where []string
	var args []any
	for _, f := range []struct{ column, value string }{
		{"team_id", q.TeamID}, {"collection", q.Collection}, {"record_id", q.RecordID},
	} {
		if f.value != "" {
			where, args = append(where, f.column+" = ?"), append(args, f.value)
		}
	}
	if q.Before != "" {
		var at int64
		if err := l.store.reader.QueryRowContext(ctx, `SELECT at FROM audit_log WHERE id = ?`, q.Before).Scan(&at); err != nil {
			return nil, translate(err, "find audit entry %s", q.Before)
		}
		where, args = append(where, "(at < ? OR (at = ? AND id < ?))"), append(args, at, at, q.Before)
	}
	limit := q.PageLimit()
	query := `SELECT id, at, user_id, username, role, team_id, device_id, address, action, collection, record_id, detail
		FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := l.store.reader.QueryContext(ctx, query+` ORDER BY at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, translate(err, "list audit entries")
	}
	defer rows.Close()
	out := []domain.AuditEntry{}
	for rows.Next() {
		var e domain.AuditEntry
		var at int64
		var role, action string
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Username, &role, &e.TeamID, &e.DeviceID, &e.Address, &action,
			&e.Collection, &e.RecordID, &e.Detail); err != nil {
			return nil, translate(err, "list audit entries")
		}
		e.At, e.Role, e.Action = fromNanos(at), domain.Role(role), domain.AuditAction(action)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list audit entries")
	}
	return out, nil
}
