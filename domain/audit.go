package domain

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// AuditAction names what an audit entry records. New actions are added, never renamed.
type AuditAction string

// The audited actions. Record writes from the sync engine use the access actions
// (create, update, delete, review) as AuditAction(ActionX).
const (
	AuditLogin         AuditAction = "login"
	AuditLoginFailed   AuditAction = "login_failed"
	AuditLogout        AuditAction = "logout"
	AuditRefreshReuse  AuditAction = "refresh_reuse" // stolen-token detection revoked a device
	AuditTeamCreate    AuditAction = "team_create"
	AuditTeamLeader    AuditAction = "team_leader"
	AuditUserCreate    AuditAction = "user_create"
	AuditUserDisable   AuditAction = "user_disable"
	AuditPasswordReset AuditAction = "password_reset"
	AuditDeviceRevoke  AuditAction = "device_revoke"
	AuditRecordCreate  AuditAction = AuditAction(ActionCreate)
	AuditRecordUpdate  AuditAction = AuditAction(ActionUpdate)
	AuditRecordDelete  AuditAction = AuditAction(ActionDelete)
	AuditRecordReview  AuditAction = AuditAction(ActionReview)
)

// Audit entry limits, in bytes: longer values are cut by the store.
const (
	MaxAuditDetailLen   = 256 // AuditEntry.Detail
	MaxAuditUsernameLen = 64  // AuditEntry.Username (a failed login's typed name)
)

// AuditEntry is one line of the append-only audit log: who (UserID, Username, Role; empty for
// the command line or an unknown username), did what (Action) to which record (Collection,
// RecordID), when (At, the server's clock), from which device (the server's Device.ID) and
// address. TeamID is the team the entry concerns (the record's or the affected user's), which is
// what a leader's view of the log filters on. Detail is a short, fixed-vocabulary note (field
// names, a status, a reason). An entry never holds a password, a token, or customer data: callers
// put ids and field names in it, never field values.
type AuditEntry struct {
	ID         string
	At         time.Time
	UserID     string
	Username   string
	Role       Role
	TeamID     string
	DeviceID   string
	Address    string
	Action     AuditAction
	Collection string
	RecordID   string
	Detail     string
}

// AuditBy returns an entry for an action by p, from address, at time at.
func AuditBy(p Principal, address string, at time.Time, action AuditAction) AuditEntry {
	return AuditEntry{At: at, UserID: p.UserID, Username: p.Username, Role: p.Role, TeamID: p.TeamID,
		DeviceID: p.DeviceID, Address: address, Action: action}
}

// AuditQuery selects audit entries, newest first. An empty field matches everything. TeamID
// limits the entries to one team (a leader's view). Before is an entry id: only entries older
// than it are returned (the previous page's last id). Limit is at most MaxAuditLimit.
type AuditQuery struct {
	TeamID     string
	Collection string
	RecordID   string
	Before     string
	Limit      int
}

// Audit page sizes.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 500
)

// ForStorage returns e as an audit log stores it: a new UUIDv7 when ID is empty, now() when At is
// zero, Username and Detail cut to MaxAuditUsernameLen and MaxAuditDetailLen.
func (e AuditEntry) ForStorage(now func() time.Time) (AuditEntry, error) {
	if e.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return AuditEntry{}, fmt.Errorf("audit entry id: %w", err)
		}
		e.ID = id.String()
	}
	if e.At.IsZero() {
		e.At = now()
	}
	e.Username, e.Detail = CutUTF8(e.Username, MaxAuditUsernameLen), CutUTF8(e.Detail, MaxAuditDetailLen)
	return e, nil
}

// PageLimit is how many entries q returns at most: Limit, DefaultAuditLimit when it is not
// positive, never above MaxAuditLimit.
func (q AuditQuery) PageLimit() int {
	if q.Limit <= 0 {
		return DefaultAuditLimit
	}
	return min(q.Limit, MaxAuditLimit)
}
