package schema

import (
	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// workOrderWire is a work order (派工单) as records hold it. A work order has no draft: it is
// valid from its first write.
type workOrderWire struct {
	CustomerName     string   `json:"customerName" validate:"required_unless=ServiceType admin,max=100"`
	CustomerAddress  string   `json:"customerAddress" validate:"max=200"`
	CustomerPhone    string   `json:"customerPhone" validate:"omitempty,phone"`
	ProductModel     string   `json:"productModel" validate:"max=100"`
	FaultDescription string   `json:"faultDescription" validate:"max=2000"`
	ServiceType      string   `json:"serviceType" validate:"required,oneof=paid contract warranty admin"`
	Assignees        []string `json:"assignees" validate:"max=20,dive,userid"`
	DueAt            string   `json:"dueAt" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	CallReceivedAt   string   `json:"callReceivedAt" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Status           string   `json:"status" validate:"omitempty,oneof=open done cancelled"`
	Note             string   `json:"note" validate:"max=2000"`
}

func (w workOrderWire) toDomain(rec *sync.Record) domain.WorkOrder {
	return domain.WorkOrder{ID: rec.ID, Owner: rec.Owner, Team: rec.Team,
		CustomerName: w.CustomerName, CustomerAddress: w.CustomerAddress, CustomerPhone: w.CustomerPhone,
		ProductModel: w.ProductModel, FaultDescription: w.FaultDescription,
		ServiceType: domain.ServiceType(w.ServiceType), Assignees: w.Assignees,
		DueAt: instant(w.DueAt), CallReceivedAt: instant(w.CallReceivedAt),
		Status: domain.WorkOrderStatus(w.Status), Note: w.Note}
}

// WorkOrderOf returns the work order rec holds. With strict, rec is validated first (wire tags,
// then domain.NewWorkOrder) and the error is a *domain.Error with code invalid naming each bad
// field; without, the fields are read as they are (a record stored earlier), errors ignored.
func WorkOrderOf(rec *sync.Record, strict bool) (domain.WorkOrder, error) {
	var w workOrderWire
	if !strict {
		decode(rec.Fields, &w)
		return w.toDomain(rec), nil
	}
	if bad := check(rec.Fields, &w); bad != nil {
		return domain.WorkOrder{}, domain.Invalid("invalid work order", bad)
	}
	return domain.NewWorkOrder(w.toDomain(rec))
}

// partWire is one part used on a visit.
type partWire struct {
	Name         string `json:"name" validate:"required,max=100"`
	Qty          int64  `json:"qty" validate:"min=1,max=100000"`
	UnitPriceFen int64  `json:"unitPriceFen" validate:"min=0,max=10000000000"`
}

// serviceFormWire is a service form (售后服务单) as records hold it. Fields tagged submit are
// required from submitted on (Complete); a draft may lack them.
type serviceFormWire struct {
	Complete bool `json:"-"`

	WorkOrderID       string     `json:"workOrderId" validate:"omitempty,recordid"`
	ArrivedAt         string     `json:"arrivedAt" validate:"submit,omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	DepartedAt        string     `json:"departedAt" validate:"submit,omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	FaultCause        string     `json:"faultCause" validate:"submit,max=2000"`
	WorkDone          string     `json:"workDone" validate:"submit,max=4000"`
	Parts             []partWire `json:"parts" validate:"max=100,dive"`
	FeeCollectedFen   int64      `json:"feeCollectedFen" validate:"min=0,max=10000000000"`
	Outcome           string     `json:"outcome" validate:"submit,omitempty,oneof=completed incomplete taken_back"`
	TakeBackReceiptNo string     `json:"takeBackReceiptNo" validate:"max=64"`
	SignaturePhoto    string     `json:"signaturePhoto" validate:"submit,omitempty,sha256"`
	Photos            []string   `json:"photos" validate:"max=50,dive,sha256"`
	Satisfaction      int        `json:"satisfaction" validate:"omitempty,min=1,max=5"`
	ExtraWork         bool       `json:"extraWork"`
	ExtraWorkReason   string     `json:"extraWorkReason" validate:"max=1000"`
	Note              string     `json:"note" validate:"max=2000"`

	Status            string `json:"status" validate:"omitempty,oneof=draft submitted approved rejected"`
	ReviewNote        string `json:"reviewNote" validate:"max=2000"`
	ExtraWorkApproved bool   `json:"extraWorkApproved"`
	SubmittedAt       string `json:"submittedAt"`
	ReviewedBy        string `json:"reviewedBy"`
	ReviewedAt        string `json:"reviewedAt"`
}

func (w *serviceFormWire) prepare() { w.Complete = domain.FormStatus(w.Status).Complete() }

func (w serviceFormWire) toDomain(rec *sync.Record) domain.ServiceForm {
	parts := make([]domain.Part, len(w.Parts))
	for i, p := range w.Parts {
		parts[i] = domain.Part{Name: p.Name, Qty: p.Qty, UnitPriceFen: p.UnitPriceFen}
	}
	if w.Parts == nil {
		parts = nil
	}
	return domain.ServiceForm{ID: rec.ID, Owner: rec.Owner, Team: rec.Team,
		WorkOrderID: w.WorkOrderID, ArrivedAt: instant(w.ArrivedAt), DepartedAt: instant(w.DepartedAt),
		FaultCause: w.FaultCause, WorkDone: w.WorkDone, Parts: parts, FeeCollectedFen: w.FeeCollectedFen,
		Outcome: domain.Outcome(w.Outcome), TakeBackReceiptNo: w.TakeBackReceiptNo, SignaturePhoto: w.SignaturePhoto,
		Photos: w.Photos, Satisfaction: w.Satisfaction, ExtraWork: w.ExtraWork, ExtraWorkReason: w.ExtraWorkReason,
		Note: w.Note, Status: domain.FormStatus(w.Status), ReviewNote: w.ReviewNote,
		ExtraWorkApproved: w.ExtraWorkApproved, SubmittedAt: instant(w.SubmittedAt), ReviewedBy: w.ReviewedBy,
		ReviewedAt: instant(w.ReviewedAt)}
}

// ServiceFormOf returns the service form rec holds; strict as for WorkOrderOf
// (domain.NewServiceForm).
func ServiceFormOf(rec *sync.Record, strict bool) (domain.ServiceForm, error) {
	var w serviceFormWire
	if !strict {
		decode(rec.Fields, &w)
		return w.toDomain(rec), nil
	}
	if bad := check(rec.Fields, &w); bad != nil {
		return domain.ServiceForm{}, domain.Invalid("invalid service form", bad)
	}
	return domain.NewServiceForm(w.toDomain(rec))
}

// planItemWire is one thing to buy for the next visit.
type planItemWire struct {
	Name         string `json:"name" validate:"required,max=100"`
	Qty          int64  `json:"qty" validate:"min=1,max=100000"`
	EstimatedFen int64  `json:"estimatedFen" validate:"min=0,max=10000000000"`
}

// revisitPlanWire is a revisit plan (下次售后计划) as records hold it. It may be saved
// incomplete; R17 asks for a complete one when its form is approved.
type revisitPlanWire struct {
	ServiceFormID string         `json:"serviceFormId" validate:"required,recordid"`
	PlannedAt     string         `json:"plannedAt" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	People        []string       `json:"people" validate:"max=20,dive,userid"`
	Tools         []string       `json:"tools" validate:"max=50,dive,required,max=100"`
	PurchasePlan  []planItemWire `json:"purchasePlan" validate:"max=100,dive"`
	Note          string         `json:"note" validate:"max=2000"`
	ReviewNote    string         `json:"reviewNote" validate:"max=2000"`
	ReviewedBy    string         `json:"reviewedBy"`
	ReviewedAt    string         `json:"reviewedAt"`
}

func (w revisitPlanWire) toDomain(rec *sync.Record) domain.RevisitPlan {
	var plan []domain.PlanItem
	if w.PurchasePlan != nil {
		plan = make([]domain.PlanItem, len(w.PurchasePlan))
		for i, it := range w.PurchasePlan {
			plan[i] = domain.PlanItem{Name: it.Name, Qty: it.Qty, EstimatedFen: it.EstimatedFen}
		}
	}
	return domain.RevisitPlan{ID: rec.ID, Owner: rec.Owner, Team: rec.Team, ServiceFormID: w.ServiceFormID,
		PlannedAt: instant(w.PlannedAt), People: w.People, Tools: w.Tools, PurchasePlan: plan, Note: w.Note,
		ReviewNote: w.ReviewNote, ReviewedBy: w.ReviewedBy, ReviewedAt: instant(w.ReviewedAt)}
}

// RevisitPlanOf returns the revisit plan rec holds; strict as for WorkOrderOf
// (domain.NewRevisitPlan).
func RevisitPlanOf(rec *sync.Record, strict bool) (domain.RevisitPlan, error) {
	var w revisitPlanWire
	if !strict {
		decode(rec.Fields, &w)
		return w.toDomain(rec), nil
	}
	if bad := check(rec.Fields, &w); bad != nil {
		return domain.RevisitPlan{}, domain.Invalid("invalid revisit plan", bad)
	}
	return domain.NewRevisitPlan(w.toDomain(rec))
}
