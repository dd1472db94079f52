package domain

import (
	"strings"
	"unicode/utf8"
)

// Role is what a user does in the team (SPEC.md "People"); it decides what they may read and
// write (access.go).
type Role string

// The roles. Technicians and leaders belong to a team; purchasing, gm, hr and admin are
// company-wide departments and belong to none.
const (
	RoleTechnician Role = "technician" // 组员: works on site, fills the records on the phone
	RoleLeader     Role = "leader"     // 小组组长: assigns, reviews, approves; leads one team
	RolePurchasing Role = "purchasing" // 采购部: second approval and sign-off of purchases >= 500 CNY
	RoleGM         Role = "gm"         // 总经办: final approval of purchases >= 500 CNY
	RoleHR         Role = "hr"         // 行政人事部: reads closed assessments, grades, bonuses
	RoleAdmin      Role = "admin"      // set-up: manages users and teams
)

// Roles lists every role, in the order above.
var Roles = []Role{RoleTechnician, RoleLeader, RolePurchasing, RoleGM, RoleHR, RoleAdmin}

// ParseRole returns the Role named s. Errors: a *Error with code invalid for an unknown name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Invalid("unknown role", map[string]string{"role": "oneof=technician leader purchasing gm hr admin"})
}

// InTeam reports whether users of this role belong to a team (technician, leader).
func (r Role) InTeam() bool { return r == RoleTechnician || r == RoleLeader }

// Grade is a member's pay grade (R6): A, B or C; empty while on probation.
type Grade string

// The pay grades of R6. The pay bands of each grade are policy, not code.
const (
	GradeA Grade = "A"
	GradeB Grade = "B"
	GradeC Grade = "C"
)

// Limits on account names, in characters (runes) for display names and bytes for usernames.
const (
	MinUsernameLen    = 3
	MaxUsernameLen    = 32
	MaxDisplayNameLen = 64
	MaxTeamNameLen    = 64
)

// User is a person who signs in. Username is unique, lower case, [a-z0-9._-]. HireDate is the
// civil date (Asia/Shanghai) the person joined, for tenure (R8). Grade is set only once
// ProbationPassed (R6). MonthlyPayFen is the current monthly pay in fen (1 CNY = 100 fen), >= 0.
// A Disabled user cannot sign in and their tokens stop working. The password hash is never part
// of a User: it lives only in the store and the accounts service.
type User struct {
	ID              string
	Username        string
	DisplayName     string
	Role            Role
	TeamID          string
	HireDate        Date
	ProbationPassed bool
	Grade           Grade
	MonthlyPayFen   int64
	Disabled        bool
}

// NewUser returns u with its username normalized (trimmed, lower-cased) and its display name
// trimmed (defaulting to the username), once every invariant holds: ID is a UUID; the username is
// MinUsernameLen..MaxUsernameLen bytes of [a-z0-9._-]; the role is known; technicians and
// leaders have a team and other roles have none; a grade is A, B or C and only once probation is
// passed; pay is >= 0 fen. Errors: a *Error with code invalid naming each bad field with a stable
// code ("required", "uuid", "min=3", "max=32", "username", "oneof=...", "excluded", ...).
func NewUser(u User) (User, error) {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if u.DisplayName == "" {
		u.DisplayName = u.Username
	}
	bad := map[string]string{}
	if !IsUUID(u.ID) {
		bad["id"] = "uuid"
	}
	if msg := checkUsername(u.Username); msg != "" {
		bad["username"] = msg
	}
	if utf8.RuneCountInString(u.DisplayName) > MaxDisplayNameLen {
		bad["displayName"] = "max=64"
	}
	_, roleErr := ParseRole(string(u.Role))
	switch {
	case roleErr != nil:
		bad["role"] = "oneof=technician leader purchasing gm hr admin"
	case u.Role.InTeam() && u.TeamID == "":
		bad["teamId"] = "required"
	case u.Role.InTeam() && !IsUUID(u.TeamID):
		bad["teamId"] = "uuid"
	case !u.Role.InTeam() && u.TeamID != "":
		bad["teamId"] = "excluded" // departments serve every team; "nobody sees another team"
	}
	switch u.Grade {
	case "":
	case GradeA, GradeB, GradeC:
		if !u.ProbationPassed {
			bad["grade"] = "requires probationPassed"
		}
	default:
		bad["grade"] = "oneof=A B C"
	}
	if u.MonthlyPayFen < 0 {
		bad["monthlyPayFen"] = "min=0"
	}
	if len(bad) > 0 {
		return User{}, Invalid("invalid user", bad)
	}
	return u, nil
}

// NormalizeUsername returns the form usernames are stored and compared in: trimmed, lower case.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func checkUsername(s string) string {
	switch {
	case s == "":
		return "required"
	case len(s) < MinUsernameLen:
		return "min=3"
	case len(s) > MaxUsernameLen:
		return "max=32"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "username" // letters, digits, '.', '_' and '-' only
		}
	}
	return ""
}

// Team is one after-sales team. LeaderID is the user id of its one leader, "" until a leader is
// appointed (see WithLeader).
type Team struct {
	ID       string
	Name     string
	LeaderID string
}

// NewTeam returns a team without a leader. Errors: a *Error with code invalid when id is not a
// UUID or the trimmed name is empty or longer than MaxTeamNameLen characters.
func NewTeam(id, name string) (Team, error) {
	name = strings.TrimSpace(name)
	bad := map[string]string{}
	if !IsUUID(id) {
		bad["id"] = "uuid"
	}
	switch {
	case name == "":
		bad["name"] = "required"
	case utf8.RuneCountInString(name) > MaxTeamNameLen:
		bad["name"] = "max=64"
	}
	if len(bad) > 0 {
		return Team{}, Invalid("invalid team", bad)
	}
	return Team{ID: id, Name: name}, nil
}

// WithLeader returns t led by u. A team has one leader and a leader leads the one team they
// belong to: u must have RoleLeader and TeamID t.ID, and t must have no other leader. Errors: a
// *Error with code invalid (u is not a leader of this team) or conflict (another leader).
func (t Team) WithLeader(u User) (Team, error) {
	if u.Role != RoleLeader || u.TeamID != t.ID {
		return t, Invalid("only a leader of this team can lead it", map[string]string{"leaderId": "leader of team"})
	}
	if t.LeaderID != "" && t.LeaderID != u.ID {
		return t, Errorf(CodeConflict, "team %q already has a leader", t.Name)
	}
	t.LeaderID = u.ID
	return t, nil
}

// Principal is the authenticated caller of one request: who (user id, username, role, team)
// and on which device (the server's device id, see Device). It is built by the accounts
// service from the user's current state, never from what a client claims.
type Principal struct {
	UserID   string
	Username string
	Role     Role
	TeamID   string
	DeviceID string
}

// PrincipalOf returns the principal of u signed in on device deviceID ("" for the command line).
func PrincipalOf(u User, deviceID string) Principal {
	return Principal{UserID: u.ID, Username: u.Username, Role: u.Role, TeamID: u.TeamID, DeviceID: deviceID}
}

// IsUUID reports whether s is a UUID in its canonical text form
// (8-4-4-4-12 hexadecimal digits, either case).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
