package domain

import (
	"fmt"
	"slices"
)

// dataFields are the fields the authors write in each synced collection (SPEC.md "Records that
// sync"), by their JSON names. Review, shared and computed fields are declared in the field table
// (access_fields.go); a field that is in neither is unknown and refused. Money is integer fen,
// distances km, dates "YYYY-MM-DD" (Asia/Shanghai), instants RFC 3339, photos SHA-256 hex.
var dataFields = map[string][]string{
	CollWorkOrders: { // 派工单, created by the leader from a repair call
		"customerName", "customerAddress", "customerPhone", "productModel", "faultDescription",
		"serviceType", "assignees", "dueAt", "callReceivedAt", "status", "note",
	},
	CollServiceForms: { // 售后服务单
		"workOrderId", "arrivedAt", "departedAt", "faultCause", "workDone", "parts", "feeCollectedFen",
		"outcome", "takeBackReceiptNo", "signaturePhoto", "photos", "satisfaction", "extraWork",
		"extraWorkReason", "note",
	},
	CollRevisitPlans: { // 下次售后计划
		"serviceFormId", "plannedAt", "people", "tools", "purchasePlan", "note",
	},
	CollTripLogs: { // 出差(外出)登记表
		"workOrderIds", "purpose", "origin", "destinationCity", "outsideHomeCity", "startAt", "endAt",
		"people", "transportMode", "approvalRef", "distanceKm", "expenses", "noCompanyCarAvailable", "note",
	},
	CollReceipts: { // 票据
		"photo", "amountFen", "date", "category", "tripLogId", "purchaseRequestId", "note",
	},
	CollWeeklyReports: { // 周工作总结及下周计划
		"weekStart", "workCompleted", "pendingItems", "coordinationNeeded", "suggestions", "nextWeekPlan",
	},
	CollPurchaseRequests: { // 配件辅料采购申请
		"workOrderId", "items", "reason", "receiptIds", "photos", "submitted", "note",
	},
	CollIncidents: { // 考核事件, recorded by the leader
		"technicianId", "type", "date", "points", "note", "evidencePhotos", "reason",
	},
}

// KnownField reports whether field is a field of collection: a data, review or computed field.
// Server-stamped fields (ServerFields) are not known fields: clients never send them.
func KnownField(collection, field string) bool {
	if slices.Contains(dataFields[collection], field) {
		return true
	}
	rules := collectionFields[collection]
	for _, fs := range rules.review {
		if slices.Contains(fs, field) {
			return true
		}
	}
	return slices.Contains(rules.shared, field) || slices.Contains(rules.computed, field)
}

// CheckKnownFields returns nil when every one of fields is a field of collection, and otherwise
// a *Error with code invalid naming each unknown field ("unknown_field").
func CheckKnownFields(collection string, fields []string) error {
	bad := map[string]string{}
	for _, f := range fields {
		if !KnownField(collection, f) {
			bad[f] = "unknown_field"
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf("unknown fields for %s", collection), Fields: bad}
}
