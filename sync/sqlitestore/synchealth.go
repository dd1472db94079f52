package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// SyncActivity records when each device last pushed and pulled (columns last_push_at and
// last_pull_at of devices) and reads what sync health needs (compute.SyncActivity).
type SyncActivity struct {
	store *Store
	now   func() time.Time
}

// NewSyncActivity returns the sync activity of s on the clock now (time.Now when nil).
func NewSyncActivity(s *Store, now func() time.Time) *SyncActivity {
	if now == nil {
		now = time.Now
	}
	return &SyncActivity{store: s, now: now}
}

var _ compute.SyncActivity = (*SyncActivity)(nil)

// Touch records that device id just completed a push or a pull (kind compute.ActivityPush or
// compute.ActivityPull), only moving the time forward. An unknown device is no error. Errors: an
// unknown kind; unavailable.
func (a *SyncActivity) Touch(ctx context.Context, id, kind string) error {
	col, err := compute.ActivityName(id, kind, "last_push_at", "last_pull_at")
	if err != nil {
		return err
	}
	at := a.now().UnixNano()
	err = a.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE devices SET `+col+` = max(`+col+`, ?) WHERE id = ?`, at, id)
		return err
	})
	return translate(err, "record the %s of device %s", kind, id)
}

// TeamDevices implements compute.SyncActivity: every device of team, revoked ones included, by id.
func (a *SyncActivity) TeamDevices(ctx context.Context, team string) ([]compute.DeviceActivity, error) {
	rows, err := a.store.reader.QueryContext(ctx, `SELECT `+deviceColumns+`, last_push_at, last_pull_at
		FROM devices WHERE team_id = ? ORDER BY id`, team)
	if err != nil {
		return nil, translate(err, "list the devices of team %s", team)
	}
	defer rows.Close()
	out := []compute.DeviceActivity{}
	for rows.Next() {
		var push, pull int64
		d, err := scanDevice(extraScanner{rows, []any{&push, &pull}})
		if err != nil {
			return nil, translate(err, "list the devices of team %s", team)
		}
		out = append(out, compute.DeviceActivity{Device: d, LastPushAt: fromNanos(push), LastPullAt: fromNanos(pull)})
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list the devices of team %s", team)
	}
	return out, nil
}

// extraScanner appends extra destinations to every Scan.
type extraScanner struct {
	s     scanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.s.Scan(append(dest, e.extra...)...) }

// RejectedSince implements compute.SyncActivity: the rejected receipts of the mutation log at or
// after since that name their user (a scan of the log from since on, by its at index).
func (a *SyncActivity) RejectedSince(ctx context.Context, since time.Time) (map[compute.UserDevice]int, error) {
	rows, err := a.store.reader.QueryContext(ctx, `SELECT doc FROM mutations WHERE at >= ?`, since.UnixNano())
	if err != nil {
		return nil, translate(err, "count rejected mutations")
	}
	defer rows.Close()
	out := map[compute.UserDevice]int{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, translate(err, "count rejected mutations")
		}
		r, err := decodeReceipt(doc)
		if err != nil {
			return nil, translate(err, "count rejected mutations")
		}
		if r.Result.Status == fsync.StatusRejected && r.UserID != "" {
			out[compute.UserDevice{UserID: r.UserID, DeviceID: r.DeviceID}]++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "count rejected mutations")
	}
	return out, nil
}
