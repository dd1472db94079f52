package schema

import (
	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// tripLogWire is a trip log (出差(外出)登记表) as records hold it. Fields tagged submit are
// required once the author submits it (submitted true); a trip is logged while it happens.
type tripLogWire struct {
	Complete bool `json:"-"`

	WorkOrderIDs          []string `json:"workOrderIds" validate:"max=50,dive,recordid"`
	Purpose               string   `json:"purpose" validate:"submit,max=1000"`
	Origin                string   `json:"origin" validate:"max=100"`
	DestinationCity       string   `json:"destinationCity" validate:"submit,max=100"`
	OutsideHomeCity       bool     `json:"outsideHomeCity"`
	StartAt               string   `json:"startAt" validate:"submit,omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	EndAt                 string   `json:"endAt" validate:"submit,omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	People                []string `json:"people" validate:"submit,max=50,dive,userid"`
	TransportMode         string   `json:"transportMode" validate:"submit,omitempty,oneof=bus coach train high_speed_rail taxi company_car private_car"`
	ApprovalRef           string   `json:"approvalRef" validate:"max=100"`
	DistanceKm            int64    `json:"distanceKm" validate:"min=0,max=100000"`
	NoCompanyCarAvailable bool     `json:"noCompanyCarAvailable"`
	Note                  string   `json:"note" validate:"max=2000"`
	Submitted             bool     `json:"submitted"`

	TransportApproved *bool  `json:"transportApproved"`
	ReviewNote        string `json:"reviewNote" validate:"max=2000"`
	SubmittedAt       string `json:"submittedAt"`
	ReviewedBy        string `json:"reviewedBy"`
	ReviewedAt        string `json:"reviewedAt"`
}

func (w *tripLogWire) prepare() { w.Complete = w.Submitted }

func (w tripLogWire) toDomain(rec *sync.Record) domain.TripLog {
	return domain.TripLog{ID: rec.ID, Owner: rec.Owner, Team: rec.Team, WorkOrderIDs: w.WorkOrderIDs,
		Purpose: w.Purpose, Origin: w.Origin, DestinationCity: w.DestinationCity, OutsideHomeCity: w.OutsideHomeCity,
		StartAt: instant(w.StartAt), EndAt: instant(w.EndAt), People: w.People, TransportMode: w.TransportMode,
		ApprovalRef: w.ApprovalRef, DistanceKm: w.DistanceKm, NoCompanyCarAvailable: w.NoCompanyCarAvailable,
		Note: w.Note, Submitted: w.Submitted, TransportApproved: w.TransportApproved, ReviewNote: w.ReviewNote,
		SubmittedAt: instant(w.SubmittedAt), ReviewedBy: w.ReviewedBy, ReviewedAt: instant(w.ReviewedAt)}
}

// TripLogOf returns the trip log rec holds; strict as for WorkOrderOf (domain.NewTripLog).
func TripLogOf(rec *sync.Record, strict bool) (domain.TripLog, error) {
	var w tripLogWire
	if !strict {
		decode(rec.Fields, &w)
		return w.toDomain(rec), nil
	}
	if bad := check(rec.Fields, &w); bad != nil {
		return domain.TripLog{}, domain.Invalid("invalid trip log", bad)
	}
	return domain.NewTripLog(w.toDomain(rec))
}

// receiptWire is a receipt (票据) as records hold it: complete from its first write.
type receiptWire struct {
	Photo             string `json:"photo" validate:"required,sha256"`
	AmountFen         *int64 `json:"amountFen" validate:"required,min=0,max=10000000000"`
	Date              string `json:"date" validate:"required,datetime=2006-01-02"`
	Category          string `json:"category" validate:"required,oneof=fuel toll ticket taxi parts meal other"`
	TripLogID         string `json:"tripLogId" validate:"omitempty,recordid"`
	PurchaseRequestID string `json:"purchaseRequestId" validate:"omitempty,recordid"`
	Note              string `json:"note" validate:"max=2000"`
	ReviewNote        string `json:"reviewNote" validate:"max=2000"`
	DuplicateOf       any    `json:"duplicateOf"` // computed: {"collection","id"} of the first claim (R16)
}

func (w receiptWire) toDomain(rec *sync.Record) domain.Receipt {
	var amount int64
	if w.AmountFen != nil {
		amount = *w.AmountFen
	}
	return domain.Receipt{ID: rec.ID, Owner: rec.Owner, Team: rec.Team, Photo: w.Photo, AmountFen: amount,
		Date: civil(w.Date), Category: domain.ReceiptCategory(w.Category), TripLogID: w.TripLogID,
		PurchaseRequestID: w.PurchaseRequestID, Note: w.Note, ReviewNote: w.ReviewNote, DuplicateOf: claimID(w.DuplicateOf),
		CreatedAt: rec.CreatedAt}
}

// claimID is the record id a duplicateOf value names: {"collection","id"}, or a bare id.
func claimID(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		id, _ := x["id"].(string)
		return id
	}
	return ""
}

// ReceiptOf returns the receipt rec holds; strict as for WorkOrderOf (domain.NewReceipt).
func ReceiptOf(rec *sync.Record, strict bool) (domain.Receipt, error) {
	var w receiptWire
	if !strict {
		decode(rec.Fields, &w)
		return w.toDomain(rec), nil
	}
	if bad := check(rec.Fields, &w); bad != nil {
		return domain.Receipt{}, domain.Invalid("invalid receipt", bad)
	}
	return domain.NewReceipt(w.toDomain(rec))
}

// itemWire is one line item of a purchase request; its unit price is required (0 is a price).
type itemWire struct {
	Name         string `json:"name" validate:"required,max=100"`
	Qty          int64  `json:"qty" validate:"min=1,max=100000"`
	UnitPriceFen *int64 `json:"unitPriceFen" validate:"required,min=0,max=10000000000"`
	Note         string `json:"note" validate:"max=500"`
}

// purchaseRequestWire is a purchase request (配件辅料采购申请) as records hold it. Fields tagged
// submit are required once the author submits it (submitted true).
type purchaseRequestWire struct {
	Complete bool `json:"-"`

	WorkOrderID string     `json:"workOrderId" validate:"omitempty,recordid"`
	Items       []itemWire `json:"items" validate:"submit,max=100,dive"`
	Reason      string     `json:"reason" validate:"submit,max=2000"`
	Photos      []string   `json:"photos" validate:"max=20,dive,sha256"`
	Submitted   bool       `json:"submitted"`
	Note        string     `json:"note" validate:"max=2000"`

	LeaderDecision      string `json:"leaderDecision" validate:"omitempty,oneof=approved rejected"`
	LeaderNote          string `json:"leaderNote" validate:"max=2000"`
	PurchasingDecision  string `json:"purchasingDecision" validate:"omitempty,oneof=approved rejected"`
	PurchasingNote      string `json:"purchasingNote" validate:"max=2000"`
	PurchasingSignedOff bool   `json:"purchasingSignedOff"`
	GMDecision          string `json:"gmDecision" validate:"omitempty,oneof=approved rejected"`
	GMNote              string `json:"gmNote" validate:"max=2000"`

	SubmittedAt  string `json:"submittedAt"`
	WaitingSince string `json:"waitingSince"`
}

func (w *purchaseRequestWire) prepare() { w.Complete = w.Submitted }

func (w purchaseRequestWire) toDomain(rec *sync.Record) domain.PurchaseRequest {
	var items []domain.PurchaseItem
	for _, it := range w.Items {
		var price int64
		if it.UnitPriceFen != nil {
			price = *it.UnitPriceFen
		}
		items = append(items, domain.PurchaseItem{Name: it.Name, Qty: it.Qty, UnitPriceFen: price, Note: it.Note})
	}
	return domain.PurchaseRequest{ID: rec.ID, Owner: rec.Owner, Team: rec.Team, WorkOrderID: w.WorkOrderID,
		Items: items, Reason: w.Reason, Photos: w.Photos, Submitted: w.Submitted, Note: w.Note,
		LeaderDecision: domain.Decision(w.LeaderDecision), LeaderNote: w.LeaderNote,
		PurchasingDecision: domain.Decision(w.PurchasingDecision), PurchasingNote: w.PurchasingNote,
		PurchasingSignedOff: w.PurchasingSignedOff, GMDecision: domain.Decision(w.GMDecision), GMNote: w.GMNote,
		SubmittedAt: instant(w.SubmittedAt), WaitingSince: instant(w.WaitingSince)}
}

// PurchaseRequestOf returns the purchase request rec holds; strict as for WorkOrderOf
// (domain.NewPurchaseRequest). Status and WaitingFor are not read: derive them with
// PurchaseRequest.Progress under the policy of its PolicyDate.
func PurchaseRequestOf(rec *sync.Record, strict bool) (domain.PurchaseRequest, error) {
	var w purchaseRequestWire
	if !strict {
		decode(rec.Fields, &w)
		return w.toDomain(rec), nil
	}
	if bad := check(rec.Fields, &w); bad != nil {
		return domain.PurchaseRequest{}, domain.Invalid("invalid purchase request", bad)
	}
	return domain.NewPurchaseRequest(w.toDomain(rec))
}
