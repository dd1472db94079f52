package domain

import (
	"fmt"
	"slices"
)

// Action is what a principal does to a record of a collection.
type Action string

// The actions of the grant table. Review is a write of review fields only (a leader approving a
// service form, purchasing approving a purchase request); the engine tells it from an update with
// WriteAction.
const (
	ActionRead   Action = "read"
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	ActionReview Action = "review"
)

// Actions lists every action, in the order above.
var Actions = []Action{ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionReview}

// Scope says which records of a collection an action is granted on, relative to the principal
// and to the record's RecordMeta.
type Scope string

// The scopes. Whatever the scope, a technician or leader never reaches a record of another team
// (RecordMeta.Team must be their team), and own and assigned records must also be in the
// principal's team (for departments: records without a team).
const (
	ScopeNone         Scope = "none"           // never
	ScopeOwn          Scope = "own"            // records the principal owns (authored, or is the subject of)
	ScopeAssigned     Scope = "assigned"       // records that list the principal among their assignees
	ScopeTeam         Scope = "team"           // every record of the principal's team
	ScopeAll          Scope = "all"            // every record
	ScopeWaitingForMe Scope = "waiting-for-me" // records whose WaitingFor holds the principal's role
	ScopeClosedOnly   Scope = "closed-only"    // records that are closed (a closed month's assessment)
)

// RecordMeta is what authorization needs to know about one record (or about the record a
// create would write, with Owner and Team stamped from the principal). Owner is the user id of
// the author; for records about a person it is that person (an assessment's technician, a user's
// own id in "users", a device's user in "devices"). Assignees are the technicians a work order is
// assigned to, or the technician an incident is about. WaitingFor are the roles whose decision
// the record waits for now (a purchase request at purchasing). Closed marks a closed month's
// record.
type RecordMeta struct {
	Owner      string
	Team       string
	Assignees  []string
	WaitingFor []Role
	Closed     bool
}

// Authorize is the one check of every read and write: it returns nil when p may do a to rec in
// collection, and otherwise an error wrapping ErrForbidden (code forbidden) that names the role,
// action and collection, never the record's content. An unknown collection or role is forbidden.
func Authorize(p Principal, a Action, collection string, rec RecordMeta) error {
	if scope := grantOf(p.Role, collection, a); scope.covers(p, rec) {
		return nil
	}
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf("a %s may not %s this %s record", roleName(p.Role), a, collection)}
}

func roleName(r Role) string {
	if r == "" {
		return "user without a role"
	}
	return string(r)
}

// ReadScope returns the scope of p's read grant on collection: the sync engine turns it into a
// query (own: Owner = p.UserID; assigned: p.UserID in Assignees; team: Team = p.TeamID; ...),
// always within p's team for technicians and leaders. ScopeNone for an unknown collection.
func ReadScope(p Principal, collection string) Scope { return grantOf(p.Role, collection, ActionRead) }

// GrantScope returns the scope role has for action on collection (ScopeNone when not granted).
func GrantScope(role Role, collection string, a Action) Scope { return grantOf(role, collection, a) }

// covers reports whether scope s, held by p, reaches rec.
func (s Scope) covers(p Principal, rec RecordMeta) bool {
	if p.Role.InTeam() && (p.TeamID == "" || rec.Team != p.TeamID) {
		return false // nobody sees another team
	}
	switch s {
	case ScopeOwn:
		return p.UserID != "" && rec.Owner == p.UserID && rec.Team == p.TeamID
	case ScopeAssigned:
		return p.UserID != "" && slices.Contains(rec.Assignees, p.UserID) && rec.Team == p.TeamID
	case ScopeTeam:
		return p.TeamID != "" && rec.Team == p.TeamID
	case ScopeAll:
		return true
	case ScopeWaitingForMe:
		return p.Role != "" && slices.Contains(rec.WaitingFor, p.Role)
	case ScopeClosedOnly:
		return rec.Closed
	}
	return false
}

// CanManage reports whether a user of role actor may create, disable and reset the password of
// users of role target (within the reach of actor's grants on "users"): admins manage every role,
// leaders manage technicians (of their own team, by their "users" grant).
func CanManage(actor, target Role) bool { return slices.Contains(manages[actor], target) }

// manages is the data behind CanManage.
var manages = map[Role][]Role{
	RoleAdmin:  Roles,
	RoleLeader: {RoleTechnician},
}

// Permission is what one role may do with one collection: a scope per granted action (actions
// not listed are ScopeNone) and the fields it may write. GET /v1/me sends the caller's.
type Permission struct {
	Collection string
	Scopes     map[Action]Scope
	Writable   FieldSet
}

// Permissions returns role's permissions on every collection it has any grant on, in the order
// of Collections().
func Permissions(role Role) []Permission {
	var out []Permission
	for _, c := range Collections() {
		scopes := map[Action]Scope{}
		for _, a := range Actions {
			if s := grantOf(role, c, a); s != ScopeNone {
				scopes[a] = s
			}
		}
		if len(scopes) > 0 {
			out = append(out, Permission{Collection: c, Scopes: scopes, Writable: WritableFields(role, c)})
		}
	}
	return out
}
