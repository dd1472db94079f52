package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/fieldsync/fieldsync/sync/devclock"
)

// devClockID is the settings row holding the development clock.
const devClockID = "dev_clock"

// DevClockRefresh is how long DevClock.Now serves its cached reading before it reads the
// settings row again (devclock.Refresh).
const DevClockRefresh = devclock.Refresh

// DevClock is the development clock (devclock.Clock) kept in the settings table (row
// "dev_clock", value JSON {now, setAt} in Unix nanoseconds), shared by every process on the file.
type DevClock = devclock.Clock

// devClockDoc is the stored JSON form of a devclock.State (the row exists only when Set).
type devClockDoc struct {
	Now   int64 `json:"now"`
	SetAt int64 `json:"setAt"`
}

// NewDevClock returns the development clock of s; log receives a warning when the row cannot be
// read (the clock then keeps its last reading).
func NewDevClock(s *Store, log *slog.Logger) *DevClock {
	return devclock.New(devClockStorage{s}, log)
}

// devClockStorage keeps the dev clock in the settings row; the revision is the stored value.
type devClockStorage struct{ store *Store }

// Save implements devclock.Storage: an insert when nothing is stored, else a compare-and-set
// on the value read.
func (d devClockStorage) Save(ctx context.Context, cur devclock.State, rev any, next devclock.State) (bool, error) {
	val, err := json.Marshal(devClockDoc{Now: next.Now.UnixNano(), SetAt: next.SetAt.UnixNano()})
	if err != nil {
		return false, fmt.Errorf("set the dev clock: %w", err)
	}
	raw, _ := rev.([]byte)
	lost := false
	err = d.store.Write(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if !cur.Set {
			res, err = tx.ExecContext(ctx, `INSERT INTO settings (id, value, created_at) VALUES (?, ?, ?)
				ON CONFLICT (id) DO NOTHING`, devClockID, val, next.SetAt.UnixNano())
		} else { // compare-and-set on the value read
			res, err = tx.ExecContext(ctx, `UPDATE settings SET value = ? WHERE id = ? AND value = ?`, val, devClockID, raw)
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		lost = n == 0
		return err
	})
	if err != nil {
		return false, translate(err, "set the dev clock")
	}
	return !lost, nil
}

// Load implements devclock.Storage.
func (d devClockStorage) Load(ctx context.Context) (devclock.State, any, error) {
	var raw []byte
	err := d.store.reader.QueryRowContext(ctx, `SELECT value FROM settings WHERE id = ?`, devClockID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return devclock.State{}, nil, nil
	}
	if err != nil {
		return devclock.State{}, nil, translate(err, "load the dev clock")
	}
	var doc devClockDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return devclock.State{}, nil, translate(err, "decode the dev clock")
	}
	return devclock.State{Set: true, Now: fromNanos(doc.Now), SetAt: fromNanos(doc.SetAt)}, raw, nil
}
