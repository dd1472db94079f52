package domain

import "slices"

// Visibility tokens turn the read grants into something a store can index: a record carries the
// tokens of everybody who may read it (Audience), a principal holds a few tokens (Tokens), and
// the principal may read the record exactly when the two share a token. That is how a pull finds
// every visible record of every collection with one indexed query. The forms are:
//
//	user:<userId>@<teamId>   the owner or an assignee (own, assigned), within a team
//	team:<teamId>:<role>     every <role> of the team (team)
//	role:<role>              every <role> (all)
//	waiting:<role>           every <role> while the record waits for it (waiting-for-me)
//	closed:<role>            every <role> once the record is closed (closed-only)
//
// For the synced and computed collections, Tokens and Audience agree with
// Authorize(ActionRead) (a test checks every role, collection and relation). Tokens are
// stable strings: stored records carry them, so a form is never changed, only added.

// Tokens returns p's visibility tokens, sorted. Technicians and leaders hold their user token
// and their team-and-role token, never a role-wide one (nobody sees another team); departments
// hold their role-wide tokens only (no department has an own or assigned grant on a synced or
// computed collection: the tests keep it so).
func (p Principal) Tokens() []string {
	if !p.Role.InTeam() {
		return []string{"closed:" + string(p.Role), "role:" + string(p.Role), "waiting:" + string(p.Role)}
	}
	if p.TeamID == "" || p.UserID == "" {
		return nil
	}
	return []string{"team:" + p.TeamID + ":" + string(p.Role), "user:" + p.UserID + "@" + p.TeamID}
}

// Audience returns the visibility tokens of a record of collection described by rec: one for
// every way some role's read grant reaches it. Sorted, without duplicates.
func Audience(collection string, rec RecordMeta) []string {
	var tokens []string
	user := func(id string) {
		if id != "" {
			tokens = append(tokens, "user:"+id+"@"+rec.Team)
		}
	}
	for _, role := range Roles {
		switch grantOf(role, collection, ActionRead) {
		case ScopeOwn:
			user(rec.Owner)
		case ScopeAssigned:
			for _, a := range rec.Assignees {
				user(a)
			}
		case ScopeTeam:
			if rec.Team != "" {
				tokens = append(tokens, "team:"+rec.Team+":"+string(role))
			}
		case ScopeAll:
			tokens = append(tokens, "role:"+string(role))
		case ScopeWaitingForMe:
			if slices.Contains(rec.WaitingFor, role) {
				tokens = append(tokens, "waiting:"+string(role))
			}
		case ScopeClosedOnly:
			if rec.Closed {
				tokens = append(tokens, "closed:"+string(role))
			}
		}
	}
	return sortedSet(tokens)
}

// CanSee reports whether a principal holding tokens may read a record with audience (both
// sorted or not): whether they share a token.
func CanSee(tokens, audience []string) bool {
	for _, t := range tokens {
		if slices.Contains(audience, t) {
			return true
		}
	}
	return false
}
