package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// leaderReview: 17:00, the leader pulls, decides every submitted form, transport and purchase it
// sees, notes duplicate receipts, now and then records an incident, pays small purchases from
// petty cash, and pushes it all.
func (sc *scenario) leaderReview(ctx context.Context, d time.Time) error {
	s, lp := sc.s, sc.s.leader.main()
	if err := sc.step(ctx, at(d, 17, 0)); err != nil {
		return err
	}
	if err := lp.sync(ctx); err != nil {
		return err
	}
	when := at(d, 17, 5)
	plans := map[string]bool{}
	var keys []recKey
	for k, r := range lp.local {
		if k.coll == domain.CollRevisitPlans && !r.deleted {
			if f, ok := r.server["serviceFormId"].(string); ok {
				plans[f] = true
			}
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		r := lp.local[k]
		if r.deleted {
			continue
		}
		switch k.coll {
		case domain.CollServiceForms:
			if r.server["status"] != "submitted" {
				continue
			}
			if r.server["outcome"] != "completed" && !plans[k.id] {
				if !sc.deliberate { // R17 refuses it: no revisit plan yet
					sc.deliberate = true
					lp.edit(when, k.coll, k.id, map[string]any{"status": "approved"}, "revisit_plan")
				}
				continue
			}
			if s.chance(0.12) {
				lp.edit(when, k.coll, k.id, map[string]any{"status": "rejected", "reviewNote": "现场照片不清楚，请补拍"}, "")
			} else {
				lp.edit(when, k.coll, k.id, map[string]any{"status": "approved"}, "")
			}
		case domain.CollTripLogs:
			mode, _ := r.server["transportMode"].(string)
			if r.server["submitted"] != true || r.server["transportApproved"] != nil || sc.undecided[k.id] ||
				!slices.Contains([]string{"taxi", "company_car", "private_car"}, mode) {
				continue
			}
			switch x := s.rng.IntN(100); {
			case x < 10:
				sc.undecided[k.id] = true // never decided: its costs stay held
			case x < 20:
				lp.edit(when, k.coll, k.id, map[string]any{"transportApproved": false, "reviewNote": "应乘公交"}, "")
			default:
				lp.edit(when, k.coll, k.id, map[string]any{"transportApproved": true}, "")
			}
		case domain.CollPurchaseRequests:
			if r.server["status"] != "pending_leader" {
				continue
			}
			if s.chance(0.1) {
				lp.edit(when, k.coll, k.id, map[string]any{"leaderDecision": "rejected", "leaderNote": "库存有货"}, "")
			} else {
				lp.edit(when, k.coll, k.id, map[string]any{"leaderDecision": "approved"}, "")
			}
		case domain.CollReceipts:
			if r.server["duplicateOf"] != nil && r.server["reviewNote"] == nil {
				lp.edit(when, k.coll, k.id, map[string]any{"reviewNote": "重复票据，不予报销"}, "")
			}
		}
	}
	// Incidents (R2, R3, R4): about one per technician a month.
	for _, t := range s.techs {
		if !s.chance(1.0 / 22) {
			continue
		}
		typ, points, note := "unreachable", -2, "下午超过12小时联系不上"
		switch x := s.rng.IntN(100); {
		case x < 35:
			typ, points, note = "commendation", 3, "客户来电表扬"
		case x < 50:
			typ, points, note = "left_post", -5, "服务期间擅离岗位"
		}
		lp.edit(when, domain.CollIncidents, s.newID(), map[string]any{"technicianId": t.user.ID, "type": typ,
			"date": d.Format(time.DateOnly), "points": points, "reason": note}, "")
	}
	if err := lp.sync(ctx); err != nil {
		return err
	}
	return sc.pettyCash(ctx, d)
}

// pettyCash: the leader pays the purchases below the threshold that became payable from the
// month's float (R15); on the period's last working day one payout beyond the balance must be
// refused.
func (sc *scenario) pettyCash(ctx context.Context, d time.Time) error {
	s, lp := sc.s, sc.s.leader.main()
	month := domain.MonthOf(domain.DateOf(d))
	var ids []string
	for k, r := range lp.local {
		if k.coll == domain.CollPurchaseRequests && r.server["status"] == "payable" && !sc.paidOut[k.id] {
			if total, _ := r.server["totalFen"].(float64); total > 0 && total < 50_000 {
				ids = append(ids, k.id)
			}
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := lp.local[recKey{domain.CollPurchaseRequests, id}]
		total, _ := r.server["totalFen"].(float64)
		e := payoutEvent{id: s.newID(), date: d.Format(time.DateOnly), amountFen: int64(total), payee: r.server["owner"].(string)}
		err := lp.api.call(ctx, http.MethodPost, "/v1/petty-cash/"+month.String()+"/payouts", map[string]any{"id": e.id,
			"date": e.date, "amountFen": e.amountFen, "payee": e.payee, "purpose": "配件垫付 " + id}, nil)
		if statusOf(err) == http.StatusConflict {
			s.ledger.refused = append(s.ledger.refused, e) // the float is spent
			sc.paidOut[id] = true
			continue
		}
		if err != nil {
			return fmt.Errorf("petty cash payout: %w", err)
		}
		sc.paidOut[id] = true
		s.ledger.payouts = append(s.ledger.payouts, e)
	}
	return nil
}

// overdraw: on the morning after the month, the leader tries a payout 1.00 CNY beyond the
// month's balance: the ledger must refuse it (R15, 409).
func (sc *scenario) overdraw(ctx context.Context, month domain.Month) error {
	s, lp := sc.s, sc.s.leader.main()
	var paid int64
	for _, e := range s.ledger.payouts {
		if e.date[:7] == month.String() {
			paid += e.amountFen
		}
	}
	p, err := s.policyAt(ctx, month.First())
	if err != nil {
		return err
	}
	e := payoutEvent{id: s.newID(), date: month.Last().String(), amountFen: p.PettyCashFloatFen - paid + 100, payee: s.techs[0].user.ID}
	err = lp.api.call(ctx, http.MethodPost, "/v1/petty-cash/"+month.String()+"/payouts", map[string]any{"id": e.id,
		"date": e.date, "amountFen": e.amountFen, "payee": e.payee, "purpose": "超出余额的垫付"}, nil)
	if statusOf(err) != http.StatusConflict {
		s.ledger.fail("petty cash", fmt.Sprintf("a payout 1.00 CNY beyond the balance answered %v, want 409", err), e.id)
	}
	s.ledger.refused = append(s.ledger.refused, e)
	return nil
}

// departments: 17:20, purchasing and the GM office decide the requests waiting for them (R14).
func (sc *scenario) departments(ctx context.Context, d time.Time) error {
	s := sc.s
	if err := sc.step(ctx, at(d, 17, 20)); err != nil {
		return err
	}
	for _, m := range []*member{s.purchasing, s.gm, s.purchasing} {
		p := m.main()
		if err := p.sync(ctx); err != nil {
			return err
		}
		var ids []string
		for k, r := range p.local {
			if k.coll == domain.CollPurchaseRequests && !r.deleted {
				ids = append(ids, k.id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			st := p.see(domain.CollPurchaseRequests, id, "status")
			switch {
			case m == s.purchasing && st == "pending_purchasing":
				p.edit(at(d, 17, 25), domain.CollPurchaseRequests, id, map[string]any{"purchasingDecision": "approved"}, "")
			case m == s.purchasing && st == "pending_signoff":
				p.edit(at(d, 17, 25), domain.CollPurchaseRequests, id, map[string]any{"purchasingSignedOff": true}, "")
			case m == s.gm && st == "pending_gm":
				if s.chance(0.15) {
					p.edit(at(d, 17, 25), domain.CollPurchaseRequests, id, map[string]any{"gmDecision": "rejected", "gmNote": "超预算"}, "")
				} else {
					p.edit(at(d, 17, 25), domain.CollPurchaseRequests, id, map[string]any{"gmDecision": "approved"}, "")
				}
			}
		}
		if err := p.sync(ctx); err != nil {
			return err
		}
	}
	return nil
}
