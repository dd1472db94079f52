package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/fieldsync/fieldsync/sync/dump"
)

var (
	_ dump.Source = (*Store)(nil)
	_ dump.Sink   = (*Store)(nil)
)

// Export implements dump.Source: every table a dump carries, read in one read transaction (a
// consistent snapshot while the server keeps writing), except the closed months, read in a
// second one.
func (s *Store) Export(ctx context.Context, emit func(dump.Item) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, part := range exportParts {
		if err := part.each(ctx, tx, emit); err != nil {
			return fmt.Errorf("export %s: %w", part.kind, err)
		}
	}
	closed, err := NewCompute(s).ClosedMonths(ctx, "")
	if err != nil {
		return fmt.Errorf("export %s: %w", dump.KindClosedMonth, err)
	}
	for _, c := range closed {
		if err := emit(dump.Item{Kind: dump.KindClosedMonth, ClosedMonth: dump.FromClosedMonth(c)}); err != nil {
			return err
		}
	}
	return exportRows(ctx, tx, `SELECT `+blobColumns+` FROM blobs ORDER BY hash`, func(r *sql.Rows) (dump.Item, error) {
		b, err := scanBlob(r)
		return dump.Item{Kind: dump.KindBlob, Blob: dump.FromBlob(b)}, err
	}, emit)
}

// exportPart is the export of one kind: its query and how a row becomes an item.
type exportPart struct {
	kind  dump.Kind
	query string
	item  func(*sql.Rows) (dump.Item, error)
}

func (p exportPart) each(ctx context.Context, tx *sql.Tx, emit func(dump.Item) error) error {
	return exportRows(ctx, tx, p.query, p.item, emit)
}

func exportRows(ctx context.Context, tx *sql.Tx, query string, item func(*sql.Rows) (dump.Item, error), emit func(dump.Item) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		it, err := item(rows)
		if err != nil {
			return err
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	return rows.Err()
}

// exportParts are the kinds Export reads in its transaction, in dump order (the closed months
// and blobs follow).
var exportParts = []exportPart{
	{dump.KindSequence, `SELECT n, purged FROM sequence WHERE id = 1`, func(r *sql.Rows) (dump.Item, error) {
		var q dump.Sequence
		err := r.Scan(&q.Allocated, &q.Purged)
		return dump.Item{Kind: dump.KindSequence, Sequence: &q}, err
	}},
	{dump.KindRecord, `SELECT doc FROM records ORDER BY seq, collection, id`, func(r *sql.Rows) (dump.Item, error) {
		var doc []byte
		if err := r.Scan(&doc); err != nil {
			return dump.Item{}, err
		}
		rec, err := decodeRecord(doc)
		if err != nil {
			return dump.Item{}, err
		}
		return dump.Item{Kind: dump.KindRecord, Record: dump.FromRecord(rec)}, nil
	}},
	{dump.KindMutation, `SELECT doc FROM mutations ORDER BY key`, func(r *sql.Rows) (dump.Item, error) {
		var doc []byte
		if err := r.Scan(&doc); err != nil {
			return dump.Item{}, err
		}
		rc, err := decodeReceipt(doc)
		d := dump.FromReceipt(rc)
		return dump.Item{Kind: dump.KindMutation, Mutation: &d}, err
	}},
	{dump.KindTeam, `SELECT id, name, leader_id, created_at FROM teams ORDER BY id`, func(r *sql.Rows) (dump.Item, error) {
		var t dump.Team
		var at int64
		err := r.Scan(&t.ID, &t.Name, &t.LeaderID, &at)
		t.CreatedAt = fromNanos(at)
		return dump.Item{Kind: dump.KindTeam, Team: &t}, err
	}},
	{dump.KindUser, `SELECT ` + userColumns + `, password_hash, created_at, updated_at FROM users ORDER BY id`, func(r *sql.Rows) (dump.Item, error) {
		var hash string
		var created, updated int64
		u, err := scanUser(r, &hash, &created, &updated)
		return dump.Item{Kind: dump.KindUser, User: dump.FromUser(u, hash, fromNanos(created), fromNanos(updated))}, err
	}},
	{dump.KindDevice, `SELECT ` + deviceColumns + `, last_push_at, last_pull_at FROM devices ORDER BY id`, func(r *sql.Rows) (dump.Item, error) {
		var push, pull int64
		d, err := scanDevice(extraScanner{r, []any{&push, &pull}})
		return dump.Item{Kind: dump.KindDevice, Device: dump.FromDevice(d, fromNanos(push), fromNanos(pull))}, err
	}},
	{dump.KindRefreshToken, `SELECT ` + tokenColumns + ` FROM refresh_tokens ORDER BY hash`, func(r *sql.Rows) (dump.Item, error) {
		t, err := scanToken(r)
		return dump.Item{Kind: dump.KindRefreshToken, RefreshToken: dump.FromRefreshToken(t)}, err
	}},
	{dump.KindSetting, `SELECT id, value, created_at FROM settings ORDER BY id`, func(r *sql.Rows) (dump.Item, error) {
		var st dump.Setting
		var at int64
		err := r.Scan(&st.ID, &st.Value, &at)
		st.CreatedAt = fromNanos(at)
		return dump.Item{Kind: dump.KindSetting, Setting: &st}, err
	}},
	{dump.KindAudit, `SELECT ` + auditColumns + ` FROM audit_log ORDER BY at, id`, func(r *sql.Rows) (dump.Item, error) {
		var e dump.AuditEntry
		var at int64
		err := r.Scan(&e.ID, &at, &e.UserID, &e.Username, &e.Role, &e.TeamID, &e.DeviceID, &e.Address, &e.Action,
			&e.Collection, &e.RecordID, &e.Detail)
		e.At = fromNanos(at)
		return dump.Item{Kind: dump.KindAudit, Audit: &e}, err
	}},
	{dump.KindPolicy, `SELECT version, effective_from, policy, created_at, created_by FROM policies ORDER BY version`, func(r *sql.Rows) (dump.Item, error) {
		var p dump.Policy
		var at int64
		err := r.Scan(&p.Version, &p.EffectiveFrom, &p.Policy, &at, &p.CreatedBy)
		p.CreatedAt = fromNanos(at)
		return dump.Item{Kind: dump.KindPolicy, Policy: &p}, err
	}},
	{dump.KindCheckpoint, `SELECT seq, policy_version, r1_through, baseline FROM compute_checkpoint WHERE id = 1`, func(r *sql.Rows) (dump.Item, error) {
		var cp dump.Checkpoint
		var r1 int64
		err := r.Scan(&cp.Seq, &cp.PolicyVersion, &r1, &cp.Baseline)
		cp.R1Through = fromNanos(r1)
		return dump.Item{Kind: dump.KindCheckpoint, Checkpoint: &cp}, err
	}},
}

// auditColumns are audit_log's columns in the order Export scans them.
const auditColumns = "id, at, user_id, username, role, team_id, device_id, address, action, collection, record_id, detail"

// Empty implements dump.Sink: no table a dump fills holds a row (a store a server has started
// on once holds its signing key: not empty) and no sequence number was handed out.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var found int64
	err := s.reader.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM records) OR EXISTS (SELECT 1 FROM mutations) OR EXISTS (SELECT 1 FROM users) OR
		EXISTS (SELECT 1 FROM teams) OR EXISTS (SELECT 1 FROM devices) OR EXISTS (SELECT 1 FROM refresh_tokens) OR
		EXISTS (SELECT 1 FROM audit_log) OR EXISTS (SELECT 1 FROM policies) OR EXISTS (SELECT 1 FROM closed_months) OR
		EXISTS (SELECT 1 FROM blobs) OR EXISTS (SELECT 1 FROM compute_checkpoint) OR EXISTS (SELECT 1 FROM settings) OR
		(SELECT n FROM sequence WHERE id = 1) > 0`).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("check the store is empty: %w", err)
	}
	return found == 0, nil
}

// Import implements dump.Sink: one write transaction per batch. Records are written as the push
// writes them (row, audience tokens, photo references); the sequence item sets the counter and
// purge point.
func (s *Store) Import(ctx context.Context, items []dump.Item) error {
	recs := NewRecords(s)
	if recs.err != nil {
		return recs.err
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		st := writeStmts{put: tx.StmtContext(ctx, recs.put), untok: tx.StmtContext(ctx, recs.untok), tok: tx.StmtContext(ctx, recs.tok),
			unph: tx.StmtContext(ctx, recs.unph), ph: tx.StmtContext(ctx, recs.ph)}
		for _, it := range items {
			if err := importItem(ctx, tx, st, it); err != nil {
				return err
			}
		}
		return nil
	})
}

func importItem(ctx context.Context, tx *sql.Tx, st writeStmts, it dump.Item) error {
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	switch it.Kind {
	case dump.KindSequence:
		return exec(`UPDATE sequence SET n = ?, purged = ? WHERE id = 1`, it.Sequence.Allocated, it.Sequence.Purged)
	case dump.KindRecord:
		rec := it.Record.SyncRecord()
		if err := writeRecord(ctx, st, nil, rec); err != nil {
			return fmt.Errorf("record %s/%s: %w", rec.Collection, rec.ID, err)
		}
		return nil
	case dump.KindMutation:
		rc := it.Mutation.SyncReceipt()
		doc, err := encodeReceipt(rc)
		if err != nil {
			return err
		}
		return exec(`INSERT INTO mutations (key, at, doc) VALUES (?, ?, ?)`, rc.Key, nanos(rc.At), doc)
	case dump.KindTeam:
		t := it.Team
		return exec(`INSERT INTO teams (id, name, leader_id, created_at) VALUES (?, ?, ?, ?)`, t.ID, t.Name, t.LeaderID, nanos(t.CreatedAt))
	case dump.KindUser:
		u, d := it.User.DomainUser(), it.User
		return exec(`INSERT INTO users (`+userColumns+`, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Username, u.DisplayName, string(u.Role), u.TeamID, u.HireDate.String(), boolInt(u.ProbationPassed),
			string(u.Grade), u.MonthlyPayFen, boolInt(u.Disabled), d.PasswordHash, nanos(d.CreatedAt), nanos(d.UpdatedAt))
	case dump.KindDevice:
		d := it.Device
		return exec(`INSERT INTO devices (`+deviceColumns+`, active, last_push_at, last_pull_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.UserID, d.TeamID, d.ClientID, d.Name, nanos(d.CreatedAt),
			nanos(d.LastSeenAt), nanos(d.RevokedAt), d.RevokedBy, d.RevokeReason, boolInt(d.RevokedAt.IsZero()),
			nanos(d.LastPushAt), nanos(d.LastPullAt))
	case dump.KindRefreshToken:
		t := it.RefreshToken
		return exec(`INSERT INTO refresh_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`, t.Hash, t.UserID, t.DeviceID,
			t.State, nanos(t.IssuedAt), nanos(t.ExpiresAt), nanos(t.RotatedAt))
	case dump.KindSetting:
		return exec(`INSERT INTO settings (id, value, created_at) VALUES (?, ?, ?)`, it.Setting.ID, it.Setting.Value, nanos(it.Setting.CreatedAt))
	case dump.KindAudit:
		e := it.Audit
		return exec(`INSERT INTO audit_log (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, nanos(e.At),
			e.UserID, e.Username, e.Role, e.TeamID, e.DeviceID, e.Address, e.Action, e.Collection, e.RecordID, e.Detail)
	case dump.KindPolicy:
		p := it.Policy
		return exec(`INSERT INTO policies (version, effective_from, policy, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
			p.Version, p.EffectiveFrom, []byte(p.Policy), nanos(p.CreatedAt), p.CreatedBy)
	case dump.KindCheckpoint:
		cp := it.Checkpoint
		return exec(`INSERT INTO compute_checkpoint (id, seq, policy_version, r1_through, baseline) VALUES (1, ?, ?, ?, ?)`,
			cp.Seq, cp.PolicyVersion, nanos(cp.R1Through), cp.Baseline)
	case dump.KindClosedMonth:
		return importClosedMonth(exec, it.ClosedMonth)
	case dump.KindBlob:
		b := it.Blob.MetaBlob()
		var lat, lon sql.NullFloat64
		if b.GPS != nil {
			lat, lon = sql.NullFloat64{Float64: b.GPS.Lat, Valid: true}, sql.NullFloat64{Float64: b.GPS.Lon, Valid: true}
		}
		return exec(`INSERT INTO blobs (`+blobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.Hash, b.Size, b.ContentType,
			b.Uploader, b.Team, nanos(b.CreatedAt), lat, lon, boolInt(b.Referenced), nanos(b.LastReferencedAt), nanos(b.IdleSince))
	}
	return fmt.Errorf("import: kind %q is not stored by sqlitestore", it.Kind)
}

func importClosedMonth(exec func(string, ...any) error, d *dump.ClosedMonth) error {
	cm := d.ComputeClosedMonth()
	scores, err := encodeScores(cm.Scores)
	if err != nil {
		return fmt.Errorf("closed month %s: %w", cm.Month, err)
	}
	month := cm.Month.String()
	if err := exec(`INSERT INTO closed_months (team, month, closed_at, closed_by, scores, done) VALUES (?, ?, ?, ?, ?, ?)`,
		cm.Team, month, nanos(cm.ClosedAt), cm.ClosedBy, scores, boolInt(cm.Done)); err != nil {
		return err
	}
	for _, id := range cm.Incidents {
		if err := exec(`INSERT INTO closed_month_incidents (team, month, incident_id) VALUES (?, ?, ?)`, cm.Team, month, id); err != nil {
			return err
		}
	}
	return nil
}
