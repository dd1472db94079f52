package domain

import (
	"maps"
	"slices"
	"testing"
)

func TestWritableFields(t *testing.T) {
	cases := []struct {
		name    string
		role    Role
		coll    string
		allowed []string
		refused []string
	}{
		{"technician writes service form data and status", RoleTechnician, CollServiceForms,
			[]string{"workDone", "partsUsed", "outcome", "status", "customerSignature"},
			[]string{"reviewNote", "extraWorkApproved", "reviewedBy", "reviewedAt", "version", "owner", "team", "id"}},
		{"leader writes service form review fields only", RoleLeader, CollServiceForms,
			[]string{"status", "reviewNote", "extraWorkApproved"},
			[]string{"workDone", "partsUsed", "reviewedBy", "owner"}},
		{"leader writes work orders but not server fields", RoleLeader, CollWorkOrders,
			[]string{"customerName", "customerPhone", "customerAddress", "assignees", "dueAt"},
			[]string{"version", "updatedAt", "owner"}},
		{"technician writes no work order field", RoleTechnician, CollWorkOrders,
			nil, []string{"customerName", "assignees", "status"}},
		{"technician writes trip data but not the approval", RoleTechnician, CollTripLogs,
			[]string{"transportMode", "distanceKm", "expenses"},
			[]string{"transportApproved", "reviewNote"}},
		{"leader approves transport", RoleLeader, CollTripLogs,
			[]string{"transportApproved", "reviewNote"}, []string{"transportMode", "expenses"}},
		{"technician writes purchase request lines, no decision", RoleTechnician, CollPurchaseRequests,
			[]string{"lineItems", "workOrderId"},
			[]string{"leaderDecision", "purchasingDecision", "gmDecision", "purchasingSignedOff", "status", "waitingFor", "totalFen"}},
		{"purchasing writes its decision and sign-off only", RolePurchasing, CollPurchaseRequests,
			[]string{"purchasingDecision", "purchasingNote", "purchasingSignedOff"},
			[]string{"leaderDecision", "gmDecision", "lineItems", "status"}},
		{"gm writes its decision only", RoleGM, CollPurchaseRequests,
			[]string{"gmDecision", "gmNote"}, []string{"purchasingDecision", "purchasingSignedOff", "lineItems"}},
		{"leader writes the leader decision only", RoleLeader, CollPurchaseRequests,
			[]string{"leaderDecision", "leaderNote"}, []string{"gmDecision", "lineItems"}},
		{"technician may not mark a receipt duplicate", RoleTechnician, CollReceipts,
			[]string{"amountFen", "sha256"}, []string{"duplicateOf", "reviewNote"}},
		{"technician may not stamp submittedAt", RoleTechnician, CollWeeklyReports,
			[]string{"workCompleted", "nextWeekPlan"}, []string{"submittedAt", "reviewNote"}},
		{"leader writes incidents", RoleLeader, CollIncidents,
			[]string{"type", "points", "note", "assignees"}, []string{"version"}},
		{"nobody writes assessments", RoleLeader, CollAssessments, nil, []string{"total", "state"}},
		{"hr writes nothing", RoleHR, CollAssessments, nil, []string{"total"}},
		{"admin writes no record", RoleAdmin, CollServiceForms, nil, []string{"workDone", "reviewNote"}},
		{"unknown collection", RoleAdmin, "secrets", nil, []string{"x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := WritableFields(tc.role, tc.coll)
			for _, f := range tc.allowed {
				if !fs.Allows(f) {
					t.Errorf("%s must write %s.%s (set %+v)", tc.role, tc.coll, f, fs)
				}
			}
			for _, f := range tc.refused {
				if fs.Allows(f) {
					t.Errorf("%s must not write %s.%s (set %+v)", tc.role, tc.coll, f, fs)
				}
			}
			if err := CheckFields(tc.role, tc.coll, tc.allowed); err != nil {
				t.Errorf("CheckFields(allowed): %v", err)
			}
		})
	}
}

func TestComputedCollectionsHaveNoWriters(t *testing.T) {
	for _, c := range slices.Concat(ComputedCollections(), AccountCollections()) {
		for _, r := range Roles {
			if fs := WritableFields(r, c); !fs.IsEmpty() {
				t.Errorf("%s writes fields of %s: %+v", r, c, fs)
			}
		}
	}
}

func TestCheckFieldsNamesEachRefusedField(t *testing.T) {
	err := CheckFields(RoleTechnician, CollServiceForms, []string{"workDone", "reviewNote", "reviewedAt", "version"})
	if ErrorCode(err) != CodeForbidden {
		t.Fatalf("CheckFields: %v, want forbidden", err)
	}
	want := map[string]string{"reviewNote": FieldNotWritable, "reviewedAt": FieldComputed, "version": FieldComputed}
	if got := ErrorFields(err); !maps.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

func TestWriteAction(t *testing.T) {
	cases := []struct {
		name   string
		role   Role
		coll   string
		exists bool
		fields []string
		want   Action
	}{
		{"new record", RoleTechnician, CollServiceForms, false, []string{"workDone"}, ActionCreate},
		{"technician edit", RoleTechnician, CollServiceForms, true, []string{"workDone", "status"}, ActionUpdate},
		{"leader approves", RoleLeader, CollServiceForms, true, []string{"status", "reviewNote"}, ActionReview},
		{"leader touching data is an update (refused later)", RoleLeader, CollServiceForms, true, []string{"status", "workDone"}, ActionUpdate},
		{"purchasing decides", RolePurchasing, CollPurchaseRequests, true, []string{"purchasingDecision"}, ActionReview},
		{"gm writing the purchasing field is no review", RoleGM, CollPurchaseRequests, true, []string{"purchasingDecision"}, ActionUpdate},
		{"leader edits a work order", RoleLeader, CollWorkOrders, true, []string{"dueAt"}, ActionUpdate},
		{"empty change", RoleLeader, CollServiceForms, true, nil, ActionUpdate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := WriteAction(tc.role, tc.coll, tc.exists, tc.fields); got != tc.want {
				t.Errorf("WriteAction = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	order := map[string]any{"customerName": "张三", "customerPhone": "13800138000", "customerAddress": "郑州市", "fault": "no power"}
	cases := []struct {
		name   string
		p      Principal
		coll   string
		team   string
		hidden bool
	}{
		{"technician of the team sees customer details", techA, CollWorkOrders, teamA, false},
		{"leader of the team sees customer details", leadA, CollWorkOrders, teamA, false},
		{"leader of another team does not", leadB, CollWorkOrders, teamA, true},
		{"purchasing does not", buyer, CollWorkOrders, teamA, true},
		{"gm does not", gm, CollWorkOrders, teamA, true},
		{"hr does not", hr, CollWorkOrders, teamA, true},
		{"admin does not", admin, CollWorkOrders, teamA, true},
		{"collections without customer details are untouched", buyer, CollPurchaseRequests, teamA, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.p, tc.coll, tc.team, order)
			_, phone := got["customerPhone"]
			_, addr := got["customerAddress"]
			if phone == tc.hidden || addr == tc.hidden {
				t.Errorf("phone shown %v, address shown %v; hidden should be %v", phone, addr, tc.hidden)
			}
			if got["fault"] != "no power" || got["customerName"] != "张三" {
				t.Errorf("other fields lost: %v", got)
			}
		})
	}
	if _, ok := order["customerPhone"]; !ok {
		t.Fatal("Redact modified its input")
	}
}
