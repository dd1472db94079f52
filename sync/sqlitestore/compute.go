package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// Compute implements compute.Store: the worker's lease and checkpoint (one row each) and the
// closed months. With one writer connection the lease is a conditional upsert inside one write.
type Compute struct{ store *Store }

// NewCompute returns the rules engine's store on s.
func NewCompute(s *Store) *Compute { return &Compute{store: s} }

var _ compute.Store = (*Compute)(nil)

// AcquireLease implements compute.Store: the lease row is taken when absent, held by owner, or
// expired (until <= now).
func (c *Compute) AcquireLease(ctx context.Context, owner string, now time.Time, ttl time.Duration) (bool, error) {
	var held bool
	err := c.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO compute_lease (id, owner, until) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE compute_lease.owner = excluded.owner OR compute_lease.until <= ?`,
			owner, now.Add(ttl).UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		held = n == 1
		return err
	})
	if err != nil {
		return false, translate(err, "take the compute lease")
	}
	return held, nil
}

// ReleaseLease implements compute.Store.
func (c *Compute) ReleaseLease(ctx context.Context, owner string) error {
	err := c.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM compute_lease WHERE id = 1 AND owner = ?`, owner)
		return err
	})
	return translate(err, "release the compute lease")
}

// Checkpoint implements compute.Store.
func (c *Compute) Checkpoint(ctx context.Context) (compute.Checkpoint, error) {
	var cp compute.Checkpoint
	var r1 int64
	err := c.store.reader.QueryRowContext(ctx, `SELECT seq, policy_version, r1_through, baseline
		FROM compute_checkpoint WHERE id = 1`).Scan(&cp.Seq, &cp.PolicyVersion, &r1, &cp.Baseline)
	if errors.Is(err, sql.ErrNoRows) {
		return compute.Checkpoint{}, nil
	}
	if err != nil {
		return compute.Checkpoint{}, translate(err, "load the compute checkpoint")
	}
	cp.R1Through = fromNanos(r1)
	return cp, nil
}

// SaveCheckpoint implements compute.Store.
func (c *Compute) SaveCheckpoint(ctx context.Context, cp compute.Checkpoint) error {
	err := c.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO compute_checkpoint (id, seq, policy_version, r1_through, baseline)
			VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq,
			policy_version = excluded.policy_version, r1_through = excluded.r1_through, baseline = excluded.baseline`,
			cp.Seq, cp.PolicyVersion, nanos(cp.R1Through), cp.Baseline)
		return err
	})
	return translate(err, "save the compute checkpoint")
}

// scoreRow and lineRow are the JSON storage shape of the frozen scores (as in sync/mongostore).
type scoreRow struct {
	TechnicianID  string    `json:"technicianId"`
	Base          int       `json:"base"`
	Deductions    int       `json:"deductions"`
	Additions     int       `json:"additions"`
	Total         int       `json:"total"`
	PolicyVersion int       `json:"policyVersion"`
	Lines         []lineRow `json:"lines"`
}

type lineRow struct {
	IncidentID   string `json:"incidentId"`
	Type         string `json:"type"`
	Date         string `json:"date"`
	Points       int    `json:"points"`
	AdjustmentOf string `json:"adjustmentOf,omitempty"`
	Waived       bool   `json:"waived,omitempty"`
}

func encodeScores(scores []domain.Score) ([]byte, error) {
	out := make([]scoreRow, 0, len(scores))
	for _, s := range scores {
		sr := scoreRow{TechnicianID: s.TechnicianID, Base: s.Base, Deductions: s.Deductions, Additions: s.Additions,
			Total: s.Total, PolicyVersion: s.PolicyVersion, Lines: []lineRow{}}
		for _, l := range s.Lines {
			lr := lineRow{IncidentID: l.IncidentID, Type: l.Type, Date: l.Date.String(), Points: l.Points, Waived: l.Waived}
			if l.AdjustmentOf != nil {
				lr.AdjustmentOf = l.AdjustmentOf.String()
			}
			sr.Lines = append(sr.Lines, lr)
		}
		out = append(out, sr)
	}
	return json.Marshal(out)
}

func decodeScores(b []byte, m domain.Month) ([]domain.Score, error) {
	var rows []scoreRow
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, err
	}
	var out []domain.Score
	for _, sr := range rows {
		s := domain.Score{Month: m, TechnicianID: sr.TechnicianID, Base: sr.Base, Deductions: sr.Deductions,
			Additions: sr.Additions, Total: sr.Total, PolicyVersion: sr.PolicyVersion}
		for _, lr := range sr.Lines {
			date, _ := domain.ParseDate(lr.Date)
			l := domain.ScoreLine{IncidentID: lr.IncidentID, Type: lr.Type, Date: date, Points: lr.Points, Waived: lr.Waived}
			if of, err := domain.ParseMonth(lr.AdjustmentOf); err == nil && !of.IsZero() {
				l.Adjustment, l.AdjustmentOf = true, &of
			}
			s.Lines = append(s.Lines, l)
		}
		out = append(out, s)
	}
	return out, nil
}

// InsertClosedMonth implements compute.Store: the insert on (team, month) makes of two closes
// of one month one win and the other a conflict.
func (c *Compute) InsertClosedMonth(ctx context.Context, cm compute.ClosedMonth) error {
	scores, err := encodeScores(cm.Scores)
	if err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "encode closed month " + cm.Month.String(), Err: err}
	}
	month := cm.Month.String()
	err = c.store.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO closed_months (team, month, closed_at, closed_by, scores, done)
			VALUES (?, ?, ?, ?, ?, ?)`, cm.Team, month, nanos(cm.ClosedAt), cm.ClosedBy, scores, boolInt(cm.Done)); err != nil {
			return err
		}
		for _, id := range cm.Incidents {
			if _, err := tx.ExecContext(ctx, `INSERT INTO closed_month_incidents (team, month, incident_id)
				VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, cm.Team, month, id); err != nil {
				return err
			}
		}
		return nil
	})
	if domain.ErrorCode(translate(err, "")) == domain.CodeConflict {
		return domain.Errorf(domain.CodeConflict, "%s is already closed", cm.Month)
	}
	return translate(err, "close %s", cm.Month)
}

// ClosedMonth implements compute.Store.
func (c *Compute) ClosedMonth(ctx context.Context, team string, m domain.Month) (compute.ClosedMonth, bool, error) {
	out, err := c.findClosed(ctx, `WHERE team = ? AND month = ?`, team, m.String())
	if err != nil {
		return compute.ClosedMonth{}, false, err
	}
	if len(out) == 0 {
		return compute.ClosedMonth{}, false, nil
	}
	return out[0], true, nil
}

// ClosedMonths implements compute.Store.
func (c *Compute) ClosedMonths(ctx context.Context, team string) ([]compute.ClosedMonth, error) {
	if team == "" {
		return c.findClosed(ctx, ``)
	}
	return c.findClosed(ctx, `WHERE team = ?`, team)
}

// UnfinishedClosedMonths implements compute.Store.
func (c *Compute) UnfinishedClosedMonths(ctx context.Context) ([]compute.ClosedMonth, error) {
	return c.findClosed(ctx, `WHERE done = 0`)
}

// findClosed reads the closes matching where, oldest month first then by team, in one read
// transaction (so that the incidents match the closes).
func (c *Compute) findClosed(ctx context.Context, where string, args ...any) (out []compute.ClosedMonth, err error) {
	tx, err := c.store.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, translate(err, "list closed months")
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, `SELECT team, month, closed_at, closed_by, scores, done FROM closed_months `+
		where+` ORDER BY month, team`, args...)
	if err != nil {
		return nil, translate(err, "list closed months")
	}
	out = []compute.ClosedMonth{}
	for rows.Next() {
		var cm compute.ClosedMonth
		var month string
		var at, done int64
		var scores []byte
		if err := rows.Scan(&cm.Team, &month, &at, &cm.ClosedBy, &scores, &done); err != nil {
			rows.Close()
			return nil, translate(err, "list closed months")
		}
		cm.Month, _ = domain.ParseMonth(month) // written by InsertClosedMonth: always valid
		cm.ClosedAt, cm.Done = fromNanos(at), done != 0
		if cm.Scores, err = decodeScores(scores, cm.Month); err != nil {
			rows.Close()
			return nil, &domain.Error{Code: domain.CodeInternal, Message: "decode closed month " + month, Err: err}
		}
		out = append(out, cm)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list closed months")
	}
	for i := range out {
		ids, err := closedIncidents(ctx, tx, out[i].Team, out[i].Month.String())
		if err != nil {
			return nil, translate(err, "list closed months")
		}
		out[i].Incidents = ids
	}
	return out, nil
}

func closedIncidents(ctx context.Context, tx *sql.Tx, team, month string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT incident_id FROM closed_month_incidents WHERE team = ? AND month = ?
		ORDER BY incident_id`, team, month)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	slices.Sort(ids) // byte order, as Counts' binary search expects
	return ids, rows.Err()
}

// MarkClosedMonthDone implements compute.Store.
func (c *Compute) MarkClosedMonthDone(ctx context.Context, team string, m domain.Month) error {
	err := c.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE closed_months SET done = 1 WHERE team = ? AND month = ?`, team, m.String())
		return err
	})
	return translate(err, "mark closed month %s done", m)
}

// FrozenIncident implements compute.Store: is id listed by one of team's closes.
func (c *Compute) FrozenIncident(ctx context.Context, team, id string) (bool, error) {
	var one int
	err := c.store.reader.QueryRowContext(ctx, `SELECT 1 FROM closed_month_incidents WHERE team = ? AND incident_id = ?
		LIMIT 1`, team, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err, "find the close of incident %s", id)
	}
	return true, nil
}
