package domain

import (
	"fmt"
	"slices"
	"strings"
)

// dataFields are the fields the authors write in each synced collection (SPEC.md "Records that
// sync"), by their JSON names. Expenses are receipts: a receipt names the trip log or purchase
// request it belongs to (tripLogId, purchaseRequestId), and neither parent lists its receipts, so
// that one link can never disagree with another. Review, shared and computed fields are declared in the field table
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
		"people", "transportMode", "approvalRef", "distanceKm", "noCompanyCarAvailable", "submitted", "note",
	},
	CollReceipts: { // 票据
		"photo", "amountFen", "date", "category", "tripLogId", "purchaseRequestId", "note",
	},
	CollWeeklyReports: { // 周工作总结及下周计划
		"weekStart", "workCompleted", "pendingItems", "coordinationNeeded", "suggestions", "nextWeekPlan",
	},
	CollPurchaseRequests: { // 配件辅料采购申请
		"workOrderId", "items", "reason", "photos", "submitted", "note",
	},
	CollIncidents: { // 考核事件, recorded by the leader
		"technicianId", "type", "date", "points", "note", "evidencePhotos", "reason",
		"waived", "waivedReason", // the leader waives an incident with a reason (R1: no signal on site)
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

// FieldMessage returns one per-field validation message (an Error.Fields value) in the one format
// of fieldsync: "<code>: <中文> / <English>", e.g. "min: 必须大于等于 1 / must be at least 1". The
// code is stable (clients switch on it); the two texts are for people and may be reworded. Bare
// codes without texts ("unknown_field", "not_writable", "computed") are messages too.
func FieldMessage(code, zh, en string) string { return code + ": " + zh + " / " + en }

// FieldCode returns the stable code of a per-field message: the text before the first ": ", or
// the whole message when it is a bare code.
func FieldCode(msg string) string {
	code, _, _ := strings.Cut(msg, ": ")
	return code
}

// MaxRecordIDLen is the longest record id in bytes (the sync protocol's limit): a reference to
// another record (workOrderId, serviceFormId, tripLogId, ...) obeys the same rule as the id.
const MaxRecordIDLen = 64

// IsRecordID reports whether s can be the id of a synced record: 1..MaxRecordIDLen bytes of
// [A-Za-z0-9_-] (phones generate UUIDs; other client id schemes fit too).
func IsRecordID(s string) bool {
	if s == "" || len(s) > MaxRecordIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// fieldErrors collects per-field messages for one constructor and turns them into one error.
type fieldErrors map[string]string

// add records the first message for field (later ones for the same field are dropped: the first
// problem is the one to fix).
func (f fieldErrors) add(field, code, zh, en string) {
	if _, ok := f[field]; !ok {
		f[field] = FieldMessage(code, zh, en)
	}
}

// err returns nil when nothing was added, else a *Error with code invalid and the messages.
func (f fieldErrors) err(message string) error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(message, map[string]string(f))
}
