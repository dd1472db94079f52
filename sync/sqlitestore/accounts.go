package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// Accounts implements accounts.Store on SQLite: users, teams, devices and refresh tokens (tables
// of migrations/0004_accounts.sql).
type Accounts struct{ store *Store }

// NewAccounts returns the account store of s.
func NewAccounts(s *Store) *Accounts { return &Accounts{store: s} }

// Compile-time checks that Accounts is what the accounts service needs.
var (
	_ accounts.Store         = (*Accounts)(nil)
	_ accounts.Users         = (*Accounts)(nil)
	_ accounts.Teams         = (*Accounts)(nil)
	_ accounts.Devices       = (*Accounts)(nil)
	_ accounts.RefreshTokens = (*Accounts)(nil)
)

// errDuplicateKey stands in for SQLite's constraint error, whose text may name the duplicated
// value.
var errDuplicateKey = errors.New("UNIQUE constraint failed (value redacted)")

// SQLite result codes (primary codes are the low byte of extended ones).
const (
	sqliteBusy                 = 5
	sqliteLocked               = 6
	sqliteConstraint           = 19
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// translate maps a database error to a domain error with a message made from format and args:
// sql.ErrNoRows → not found, a unique or primary-key violation → conflict, busy/locked or a
// passed deadline → unavailable, context.Canceled passed through, anything else internal. An
// error that already carries a domain code keeps it.
func translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	var de *domain.Error
	var coded interface{ Code() int }
	switch {
	case errors.As(err, &de):
		return fmt.Errorf("%s: %w", msg, err)
	case errors.Is(err, sql.ErrNoRows):
		return &domain.Error{Code: domain.CodeNotFound, Message: msg, Err: err}
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", msg, err)
	case errors.Is(err, context.DeadlineExceeded):
		return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err}
	case errors.As(err, &coded):
		switch c := coded.Code(); {
		case c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey:
			return &domain.Error{Code: domain.CodeConflict, Message: msg, Err: errDuplicateKey}
		case c&0xff == sqliteBusy || c&0xff == sqliteLocked:
			return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err}
		}
	}
	return &domain.Error{Code: domain.CodeInternal, Message: msg, Err: err}
}

// fromNanos reverses nanos: 0 is the zero time, anything else a UTC time.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

const userColumns = "id, username, display_name, role, team_id, hire_date, probation_passed, grade, monthly_pay_fen, disabled"

func scanUser(s scanner, extra ...any) (domain.User, error) {
	var u domain.User
	var role, hire, grade string
	var probation, disabled int64
	dest := append([]any{&u.ID, &u.Username, &u.DisplayName, &role, &u.TeamID, &hire, &probation, &grade,
		&u.MonthlyPayFen, &disabled}, extra...)
	if err := s.Scan(dest...); err != nil {
		return domain.User{}, err
	}
	u.Role, u.Grade = domain.Role(role), domain.Grade(grade)
	u.HireDate, _ = domain.ParseDate(hire) // written by InsertUser: always valid or ""
	u.ProbationPassed, u.Disabled = probation != 0, disabled != 0
	return u, nil
}

// InsertUser implements accounts.Users. A taken username or id is domain.ErrConflict.
func (a *Accounts) InsertUser(ctx context.Context, u domain.User, hash string, at time.Time) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Username, u.DisplayName, string(u.Role), u.TeamID, u.HireDate.String(), boolInt(u.ProbationPassed),
			string(u.Grade), u.MonthlyPayFen, boolInt(u.Disabled), hash, nanos(at), nanos(at))
		return err
	})
	return translate(err, "insert user %q", u.Username)
}

// UserByID implements accounts.Users.
func (a *Accounts) UserByID(ctx context.Context, id string) (domain.User, error) {
	u, err := scanUser(a.store.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return domain.User{}, translate(err, "load user %s", id)
	}
	return u, nil
}

// UserByUsername implements accounts.Users: the one read that returns the password hash.
func (a *Accounts) UserByUsername(ctx context.Context, username string) (domain.User, string, error) {
	var hash string
	u, err := scanUser(a.store.reader.QueryRowContext(ctx,
		`SELECT `+userColumns+`, password_hash FROM users WHERE username = ?`, username), &hash)
	if err != nil {
		return domain.User{}, "", translate(err, "load user %q", username)
	}
	return u, hash, nil
}

// ListUsers implements accounts.Users.
func (a *Accounts) ListUsers(ctx context.Context, teamID string) ([]domain.User, error) {
	q, args := `SELECT `+userColumns+` FROM users`, []any{}
	if teamID != "" {
		q, args = q+` WHERE team_id = ?`, append(args, teamID)
	}
	rows, err := a.store.reader.QueryContext(ctx, q+` ORDER BY username`, args...)
	if err != nil {
		return nil, translate(err, "list users")
	}
	defer rows.Close()
	users := []domain.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, translate(err, "list users")
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list users")
	}
	return users, nil
}

// SetUserDisabled implements accounts.Users.
func (a *Accounts) SetUserDisabled(ctx context.Context, id string, at time.Time) error {
	return a.updateUser(ctx, id, `UPDATE users SET disabled = 1, updated_at = ? WHERE id = ?`, nanos(at), id)
}

// SetPasswordHash implements accounts.Users.
func (a *Accounts) SetPasswordHash(ctx context.Context, id, hash string, at time.Time) error {
	return a.updateUser(ctx, id, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, nanos(at), id)
}

func (a *Accounts) updateUser(ctx context.Context, id, q string, args ...any) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, sql.ErrNoRows)
		}
		return nil
	})
	return translate(err, "update user %s", id)
}

// InsertTeam implements accounts.Teams. A taken name or id is domain.ErrConflict.
func (a *Accounts) InsertTeam(ctx context.Context, t domain.Team, at time.Time) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO teams (id, name, leader_id, created_at) VALUES (?, ?, ?, ?)`,
			t.ID, t.Name, t.LeaderID, nanos(at))
		return err
	})
	return translate(err, "insert team %q", t.Name)
}

func scanTeam(s scanner) (domain.Team, error) {
	var t domain.Team
	err := s.Scan(&t.ID, &t.Name, &t.LeaderID)
	return t, err
}

// TeamByID implements accounts.Teams.
func (a *Accounts) TeamByID(ctx context.Context, id string) (domain.Team, error) {
	t, err := scanTeam(a.store.reader.QueryRowContext(ctx, `SELECT id, name, leader_id FROM teams WHERE id = ?`, id))
	if err != nil {
		return domain.Team{}, translate(err, "load team %s", id)
	}
	return t, nil
}

// TeamByName implements accounts.Teams.
func (a *Accounts) TeamByName(ctx context.Context, name string) (domain.Team, error) {
	t, err := scanTeam(a.store.reader.QueryRowContext(ctx, `SELECT id, name, leader_id FROM teams WHERE name = ?`, name))
	if err != nil {
		return domain.Team{}, translate(err, "load team %q", name)
	}
	return t, nil
}

// ListTeams implements accounts.Teams.
func (a *Accounts) ListTeams(ctx context.Context, id string) ([]domain.Team, error) {
	q, args := `SELECT id, name, leader_id FROM teams`, []any{}
	if id != "" {
		q, args = q+` WHERE id = ?`, append(args, id)
	}
	rows, err := a.store.reader.QueryContext(ctx, q+` ORDER BY name`, args...)
	if err != nil {
		return nil, translate(err, "list teams")
	}
	defer rows.Close()
	teams := []domain.Team{}
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, translate(err, "list teams")
		}
		teams = append(teams, t)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list teams")
	}
	return teams, nil
}

// SetTeamLeader implements accounts.Teams with one conditional update (a compare-and-set on
// leader_id) in the writer's serialized transaction.
func (a *Accounts) SetTeamLeader(ctx context.Context, teamID, from, to string) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE teams SET leader_id = ? WHERE id = ? AND leader_id = ?`, to, teamID, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM teams WHERE id = ?`, teamID).Scan(&one); err != nil {
			return err
		}
		return domain.Errorf(domain.CodeConflict, "the team already has a leader")
	})
	return translate(err, "set the leader of team %s", teamID)
}

const deviceColumns = "id, user_id, team_id, client_id, name, created_at, last_seen_at, revoked_at, revoked_by, revoke_reason"

func scanDevice(s scanner) (domain.Device, error) {
	var d domain.Device
	var created, seen, revoked int64
	if err := s.Scan(&d.ID, &d.UserID, &d.TeamID, &d.ClientID, &d.Name, &created, &seen, &revoked,
		&d.RevokedBy, &d.RevokeReason); err != nil {
		return domain.Device{}, err
	}
	d.CreatedAt, d.LastSeenAt, d.RevokedAt = fromNanos(created), fromNanos(seen), fromNanos(revoked)
	return d, nil
}

// OpenDevice implements accounts.Devices: in one write, the active device of (user, client id)
// is refreshed, or d inserted when there is none.
func (a *Accounts) OpenDevice(ctx context.Context, d domain.Device) (domain.Device, error) {
	var out domain.Device
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET name = ?, team_id = ?, last_seen_at = ?
			WHERE user_id = ? AND client_id = ? AND active = 1`,
			d.Name, d.TeamID, nanos(d.LastSeenAt), d.UserID, d.ClientID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, user_id, team_id, client_id, name, active,
				created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
				d.ID, d.UserID, d.TeamID, d.ClientID, d.Name, nanos(d.CreatedAt), nanos(d.LastSeenAt)); err != nil {
				return err
			}
		}
		out, err = scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices
			WHERE user_id = ? AND client_id = ? AND active = 1`, d.UserID, d.ClientID))
		return err
	})
	if err != nil {
		return domain.Device{}, translate(err, "open device of user %s", d.UserID)
	}
	return out, nil
}

// DeviceByID implements accounts.Devices: a primary-key lookup.
func (a *Accounts) DeviceByID(ctx context.Context, id string) (domain.Device, error) {
	d, err := scanDevice(a.store.reader.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id))
	if err != nil {
		return domain.Device{}, translate(err, "load device %s", id)
	}
	return d, nil
}

// ListDevices implements accounts.Devices: newest LastSeenAt first, then by id.
func (a *Accounts) ListDevices(ctx context.Context, q accounts.DeviceQuery) ([]domain.Device, error) {
	var where []string
	var args []any
	if q.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, q.UserID)
	}
	if q.TeamID != "" {
		where, args = append(where, "team_id = ?"), append(args, q.TeamID)
	}
	if !q.IncludeRevoked {
		where = append(where, "active = 1")
	}
	limit := q.Limit
	if limit <= 0 || limit > accounts.MaxDeviceList {
		limit = accounts.MaxDeviceList
	}
	query := `SELECT ` + deviceColumns + ` FROM devices`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := a.store.reader.QueryContext(ctx, query+` ORDER BY last_seen_at DESC, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, translate(err, "list devices")
	}
	defer rows.Close()
	out := []domain.Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, translate(err, "list devices")
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list devices")
	}
	return out, nil
}

// TouchDevice implements accounts.Devices (an unknown device is no error, as in MongoDB).
func (a *Accounts) TouchDevice(ctx context.Context, id string, at time.Time) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE devices SET last_seen_at = ? WHERE id = ?`, nanos(at), id)
		return err
	})
	return translate(err, "touch device %s", id)
}

const revokeDevices = `UPDATE devices SET active = 0, revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE active = 1 AND `

// RevokeDevice implements accounts.Devices: the device and its refresh tokens in one write.
func (a *Accounts) RevokeDevice(ctx context.Context, id, by, reason string, at time.Time) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, revokeDevices+`id = ?`, nanos(at), by, reason, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM devices WHERE id = ?`, id).Scan(&one); err != nil {
				return err
			}
		}
		return revokeTokens(ctx, tx, "device_id", id, at)
	})
	return translate(err, "revoke device %s", id)
}

// RevokeUserDevices implements accounts.Devices.
func (a *Accounts) RevokeUserDevices(ctx context.Context, userID, by, reason string, at time.Time) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, revokeDevices+`user_id = ?`, nanos(at), by, reason, userID); err != nil {
			return err
		}
		return revokeTokens(ctx, tx, "user_id", userID, at)
	})
	return translate(err, "revoke the devices of user %s", userID)
}

// revokeTokens moves the active and rotated tokens whose column (device_id or user_id) is value
// to revoked: a revoked token is refused without raising the reuse alarm again.
func revokeTokens(ctx context.Context, tx *sql.Tx, column, value string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET state = ?, rotated_at = ?
		WHERE `+column+` = ? AND state IN (?, ?)`,
		string(domain.RefreshRevoked), nanos(at), value, string(domain.RefreshActive), string(domain.RefreshRotated))
	return err
}

const tokenColumns = "hash, user_id, device_id, state, issued_at, expires_at, rotated_at"

func scanToken(s scanner) (domain.RefreshToken, error) {
	var t domain.RefreshToken
	var state string
	var issued, expires, rotated int64
	if err := s.Scan(&t.Hash, &t.UserID, &t.DeviceID, &state, &issued, &expires, &rotated); err != nil {
		return domain.RefreshToken{}, err
	}
	t.State = domain.RefreshState(state)
	t.IssuedAt, t.ExpiresAt, t.RotatedAt = fromNanos(issued), fromNanos(expires), fromNanos(rotated)
	return t, nil
}

// InsertRefreshToken implements accounts.RefreshTokens.
func (a *Accounts) InsertRefreshToken(ctx context.Context, t domain.RefreshToken) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, user_id, device_id, state, issued_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, t.Hash, t.UserID, t.DeviceID, string(t.State), nanos(t.IssuedAt), nanos(t.ExpiresAt))
		return err
	})
	return translate(err, "insert refresh token of device %s", t.DeviceID)
}

// RotateRefreshToken implements accounts.RefreshTokens: read and update in one serialized write,
// so that of two concurrent uses of one token exactly one rotates it. It returns the token as it
// was before the rotation.
func (a *Accounts) RotateRefreshToken(ctx context.Context, hash string, at time.Time) (domain.RefreshToken, error) {
	var t domain.RefreshToken
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM refresh_tokens
			WHERE hash = ? AND state = ? AND expires_at > ?`, hash, string(domain.RefreshActive), nanos(at)))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE refresh_tokens SET state = ?, rotated_at = ? WHERE hash = ?`,
			string(domain.RefreshRotated), nanos(at), hash)
		return err
	})
	if err != nil {
		return domain.RefreshToken{}, translate(err, "rotate refresh token")
	}
	return t, nil
}

// RefreshTokenByHash implements accounts.RefreshTokens.
func (a *Accounts) RefreshTokenByHash(ctx context.Context, hash string) (domain.RefreshToken, error) {
	t, err := scanToken(a.store.reader.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM refresh_tokens WHERE hash = ?`, hash))
	if err != nil {
		return domain.RefreshToken{}, translate(err, "load refresh token")
	}
	return t, nil
}

// RevokeRefreshTokens implements accounts.RefreshTokens.
func (a *Accounts) RevokeRefreshTokens(ctx context.Context, deviceID string, at time.Time) error {
	err := a.store.Write(ctx, func(tx *sql.Tx) error { return revokeTokens(ctx, tx, "device_id", deviceID, at) })
	return translate(err, "revoke refresh tokens")
}

// PurgeRefreshTokens implements accounts.RefreshTokens: it deletes the tokens that expired at or
// before before.
func (a *Accounts) PurgeRefreshTokens(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := a.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= ?`, nanos(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, translate(err, "purge refresh tokens")
	}
	return n, nil
}
