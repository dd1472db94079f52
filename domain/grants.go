package domain

import "slices"

// The collections. The eight synced ones hold what the phones write (SPEC.md "Records that
// sync"); the computed ones are derived by the server's rules and pulled read-only; the account
// ones are served by the account endpoints, never synced.
const (
	CollWorkOrders       = "work_orders"
	CollServiceForms     = "service_forms"
	CollRevisitPlans     = "revisit_plans"
	CollTripLogs         = "trip_logs"
	CollReceipts         = "receipts"
	CollWeeklyReports    = "weekly_reports"
	CollPurchaseRequests = "purchase_requests"
	CollIncidents        = "incidents"

	CollAssessments    = "assessments"
	CollGradeReviews   = "grade_reviews"
	CollYearEndBonuses = "year_end_bonuses"
	CollReimbursements = "reimbursements"
	CollPettyCash      = "petty_cash"

	CollUsers    = "users"
	CollTeams    = "teams"
	CollDevices  = "devices"
	CollAuditLog = "audit_log"
)

var (
	syncedCollections = []string{CollWorkOrders, CollServiceForms, CollRevisitPlans, CollTripLogs,
		CollReceipts, CollWeeklyReports, CollPurchaseRequests, CollIncidents}
	computedCollections = []string{CollAssessments, CollGradeReviews, CollYearEndBonuses,
		CollReimbursements, CollPettyCash}
	accountCollections = []string{CollUsers, CollTeams, CollDevices, CollAuditLog}
)

// SyncedCollections returns the eight collections the phones write, in SPEC.md order.
func SyncedCollections() []string { return slices.Clone(syncedCollections) }

// ComputedCollections returns the server-computed collections (read-only to clients).
func ComputedCollections() []string { return slices.Clone(computedCollections) }

// AccountCollections returns users, teams, devices and audit_log.
func AccountCollections() []string { return slices.Clone(accountCollections) }

// Collections returns every collection the grant table knows: synced, computed, account.
func Collections() []string {
	return slices.Concat(syncedCollections, computedCollections, accountCollections)
}

// IsSynced reports whether collection is one of the eight synced collections.
func IsSynced(collection string) bool { return slices.Contains(syncedCollections, collection) }

// IsComputed reports whether collection is a server-computed collection.
func IsComputed(collection string) bool { return slices.Contains(computedCollections, collection) }

// Short names for the grant table below.
const (
	sNo     = ScopeNone
	sOwn    = ScopeOwn
	sAsg    = ScopeAssigned
	sTeam   = ScopeTeam
	sAll    = ScopeAll
	sWait   = ScopeWaitingForMe
	sClosed = ScopeClosedOnly
)

// grantTable is THE authorization of fieldsync (SPEC.md "People"), one row per role and
// collection; a missing row grants nothing. Read it as: "a <role> may <action> the <scope>
// records of <collection>". Technicians see and edit only their own records and read the work
// orders assigned to them (and the incidents about them); a leader reads the whole team, creates
// work orders and incidents and reviews the rest; purchasing and gm see and decide the purchase
// requests that wait for them; hr reads closed assessments, grade reviews, bonuses and petty
// cash; admin manages users and teams and reads everything for set-up. Technicians and leaders
// never reach another team, whatever the scope (Scope.covers).
var grantTable = []struct {
	role                                 Role
	collection                           string
	read, create, update, delete, review Scope
}{
	// {role, collection, read, create, update, delete, review}
	{RoleTechnician, CollWorkOrders, sAsg, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollServiceForms, sOwn, sOwn, sOwn, sOwn, sNo},
	{RoleTechnician, CollRevisitPlans, sOwn, sOwn, sOwn, sOwn, sNo},
	{RoleTechnician, CollTripLogs, sOwn, sOwn, sOwn, sOwn, sNo},
	{RoleTechnician, CollReceipts, sOwn, sOwn, sOwn, sOwn, sNo},
	{RoleTechnician, CollWeeklyReports, sOwn, sOwn, sOwn, sOwn, sNo},
	{RoleTechnician, CollPurchaseRequests, sOwn, sOwn, sOwn, sOwn, sNo},
	{RoleTechnician, CollIncidents, sAsg, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollAssessments, sOwn, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollGradeReviews, sOwn, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollYearEndBonuses, sOwn, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollReimbursements, sOwn, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollUsers, sOwn, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollTeams, sTeam, sNo, sNo, sNo, sNo},
	{RoleTechnician, CollDevices, sOwn, sNo, sOwn, sNo, sNo},

	{RoleLeader, CollWorkOrders, sTeam, sTeam, sTeam, sTeam, sNo},
	{RoleLeader, CollServiceForms, sTeam, sNo, sNo, sNo, sTeam},
	{RoleLeader, CollRevisitPlans, sTeam, sNo, sNo, sNo, sTeam},
	{RoleLeader, CollTripLogs, sTeam, sNo, sNo, sNo, sTeam},
	{RoleLeader, CollReceipts, sTeam, sNo, sNo, sNo, sTeam},
	{RoleLeader, CollWeeklyReports, sTeam, sNo, sNo, sNo, sTeam},
	{RoleLeader, CollPurchaseRequests, sTeam, sNo, sNo, sNo, sTeam},
	{RoleLeader, CollIncidents, sTeam, sTeam, sTeam, sTeam, sNo},
	{RoleLeader, CollAssessments, sTeam, sNo, sNo, sNo, sNo},
	{RoleLeader, CollGradeReviews, sTeam, sNo, sNo, sNo, sNo},
	{RoleLeader, CollYearEndBonuses, sTeam, sNo, sNo, sNo, sNo},
	{RoleLeader, CollReimbursements, sTeam, sNo, sNo, sNo, sNo},
	{RoleLeader, CollPettyCash, sTeam, sNo, sNo, sNo, sNo},
	{RoleLeader, CollUsers, sTeam, sTeam, sTeam, sNo, sNo},
	{RoleLeader, CollTeams, sTeam, sNo, sNo, sNo, sNo},
	{RoleLeader, CollDevices, sTeam, sNo, sTeam, sNo, sNo},
	{RoleLeader, CollAuditLog, sTeam, sNo, sNo, sNo, sNo},

	{RolePurchasing, CollPurchaseRequests, sWait, sNo, sNo, sNo, sWait},
	{RolePurchasing, CollUsers, sOwn, sNo, sNo, sNo, sNo},
	{RolePurchasing, CollDevices, sOwn, sNo, sOwn, sNo, sNo},

	{RoleGM, CollPurchaseRequests, sWait, sNo, sNo, sNo, sWait},
	{RoleGM, CollUsers, sOwn, sNo, sNo, sNo, sNo},
	{RoleGM, CollDevices, sOwn, sNo, sOwn, sNo, sNo},

	{RoleHR, CollAssessments, sClosed, sNo, sNo, sNo, sNo},
	{RoleHR, CollGradeReviews, sAll, sNo, sNo, sNo, sNo},
	{RoleHR, CollYearEndBonuses, sAll, sNo, sNo, sNo, sNo},
	{RoleHR, CollPettyCash, sAll, sNo, sNo, sNo, sNo},
	{RoleHR, CollUsers, sAll, sNo, sNo, sNo, sNo},
	{RoleHR, CollTeams, sAll, sNo, sNo, sNo, sNo},
	{RoleHR, CollDevices, sOwn, sNo, sOwn, sNo, sNo},

	{RoleAdmin, CollWorkOrders, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollServiceForms, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollRevisitPlans, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollTripLogs, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollReceipts, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollWeeklyReports, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollPurchaseRequests, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollIncidents, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollAssessments, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollGradeReviews, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollYearEndBonuses, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollReimbursements, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollPettyCash, sAll, sNo, sNo, sNo, sNo},
	{RoleAdmin, CollUsers, sAll, sAll, sAll, sNo, sNo},
	{RoleAdmin, CollTeams, sAll, sAll, sAll, sNo, sNo},
	{RoleAdmin, CollDevices, sAll, sNo, sAll, sNo, sNo},
	{RoleAdmin, CollAuditLog, sAll, sNo, sNo, sNo, sNo},
}

// grants indexes grantTable: role → collection → action → scope.
var grants = func() map[Role]map[string]map[Action]Scope {
	m := map[Role]map[string]map[Action]Scope{}
	for _, g := range grantTable {
		if m[g.role] == nil {
			m[g.role] = map[string]map[Action]Scope{}
		}
		m[g.role][g.collection] = map[Action]Scope{ActionRead: g.read, ActionCreate: g.create,
			ActionUpdate: g.update, ActionDelete: g.delete, ActionReview: g.review}
	}
	return m
}()

func grantOf(role Role, collection string, a Action) Scope {
	if s, ok := grants[role][collection][a]; ok {
		return s
	}
	return ScopeNone
}
