package domain

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

const (
	teamA = "aaaaaaaa-0000-4000-8000-000000000001"
	teamB = "bbbbbbbb-0000-4000-8000-000000000002"
)

var (
	techA   = Principal{UserID: "u-tech-a", Username: "tech.a", Role: RoleTechnician, TeamID: teamA}
	techA2  = Principal{UserID: "u-tech-a2", Username: "tech.a2", Role: RoleTechnician, TeamID: teamA}
	techB   = Principal{UserID: "u-tech-b", Username: "tech.b", Role: RoleTechnician, TeamID: teamB}
	leadA   = Principal{UserID: "u-lead-a", Username: "lead.a", Role: RoleLeader, TeamID: teamA}
	leadB   = Principal{UserID: "u-lead-b", Username: "lead.b", Role: RoleLeader, TeamID: teamB}
	buyer   = Principal{UserID: "u-buy", Username: "buyer", Role: RolePurchasing}
	gm      = Principal{UserID: "u-gm", Username: "gm", Role: RoleGM}
	hr      = Principal{UserID: "u-hr", Username: "hr", Role: RoleHR}
	admin   = Principal{UserID: "u-admin", Username: "admin", Role: RoleAdmin}
	nobody  = Principal{UserID: "u-x", Username: "x"}
	orphan  = Principal{UserID: "u-orphan", Username: "orphan", Role: RoleTechnician} // a technician without a team
	allPrin = []Principal{techA, techA2, techB, leadA, leadB, buyer, gm, hr, admin, nobody, orphan}
)

// Records of team A, described by their relation to the principals above.
var (
	ownedByTechA   = RecordMeta{Owner: techA.UserID, Team: teamA}
	assignedTechA  = RecordMeta{Owner: leadA.UserID, Team: teamA, Assignees: []string{techA.UserID}}
	ofTeamA        = RecordMeta{Owner: techA2.UserID, Team: teamA}
	waitingBuyer   = RecordMeta{Owner: techA.UserID, Team: teamA, WaitingFor: []Role{RolePurchasing}}
	waitingGM      = RecordMeta{Owner: techA.UserID, Team: teamA, WaitingFor: []Role{RoleGM}}
	closedOfTechA  = RecordMeta{Owner: techA.UserID, Team: teamA, Closed: true}
	openOfTechA    = RecordMeta{Owner: techA.UserID, Team: teamA}
	movedTechA     = RecordMeta{Owner: techA.UserID, Team: teamB} // techA's record left in another team
	newForTechA    = RecordMeta{Owner: techA.UserID, Team: teamA} // what a create by techA stamps
	newForLeadA    = RecordMeta{Owner: leadA.UserID, Team: teamA}
	userTechA      = RecordMeta{Owner: techA.UserID, Team: teamA}
	userBuyer      = RecordMeta{Owner: buyer.UserID}
	auditOfTeamA   = RecordMeta{Team: teamA}
	auditOfNoTeam  = RecordMeta{}
	deviceOfLeadB  = RecordMeta{Owner: leadB.UserID, Team: teamB}
	deviceOfTechA2 = RecordMeta{Owner: techA2.UserID, Team: teamA}
)

func TestAuthorize(t *testing.T) {
	cases := []struct {
		name string
		p    Principal
		a    Action
		coll string
		rec  RecordMeta
		ok   bool
	}{
		// technician: own records, assigned work orders (read only), nothing of others
		{"technician reads own service form", techA, ActionRead, CollServiceForms, ownedByTechA, true},
		{"technician creates own service form", techA, ActionCreate, CollServiceForms, newForTechA, true},
		{"technician updates own trip log", techA, ActionUpdate, CollTripLogs, ownedByTechA, true},
		{"technician deletes own receipt", techA, ActionDelete, CollReceipts, ownedByTechA, true},
		{"technician may not review own form", techA, ActionReview, CollServiceForms, ownedByTechA, false},
		{"technician may not read a teammate's form", techA, ActionRead, CollServiceForms, ofTeamA, false},
		{"technician may not update a teammate's form", techA, ActionUpdate, CollServiceForms, ofTeamA, false},
		{"technician may not create a form for a teammate", techA, ActionCreate, CollServiceForms, RecordMeta{Owner: techA2.UserID, Team: teamA}, false},
		{"technician reads assigned work order", techA, ActionRead, CollWorkOrders, assignedTechA, true},
		{"technician may not update assigned work order", techA, ActionUpdate, CollWorkOrders, assignedTechA, false},
		{"technician may not create work orders", techA, ActionCreate, CollWorkOrders, newForTechA, false},
		{"technician may not read unassigned work order", techA2, ActionRead, CollWorkOrders, assignedTechA, false},
		{"technician reads incidents about them", techA, ActionRead, CollIncidents, assignedTechA, true},
		{"technician may not record incidents", techA, ActionCreate, CollIncidents, newForTechA, false},
		{"technician reads own assessment", techA, ActionRead, CollAssessments, openOfTechA, true},
		{"technician may not write own assessment", techA, ActionUpdate, CollAssessments, openOfTechA, false},
		{"technician may not read petty cash", techA, ActionRead, CollPettyCash, ofTeamA, false},
		{"technician loses own record left in another team", techA, ActionRead, CollServiceForms, movedTechA, false},
		{"technician of team B never reads team A", techB, ActionRead, CollWorkOrders, RecordMeta{Team: teamA, Assignees: []string{techB.UserID}}, false},
		{"technician without team reads nothing", orphan, ActionRead, CollServiceForms, RecordMeta{Owner: orphan.UserID}, false},
		{"technician reads own user", techA, ActionRead, CollUsers, userTechA, true},
		{"technician may not create users", techA, ActionCreate, CollUsers, RecordMeta{Team: teamA}, false},
		{"technician revokes own device", techA, ActionUpdate, CollDevices, userTechA, true},
		{"technician may not revoke a teammate's device", techA, ActionUpdate, CollDevices, deviceOfTechA2, false},
		{"technician may not read the audit log", techA, ActionRead, CollAuditLog, auditOfTeamA, false},
		{"technician reads own team", techA, ActionRead, CollTeams, RecordMeta{Team: teamA}, true},

		// leader: the whole team, review fields, work orders and incidents; never team B
		{"leader reads a team form", leadA, ActionRead, CollServiceForms, ofTeamA, true},
		{"leader reviews a team form", leadA, ActionReview, CollServiceForms, ofTeamA, true},
		{"leader may not update a technician's form", leadA, ActionUpdate, CollServiceForms, ofTeamA, false},
		{"leader creates a work order", leadA, ActionCreate, CollWorkOrders, newForLeadA, true},
		{"leader deletes a work order", leadA, ActionDelete, CollWorkOrders, assignedTechA, true},
		{"leader records an incident", leadA, ActionCreate, CollIncidents, newForLeadA, true},
		{"leader reviews a purchase request", leadA, ActionReview, CollPurchaseRequests, waitingBuyer, true},
		{"leader reads team assessments", leadA, ActionRead, CollAssessments, openOfTechA, true},
		{"leader reads team petty cash", leadA, ActionRead, CollPettyCash, ofTeamA, true},
		{"leader creates a team member", leadA, ActionCreate, CollUsers, userTechA, true},
		{"leader revokes a team device", leadA, ActionUpdate, CollDevices, deviceOfTechA2, true},
		{"leader reads the team's audit log", leadA, ActionRead, CollAuditLog, auditOfTeamA, true},
		{"leader may not read another team's form", leadB, ActionRead, CollServiceForms, ofTeamA, false},
		{"leader may not review another team's form", leadB, ActionReview, CollServiceForms, ofTeamA, false},
		{"leader may not create a work order in another team", leadB, ActionCreate, CollWorkOrders, newForLeadA, false},
		{"leader may not create a user in another team", leadB, ActionCreate, CollUsers, userTechA, false},
		{"leader may not revoke another team's device", leadA, ActionUpdate, CollDevices, deviceOfLeadB, false},
		{"leader may not read another team's audit", leadB, ActionRead, CollAuditLog, auditOfTeamA, false},
		{"leader may not read audit without team", leadA, ActionRead, CollAuditLog, auditOfNoTeam, false},

		// purchasing and gm: purchase requests that wait for them
		{"purchasing reads a request waiting for it", buyer, ActionRead, CollPurchaseRequests, waitingBuyer, true},
		{"purchasing reviews a request waiting for it", buyer, ActionReview, CollPurchaseRequests, waitingBuyer, true},
		{"purchasing may not read a request waiting for gm", buyer, ActionRead, CollPurchaseRequests, waitingGM, false},
		{"purchasing may not update a request", buyer, ActionUpdate, CollPurchaseRequests, waitingBuyer, false},
		{"purchasing may not read work orders", buyer, ActionRead, CollWorkOrders, assignedTechA, false},
		{"purchasing may not read service forms", buyer, ActionRead, CollServiceForms, ofTeamA, false},
		{"gm reviews a request waiting for gm", gm, ActionReview, CollPurchaseRequests, waitingGM, true},
		{"gm may not review a request waiting for purchasing", gm, ActionReview, CollPurchaseRequests, waitingBuyer, false},
		{"purchasing reads own user", buyer, ActionRead, CollUsers, userBuyer, true},

		// hr: closed assessments, grade reviews, bonuses, petty cash, users
		{"hr reads a closed assessment", hr, ActionRead, CollAssessments, closedOfTechA, true},
		{"hr may not read an open assessment", hr, ActionRead, CollAssessments, openOfTechA, false},
		{"hr reads grade reviews", hr, ActionRead, CollGradeReviews, openOfTechA, true},
		{"hr reads year-end bonuses", hr, ActionRead, CollYearEndBonuses, openOfTechA, true},
		{"hr reads users", hr, ActionRead, CollUsers, userTechA, true},
		{"hr may not create users", hr, ActionCreate, CollUsers, userTechA, false},
		{"hr may not read service forms", hr, ActionRead, CollServiceForms, ofTeamA, false},

		// admin: users and teams; reads everything; writes no record
		{"admin creates a user in any team", admin, ActionCreate, CollUsers, userTechA, true},
		{"admin creates a team", admin, ActionCreate, CollTeams, RecordMeta{}, true},
		{"admin reads any form", admin, ActionRead, CollServiceForms, ofTeamA, true},
		{"admin may not write forms", admin, ActionUpdate, CollServiceForms, ofTeamA, false},
		{"admin revokes any device", admin, ActionUpdate, CollDevices, deviceOfLeadB, true},
		{"admin reads the whole audit log", admin, ActionRead, CollAuditLog, auditOfNoTeam, true},

		// unknowns
		{"no role reads nothing", nobody, ActionRead, CollUsers, RecordMeta{Owner: nobody.UserID}, false},
		{"unknown collection", admin, ActionRead, "secrets", RecordMeta{}, false},
		{"unknown action", admin, Action("approve"), CollUsers, RecordMeta{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Authorize(tc.p, tc.a, tc.coll, tc.rec)
			if tc.ok && err != nil {
				t.Fatalf("Authorize: %v, want allowed", err)
			}
			if !tc.ok {
				if !errors.Is(err, ErrForbidden) || ErrorCode(err) != CodeForbidden {
					t.Fatalf("Authorize: %v, want forbidden", err)
				}
			}
		})
	}
}

func TestGrantTableIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range grantTable {
		key := string(g.role) + "/" + g.collection
		if seen[key] {
			t.Errorf("duplicate row %s", key)
		}
		seen[key] = true
		if _, err := ParseRole(string(g.role)); err != nil {
			t.Errorf("row %s: unknown role", key)
		}
		if !slices.Contains(Collections(), g.collection) {
			t.Errorf("row %s: unknown collection", key)
		}
	}
	for _, role := range Roles {
		for _, c := range Collections() {
			for _, a := range Actions {
				s := GrantScope(role, c, a)
				// Team roles stay inside their team: no role-wide scopes.
				if role.InTeam() && (s == ScopeAll || s == ScopeWaitingForMe || s == ScopeClosedOnly) {
					t.Errorf("%s %s %s = %s: a team role must not reach other teams", role, a, c, s)
				}
				// Computed collections are read-only to every client.
				if IsComputed(c) && a != ActionRead && s != ScopeNone {
					t.Errorf("%s %s %s = %s: computed collections are read-only", role, a, c, s)
				}
				// Departments reach synced records only through role-wide scopes (see Tokens).
				if !role.InTeam() && (IsSynced(c) || IsComputed(c)) && (s == ScopeOwn || s == ScopeAssigned || s == ScopeTeam) {
					t.Errorf("%s %s %s = %s: departments have no team and own no records", role, a, c, s)
				}
			}
			// Whoever may write or review a record may read it.
			read := GrantScope(role, c, ActionRead)
			for _, a := range []Action{ActionCreate, ActionUpdate, ActionDelete, ActionReview} {
				if s := GrantScope(role, c, a); s != ScopeNone && s != read && read != ScopeTeam && read != ScopeAll {
					t.Errorf("%s may %s %s records of %s but reads %s", role, a, s, c, read)
				}
			}
		}
	}
	// Nobody writes another team's records: with writes in team or own scope only.
	if got := GrantScope(RoleLeader, CollServiceForms, ActionUpdate); got != ScopeNone {
		t.Errorf("leader updates service forms with scope %s: only the review fields", got)
	}
}

// TestTokensAgreeWithAuthorize checks, for every principal, synced or computed collection and
// record relation, that the visibility tokens give the same answer as Authorize(read): the
// store's pull query and the one check can never disagree.
func TestTokensAgreeWithAuthorize(t *testing.T) {
	var recs []RecordMeta
	owners := []string{"", techA.UserID, techA2.UserID, leadA.UserID, buyer.UserID, hr.UserID}
	for _, team := range []string{"", teamA, teamB} {
		for _, owner := range owners {
			for _, asg := range [][]string{nil, {techA.UserID}, {techA2.UserID, leadA.UserID}} {
				for _, waiting := range [][]Role{nil, {RolePurchasing}, {RoleGM, RoleLeader}} {
					for _, closed := range []bool{false, true} {
						recs = append(recs, RecordMeta{Owner: owner, Team: team, Assignees: asg, WaitingFor: waiting, Closed: closed})
					}
				}
			}
		}
	}
	for _, c := range slices.Concat(SyncedCollections(), ComputedCollections()) {
		for _, p := range allPrin {
			tokens := p.Tokens()
			for _, rec := range recs {
				want := Authorize(p, ActionRead, c, rec) == nil
				if got := CanSee(tokens, Audience(c, rec)); got != want {
					t.Errorf("%s %s on %+v: tokens say %v, Authorize says %v (tokens %v, audience %v)",
						p.Username, c, rec, got, want, tokens, Audience(c, rec))
				}
			}
		}
	}
}

func TestAudienceExamples(t *testing.T) {
	got := Audience(CollWorkOrders, assignedTechA)
	want := []string{"role:admin", "team:" + teamA + ":leader", "user:" + techA.UserID + "@" + teamA}
	if !slices.Equal(got, want) {
		t.Errorf("work order audience %v, want %v", got, want)
	}
	got = Audience(CollPurchaseRequests, waitingBuyer)
	want = []string{"role:admin", "team:" + teamA + ":leader", "user:" + techA.UserID + "@" + teamA, "waiting:purchasing"}
	if !slices.Equal(got, want) {
		t.Errorf("purchase request audience %v, want %v", got, want)
	}
}

func TestReadScope(t *testing.T) {
	cases := []struct {
		p    Principal
		coll string
		want Scope
	}{
		{techA, CollWorkOrders, ScopeAssigned},
		{techA, CollServiceForms, ScopeOwn},
		{leadA, CollServiceForms, ScopeTeam},
		{buyer, CollPurchaseRequests, ScopeWaitingForMe},
		{gm, CollPurchaseRequests, ScopeWaitingForMe},
		{hr, CollAssessments, ScopeClosedOnly},
		{admin, CollIncidents, ScopeAll},
		{buyer, CollWorkOrders, ScopeNone},
		{techA, "nope", ScopeNone},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s", tc.p.Role, tc.coll), func(t *testing.T) {
			if got := ReadScope(tc.p, tc.coll); got != tc.want {
				t.Errorf("ReadScope = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCanManage(t *testing.T) {
	for _, target := range Roles {
		if !CanManage(RoleAdmin, target) {
			t.Errorf("admin must manage %s", target)
		}
		if got := CanManage(RoleLeader, target); got != (target == RoleTechnician) {
			t.Errorf("leader manages %s: %v", target, got)
		}
		for _, actor := range []Role{RoleTechnician, RolePurchasing, RoleGM, RoleHR} {
			if CanManage(actor, target) {
				t.Errorf("%s must not manage %s", actor, target)
			}
		}
	}
}

func TestPermissions(t *testing.T) {
	perms := Permissions(RoleTechnician)
	byColl := map[string]Permission{}
	for _, p := range perms {
		byColl[p.Collection] = p
	}
	if wo := byColl[CollWorkOrders]; wo.Scopes[ActionRead] != ScopeAssigned || len(wo.Scopes) != 1 || !wo.Writable.IsEmpty() {
		t.Errorf("technician work orders: %+v", wo)
	}
	if _, ok := byColl[CollAuditLog]; ok {
		t.Errorf("technician must have no audit permission")
	}
	if sf := byColl[CollServiceForms]; !sf.Writable.Allows("workDone") || sf.Writable.Allows("reviewNote") {
		t.Errorf("technician service form fields: %+v", sf.Writable)
	}
	if len(Permissions(Role("nobody"))) != 0 {
		t.Errorf("an unknown role has permissions")
	}
}
