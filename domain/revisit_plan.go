package domain

import (
	"fmt"
	"time"
)

// PlanItem is one part or material to buy before the next visit: Qty pieces, EstimatedFen each
// (0: not estimated).
type PlanItem struct {
	Name         string
	Qty          int64
	EstimatedFen int64
}

// RevisitPlan is a 下次售后计划 (SPEC.md 3): what the next visit needs when a service form's
// outcome is not completed (R17). It refers to its form (ServiceFormID). People are user ids
// (UUIDs). Tools and PurchasePlan distinguish "not filled in yet" (nil, JSON absent or null)
// from "none needed" (an empty list, JSON []), so that a plan can be complete without tools or
// purchases. ID, Owner and Team come from the synced record.
type RevisitPlan struct {
	ID, Owner, Team string
	ServiceFormID   string
	PlannedAt       time.Time
	People          []string
	Tools           []string
	PurchasePlan    []PlanItem
	Note            string
	ReviewNote      string
	ReviewedBy      string
	ReviewedAt      time.Time
}

// NewRevisitPlan returns p once its invariants hold: it refers to a service form (a record id);
// people are distinct user ids; tools are named; purchase items have a name, 1..MaxQty pieces
// and an estimate of 0..MaxFen fen. A plan may be saved incomplete: Complete says whether it
// satisfies R17. Errors: a *Error with code invalid whose Fields map JSON names
// ("purchasePlan[0].qty") to FieldMessage texts.
func NewRevisitPlan(p RevisitPlan) (RevisitPlan, error) {
	bad := fieldErrors{}
	if p.ServiceFormID == "" {
		bad.add("serviceFormId", "required", "必填", "required")
	}
	checkRef(bad, "serviceFormId", p.ServiceFormID)
	checkUserIDs(bad, "people", p.People)
	for i, t := range p.Tools {
		if t == "" {
			bad.add(fmt.Sprintf("tools[%d]", i), "required", "必填", "required")
		}
	}
	for i, it := range p.PurchasePlan {
		checkLine(bad, fmt.Sprintf("purchasePlan[%d]", i), it.Name, it.Qty, it.EstimatedFen, "estimatedFen")
	}
	if err := bad.err("invalid revisit plan"); err != nil {
		return RevisitPlan{}, err
	}
	return p, nil
}

// Missing returns the JSON names of what the plan still lacks for R17 (time, people, tools,
// purchase plan), in that order; empty when it is complete.
func (p RevisitPlan) Missing() []string {
	var out []string
	if p.PlannedAt.IsZero() {
		out = append(out, "plannedAt")
	}
	if len(p.People) == 0 {
		out = append(out, "people")
	}
	if p.Tools == nil {
		out = append(out, "tools")
	}
	if p.PurchasePlan == nil {
		out = append(out, "purchasePlan")
	}
	return out
}

// Complete reports whether the plan says when, who, with which tools and what to buy (R17;
// an explicitly empty tools or purchase list means none are needed).
func (p RevisitPlan) Complete() bool { return len(p.Missing()) == 0 }
