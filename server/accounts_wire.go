package server

import (
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// The account endpoints' wire types: JSON and validate tags live here, never on domain types.

type loginRequest struct {
	Username   string `json:"username" validate:"required,max=64"`
	Password   string `json:"password" validate:"required,max=72"`
	DeviceID   string `json:"deviceId" validate:"required,max=128"`
	DeviceName string `json:"deviceName" validate:"max=128"`
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken" validate:"required,max=128"`
}

// sessionJSON is the answer of login and refresh; expiresIn is in seconds.
type sessionJSON struct {
	AccessToken  string   `json:"accessToken"`
	RefreshToken string   `json:"refreshToken"`
	TokenType    string   `json:"tokenType"`
	ExpiresIn    int      `json:"expiresIn"`
	DeviceID     string   `json:"deviceId"`
	User         userJSON `json:"user"`
}

func toSessionJSON(s accounts.Session) sessionJSON {
	return sessionJSON{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int(s.ExpiresIn.Seconds()), DeviceID: s.DeviceID, User: toUserJSON(s.User)}
}

type userJSON struct {
	ID              string `json:"id"`
	Username        string `json:"username"`
	DisplayName     string `json:"displayName"`
	Role            string `json:"role"`
	TeamID          string `json:"teamId,omitempty"`
	HireDate        string `json:"hireDate,omitempty"`
	ProbationPassed bool   `json:"probationPassed"`
	Grade           string `json:"grade,omitempty"`
	MonthlyPayFen   int64  `json:"monthlyPayFen"`
	Disabled        bool   `json:"disabled"`
}

func toUserJSON(u domain.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role),
		TeamID: u.TeamID, HireDate: u.HireDate.String(), ProbationPassed: u.ProbationPassed,
		Grade: string(u.Grade), MonthlyPayFen: u.MonthlyPayFen, Disabled: u.Disabled}
}

// createUserRequest is POST /v1/users. A leader may leave teamId empty: their own team (for
// the team roles).
type createUserRequest struct {
	Username        string `json:"username" validate:"required,min=3,max=32"`
	Password        string `json:"password" validate:"required,max=72"`
	DisplayName     string `json:"displayName" validate:"max=64"`
	Role            string `json:"role" validate:"required,oneof=technician leader purchasing gm hr admin"`
	TeamID          string `json:"teamId" validate:"omitempty,uuid"`
	HireDate        string `json:"hireDate" validate:"omitempty,datetime=2006-01-02"`
	ProbationPassed bool   `json:"probationPassed"`
	Grade           string `json:"grade" validate:"omitempty,oneof=A B C"`
	MonthlyPayFen   int64  `json:"monthlyPayFen" validate:"min=0"`
}

// toDomain converts the request; the domain constructor checks the invariants.
func (r createUserRequest) toDomain(p domain.Principal) (domain.User, error) {
	hire, err := domain.ParseDate(r.HireDate)
	if err != nil {
		return domain.User{}, domain.Invalid("invalid request", map[string]string{"hireDate": "datetime=2006-01-02"})
	}
	team := r.TeamID
	if team == "" && p.Role == domain.RoleLeader && domain.Role(r.Role).InTeam() {
		team = p.TeamID
	}
	return domain.User{Username: r.Username, DisplayName: r.DisplayName, Role: domain.Role(r.Role), TeamID: team,
		HireDate: hire, ProbationPassed: r.ProbationPassed, Grade: domain.Grade(r.Grade), MonthlyPayFen: r.MonthlyPayFen}, nil
}

type resetPasswordRequest struct {
	Password string `json:"password" validate:"required,max=72"`
}

type createTeamRequest struct {
	Name string `json:"name" validate:"required,max=64"`
}

type teamJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	LeaderID string `json:"leaderId,omitempty"`
}

func toTeamJSON(t domain.Team) teamJSON {
	return teamJSON{ID: t.ID, Name: t.Name, LeaderID: t.LeaderID}
}

type deviceJSON struct {
	ID           string     `json:"id"`
	DeviceID     string     `json:"deviceId"`
	Name         string     `json:"name"`
	UserID       string     `json:"userId"`
	TeamID       string     `json:"teamId,omitempty"`
	Active       bool       `json:"active"`
	CreatedAt    time.Time  `json:"createdAt"`
	LastSeenAt   time.Time  `json:"lastSeenAt"`
	RevokedAt    *time.Time `json:"revokedAt,omitempty"`
	RevokeReason string     `json:"revokeReason,omitempty"`
}

func toDeviceJSON(d domain.Device) deviceJSON {
	out := deviceJSON{ID: d.ID, DeviceID: d.ClientID, Name: d.Name, UserID: d.UserID, TeamID: d.TeamID,
		Active: d.Active(), CreatedAt: d.CreatedAt, LastSeenAt: d.LastSeenAt, RevokeReason: d.RevokeReason}
	if !d.Active() {
		at := d.RevokedAt
		out.RevokedAt = &at
	}
	return out
}

// permissionJSON tells the client what to show: {"collection", "scopes": {"read": "own", ...},
// "writable": {"all": true, "except": [...]} or {"only": [...]}}.
type permissionJSON struct {
	Collection string            `json:"collection"`
	Scopes     map[string]string `json:"scopes"`
	Writable   fieldSetJSON      `json:"writable"`
}

type fieldSetJSON struct {
	All    bool     `json:"all"`
	Except []string `json:"except,omitempty"`
	Only   []string `json:"only,omitempty"`
}

func toPermissionsJSON(perms []domain.Permission) []permissionJSON {
	out := make([]permissionJSON, len(perms))
	for i, p := range perms {
		scopes := make(map[string]string, len(p.Scopes))
		for a, s := range p.Scopes {
			scopes[string(a)] = string(s)
		}
		out[i] = permissionJSON{Collection: p.Collection, Scopes: scopes,
			Writable: fieldSetJSON{All: p.Writable.All, Except: p.Writable.Except, Only: p.Writable.Only}}
	}
	return out
}

type meJSON struct {
	User        userJSON         `json:"user"`
	Team        *teamJSON        `json:"team"`
	Permissions []permissionJSON `json:"permissions"`
}

type auditJSON struct {
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

func toAuditJSON(e domain.AuditEntry) auditJSON {
	return auditJSON{ID: e.ID, At: e.At, UserID: e.UserID, Username: e.Username, Role: string(e.Role),
		TeamID: e.TeamID, DeviceID: e.DeviceID, Address: e.Address, Action: string(e.Action),
		Collection: e.Collection, RecordID: e.RecordID, Detail: e.Detail}
}

// auditQuery is GET /v1/audit's query string.
type auditQuery struct {
	Collection string `query:"collection" json:"collection" validate:"max=64"`
	RecordID   string `query:"recordId" json:"recordId" validate:"max=128"`
	Before     string `query:"before" json:"before" validate:"omitempty,uuid"`
	Limit      int    `query:"limit" json:"limit" validate:"min=0,max=500"`
}

// mapSlice converts every element of in with f.
func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
