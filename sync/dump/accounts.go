package dump

import (
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// User is a domain.User with its password hash (a bcrypt hash, never a password) and the
// times of its creation and last change.
type User struct {
	ID              string    `json:"id"`
	Username        string    `json:"username"`
	DisplayName     string    `json:"displayName"`
	Role            string    `json:"role"`
	TeamID          string    `json:"teamId,omitempty"`
	HireDate        string    `json:"hireDate,omitempty"` // YYYY-MM-DD, "" for none
	ProbationPassed bool      `json:"probationPassed,omitempty"`
	Grade           string    `json:"grade,omitempty"`
	MonthlyPayFen   int64     `json:"monthlyPayFen"`
	Disabled        bool      `json:"disabled,omitempty"`
	PasswordHash    string    `json:"passwordHash"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// FromUser returns the dump form of u.
func FromUser(u domain.User, hash string, created, updated time.Time) *User {
	hire := ""
	if !u.HireDate.IsZero() {
		hire = u.HireDate.String()
	}
	return &User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role), TeamID: u.TeamID,
		HireDate: hire, ProbationPassed: u.ProbationPassed, Grade: string(u.Grade), MonthlyPayFen: u.MonthlyPayFen,
		Disabled: u.Disabled, PasswordHash: hash, CreatedAt: created.UTC(), UpdatedAt: updated.UTC()}
}

// DomainUser returns the domain.User of d (a malformed hire date becomes the zero date).
func (d *User) DomainUser() domain.User {
	hire, _ := domain.ParseDate(d.HireDate)
	return domain.User{ID: d.ID, Username: d.Username, DisplayName: d.DisplayName, Role: domain.Role(d.Role),
		TeamID: d.TeamID, HireDate: hire, ProbationPassed: d.ProbationPassed, Grade: domain.Grade(d.Grade),
		MonthlyPayFen: d.MonthlyPayFen, Disabled: d.Disabled}
}

// Team is a domain.Team with its creation time.
type Team struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	LeaderID  string    `json:"leaderId,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Device is a domain.Device with its last push and pull (sync health); zero times are absent.
type Device struct {
	ID           string    `json:"id"`
	UserID       string    `json:"userId"`
	TeamID       string    `json:"teamId,omitempty"`
	ClientID     string    `json:"clientId"`
	Name         string    `json:"name"`
	CreatedAt    time.Time `json:"createdAt"`
	LastSeenAt   time.Time `json:"lastSeenAt,omitzero"`
	RevokedAt    time.Time `json:"revokedAt,omitzero"`
	RevokedBy    string    `json:"revokedBy,omitempty"`
	RevokeReason string    `json:"revokeReason,omitempty"`
	LastPushAt   time.Time `json:"lastPushAt,omitzero"`
	LastPullAt   time.Time `json:"lastPullAt,omitzero"`
}

// FromDevice returns the dump form of d with its last push and pull.
func FromDevice(d domain.Device, lastPush, lastPull time.Time) *Device {
	return &Device{ID: d.ID, UserID: d.UserID, TeamID: d.TeamID, ClientID: d.ClientID, Name: d.Name,
		CreatedAt: utc(d.CreatedAt), LastSeenAt: utc(d.LastSeenAt), RevokedAt: utc(d.RevokedAt), RevokedBy: d.RevokedBy,
		RevokeReason: d.RevokeReason, LastPushAt: utc(lastPush), LastPullAt: utc(lastPull)}
}

// DomainDevice returns the domain.Device of d.
func (d *Device) DomainDevice() domain.Device {
	return domain.Device{ID: d.ID, UserID: d.UserID, TeamID: d.TeamID, ClientID: d.ClientID, Name: d.Name,
		CreatedAt: d.CreatedAt, LastSeenAt: d.LastSeenAt, RevokedAt: d.RevokedAt, RevokedBy: d.RevokedBy,
		RevokeReason: d.RevokeReason}
}

// RefreshToken is a domain.RefreshToken: the token's SHA-256 (hex), never the token.
type RefreshToken struct {
	Hash      string    `json:"hash"`
	UserID    string    `json:"userId"`
	DeviceID  string    `json:"deviceId"`
	State     string    `json:"state"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	RotatedAt time.Time `json:"rotatedAt,omitzero"`
}

// FromRefreshToken returns the dump form of t.
func FromRefreshToken(t domain.RefreshToken) *RefreshToken {
	return &RefreshToken{Hash: t.Hash, UserID: t.UserID, DeviceID: t.DeviceID, State: string(t.State),
		IssuedAt: utc(t.IssuedAt), ExpiresAt: utc(t.ExpiresAt), RotatedAt: utc(t.RotatedAt)}
}

// DomainRefreshToken returns the domain.RefreshToken of d.
func (d *RefreshToken) DomainRefreshToken() domain.RefreshToken {
	return domain.RefreshToken{Hash: d.Hash, UserID: d.UserID, DeviceID: d.DeviceID, State: domain.RefreshState(d.State),
		IssuedAt: d.IssuedAt, ExpiresAt: d.ExpiresAt, RotatedAt: d.RotatedAt}
}

// AuditEntry is a domain.AuditEntry.
type AuditEntry struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	UserID     string    `json:"userId,omitempty"`
	Username   string    `json:"username,omitempty"`
	Role       string    `json:"role,omitempty"`
	TeamID     string    `json:"teamId,omitempty"`
	DeviceID   string    `json:"deviceId,omitempty"`
	Address    string    `json:"address,omitempty"`
	Action     string    `json:"action"`
	Collection string    `json:"collection,omitempty"`
	RecordID   string    `json:"recordId,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// FromAudit returns the dump form of e.
func FromAudit(e domain.AuditEntry) *AuditEntry {
	return &AuditEntry{ID: e.ID, At: e.At.UTC(), UserID: e.UserID, Username: e.Username, Role: string(e.Role),
		TeamID: e.TeamID, DeviceID: e.DeviceID, Address: e.Address, Action: string(e.Action),
		Collection: e.Collection, RecordID: e.RecordID, Detail: e.Detail}
}

// DomainAudit returns the domain.AuditEntry of d.
func (d *AuditEntry) DomainAudit() domain.AuditEntry {
	return domain.AuditEntry{ID: d.ID, At: d.At, UserID: d.UserID, Username: d.Username, Role: domain.Role(d.Role),
		TeamID: d.TeamID, DeviceID: d.DeviceID, Address: d.Address, Action: domain.AuditAction(d.Action),
		Collection: d.Collection, RecordID: d.RecordID, Detail: d.Detail}
}

// Checkpoint is the rules engine's compute.Checkpoint.
type Checkpoint struct {
	Seq           int64     `json:"seq"`
	PolicyVersion int       `json:"policyVersion"`
	R1Through     time.Time `json:"r1Through,omitzero"`
	Baseline      string    `json:"baseline"`
}

// ClosedMonth is a compute.ClosedMonth: who closed which month of which team, the incidents it
// froze and the frozen scores.
type ClosedMonth struct {
	Team      string       `json:"team"`
	Month     domain.Month `json:"month"`
	ClosedAt  time.Time    `json:"closedAt"`
	ClosedBy  string       `json:"closedBy"`
	Incidents []string     `json:"incidents"`
	Scores    []Score      `json:"scores"`
	Done      bool         `json:"done"`
}

// Score is one technician's frozen domain.Score of a closed month (the month is the close's).
type Score struct {
	TechnicianID  string      `json:"technicianId"`
	Base          int         `json:"base"`
	Lines         []ScoreLine `json:"lines"`
	Deductions    int         `json:"deductions"`
	Additions     int         `json:"additions"`
	Total         int         `json:"total"`
	PolicyVersion int         `json:"policyVersion"`
}

// ScoreLine is a domain.ScoreLine: one incident counted in a Score.
type ScoreLine struct {
	IncidentID   string        `json:"incidentId"`
	Type         string        `json:"type"`
	Date         domain.Date   `json:"date"`
	Points       int           `json:"points"`
	Adjustment   bool          `json:"adjustment,omitempty"`
	AdjustmentOf *domain.Month `json:"adjustmentOf,omitempty"`
	Waived       bool          `json:"waived,omitempty"`
}

// FromClosedMonth returns the dump form of c.
func FromClosedMonth(c compute.ClosedMonth) *ClosedMonth {
	d := &ClosedMonth{Team: c.Team, Month: c.Month, ClosedAt: c.ClosedAt.UTC(), ClosedBy: c.ClosedBy,
		Incidents: c.Incidents, Scores: []Score{}, Done: c.Done}
	for _, s := range c.Scores {
		ds := Score{TechnicianID: s.TechnicianID, Base: s.Base, Lines: []ScoreLine{}, Deductions: s.Deductions,
			Additions: s.Additions, Total: s.Total, PolicyVersion: s.PolicyVersion}
		for _, l := range s.Lines {
			ds.Lines = append(ds.Lines, ScoreLine(l))
		}
		d.Scores = append(d.Scores, ds)
	}
	return d
}

// ComputeClosedMonth returns the compute.ClosedMonth of d.
func (d *ClosedMonth) ComputeClosedMonth() compute.ClosedMonth {
	c := compute.ClosedMonth{Team: d.Team, Month: d.Month, ClosedAt: d.ClosedAt, ClosedBy: d.ClosedBy,
		Incidents: d.Incidents, Done: d.Done}
	for _, s := range d.Scores {
		cs := domain.Score{Month: d.Month, TechnicianID: s.TechnicianID, Base: s.Base, Deductions: s.Deductions,
			Additions: s.Additions, Total: s.Total, PolicyVersion: s.PolicyVersion}
		for _, l := range s.Lines {
			cs.Lines = append(cs.Lines, domain.ScoreLine(l))
		}
		c.Scores = append(c.Scores, cs)
	}
	return c
}

// Blob is a photo's metadata (blobs.Blob), keyed by its SHA-256 (hex).
type Blob struct {
	Hash             string     `json:"hash"`
	Size             int64      `json:"size"`
	ContentType      string     `json:"contentType"`
	Uploader         string     `json:"uploader"`
	Team             string     `json:"team"`
	CreatedAt        time.Time  `json:"createdAt"`
	GPS              *blobs.GPS `json:"gps,omitempty"`
	Referenced       bool       `json:"referenced"`
	LastReferencedAt time.Time  `json:"lastReferencedAt,omitzero"`
	IdleSince        time.Time  `json:"idleSince,omitzero"`
}

// FromBlob returns the dump form of b.
func FromBlob(b blobs.Blob) *Blob {
	return &Blob{Hash: b.Hash, Size: b.Size, ContentType: b.ContentType, Uploader: b.Uploader, Team: b.Team,
		CreatedAt: utc(b.CreatedAt), GPS: b.GPS, Referenced: b.Referenced, LastReferencedAt: utc(b.LastReferencedAt),
		IdleSince: utc(b.IdleSince)}
}

// MetaBlob returns the blobs.Blob of d.
func (d *Blob) MetaBlob() blobs.Blob {
	return blobs.Blob{Hash: d.Hash, Size: d.Size, ContentType: d.ContentType, Uploader: d.Uploader, Team: d.Team,
		CreatedAt: d.CreatedAt, GPS: d.GPS, Referenced: d.Referenced, LastReferencedAt: d.LastReferencedAt,
		IdleSince: d.IdleSince}
}

// utc is t in UTC, the zero time kept zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
