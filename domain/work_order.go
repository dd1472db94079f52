package domain

import (
	"fmt"
	"slices"
	"time"
)

// ServiceType is the kind of service a work order is for (服务类别, SPEC.md 1).
type ServiceType string

// The service types of the seed's 维护与保养作业程序.
const (
	ServicePaid     ServiceType = "paid"     // 有费服务: the customer pays a fee
	ServiceContract ServiceType = "contract" // 合同服务: under a maintenance contract
	ServiceWarranty ServiceType = "warranty" // 免费服务: free, within the warranty
	ServiceAdmin    ServiceType = "admin"    // 一般行政工作: internal work, no customer
)

// ServiceTypes lists every service type, in the order above.
var ServiceTypes = []ServiceType{ServicePaid, ServiceContract, ServiceWarranty, ServiceAdmin}

// WorkOrderStatus is where a work order stands; the zero value reads as WorkOrderOpen.
type WorkOrderStatus string

// The work order states. The leader moves them freely: a work order has no review.
const (
	WorkOrderOpen      WorkOrderStatus = "open"      // assigned or to assign, work to do
	WorkOrderDone      WorkOrderStatus = "done"      // the work is finished
	WorkOrderCancelled WorkOrderStatus = "cancelled" // withdrawn; no more forms refer to it
)

// WorkOrderStatuses lists every work order status, in the order above.
var WorkOrderStatuses = []WorkOrderStatus{WorkOrderOpen, WorkOrderDone, WorkOrderCancelled}

// WorkOrder is a 派工单 (SPEC.md 1): created by the leader from a repair call (叫修登记) and
// assigned to technicians. ID, Owner (the leader who created it) and Team come from the synced
// record. Assignees are user ids (UUIDs). DueAt and CallReceivedAt are instants (zero: not
// set). CustomerPhone and CustomerAddress are confidential (ConfidentialFields).
type WorkOrder struct {
	ID, Owner, Team  string
	CustomerName     string
	CustomerAddress  string
	CustomerPhone    string
	ProductModel     string
	FaultDescription string
	ServiceType      ServiceType
	Assignees        []string
	DueAt            time.Time
	CallReceivedAt   time.Time
	Status           WorkOrderStatus
	Note             string
}

// NewWorkOrder returns w, with an empty status read as open, once its invariants hold: a known
// service type; a customer name unless it is admin work; assignees are distinct user ids
// (UUIDs); a phone number of digits, spaces and "+-()" only. Errors: a *Error with code invalid
// whose Fields map JSON names ("assignees[1]") to FieldMessage texts.
func NewWorkOrder(w WorkOrder) (WorkOrder, error) {
	bad := fieldErrors{}
	if w.Status == "" {
		w.Status = WorkOrderOpen
	}
	if !slices.Contains(ServiceTypes, w.ServiceType) {
		bad.add("serviceType", "oneof", "必须是 paid、contract、warranty 或 admin",
			"must be one of paid, contract, warranty, admin")
	}
	if w.CustomerName == "" && w.ServiceType != ServiceAdmin {
		bad.add("customerName", "required", "必填", "required")
	}
	if w.CustomerPhone != "" && !IsPhone(w.CustomerPhone) {
		bad.add("customerPhone", "phone", "不是电话号码", "is not a phone number")
	}
	checkUserIDs(bad, "assignees", w.Assignees)
	if !slices.Contains(WorkOrderStatuses, w.Status) {
		bad.add("status", "oneof", "必须是 open、done 或 cancelled", "must be one of open, done, cancelled")
	}
	if err := bad.err("invalid work order"); err != nil {
		return WorkOrder{}, err
	}
	return w, nil
}

// AssignedTo reports whether the work order lists userID among its assignees (R18).
func (w WorkOrder) AssignedTo(userID string) bool {
	return userID != "" && slices.Contains(w.Assignees, userID)
}

// IsPhone reports whether s looks like a phone number: 3..32 characters of digits, spaces and
// "+-()", at least 3 of them digits (mobiles "13800138000", landlines "0371-6512 3456").
func IsPhone(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '+' || c == '-' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return digits >= 3
}

// checkUserIDs adds a message for the first entry of ids that is not a UUID or repeats one.
func checkUserIDs(bad fieldErrors, field string, ids []string) {
	for i, id := range ids {
		key := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !IsUUID(id):
			bad.add(key, "uuid", "不是用户 ID (UUID)", "is not a user id (UUID)")
			return
		case slices.Contains(ids[:i], id):
			bad.add(key, "unique", "重复", "is listed twice")
			return
		}
	}
}

// checkPhotos adds a message for the first entry of hashes that is not a photo address.
func checkPhotos(bad fieldErrors, field string, hashes []string) {
	for i, h := range hashes {
		if !IsSHA256Hex(h) {
			bad.add(fmt.Sprintf("%s[%d]", field, i), "sha256", "不是照片的 SHA-256 (64 位小写十六进制)",
				"is not a photo's SHA-256 (64 lowercase hex digits)")
			return
		}
	}
}

// checkPhoto adds a message when hash is set but is not a photo address.
func checkPhoto(bad fieldErrors, field, hash string) {
	if hash != "" && !IsSHA256Hex(hash) {
		bad.add(field, "sha256", "不是照片的 SHA-256 (64 位小写十六进制)",
			"is not a photo's SHA-256 (64 lowercase hex digits)")
	}
}

// checkRef adds a message when ref is set but cannot be a record id.
func checkRef(bad fieldErrors, field, ref string) {
	if ref != "" && !IsRecordID(ref) {
		bad.add(field, "recordid", "不是记录 ID", "is not a record id")
	}
}
