package main

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// destinations outside the home city (R11: a per diem per person and calendar day).
var destinations = []string{"洛阳市", "开封市", "新乡市", "许昌市", "平顶山市"}

// visit: technician t goes to work order wo (slot 0 in the morning, 1 in the afternoon) on a
// trip, fills the service form (with a revisit plan when the job is not done), photographs
// the signature, the site and the receipts, and now and then requests parts. All offline, on
// one of the technician's devices.
func (sc *scenario) visit(d time.Time, t *member, wo string, slot int) error {
	s := sc.s
	p := t.main()
	if len(t.phones) > 1 && s.chance(0.3) {
		p = t.phones[1]
	}
	start := at(d, 9+slot*4, 0)
	arrive, leave := start.Add(50*time.Minute), start.Add(150*time.Minute)
	sc.trip(p, t, wo, start, leave.Add(40*time.Minute))

	form := s.newID()
	p.edit(arrive, domain.CollServiceForms, form, map[string]any{"workOrderId": wo,
		"arrivedAt": arrive.Format(time.RFC3339), "status": "draft"}, "")
	outcome := "completed"
	switch x := s.rng.IntN(100); {
	case x < 12:
		outcome = "incomplete"
	case x < 20:
		outcome = "taken_back"
	}
	fields := map[string]any{"departedAt": leave.Format(time.RFC3339), "faultCause": "电容老化", "workDone": "更换启动电容，试机正常",
		"outcome": outcome, "signaturePhoto": sc.photo(p, leave).Hash, "satisfaction": 3 + s.rng.IntN(3), "status": "submitted"}
	var site []any
	for range s.rng.IntN(3) {
		site = append(site, sc.photo(p, arrive.Add(20*time.Minute)).Hash)
	}
	if len(site) > 0 {
		fields["photos"] = site
	}
	if outcome != "completed" {
		fields["workDone"] = "检查后需更换压缩机"
	}
	if outcome == "taken_back" {
		fields["takeBackReceiptNo"] = fmt.Sprintf("LQ-%06d", s.rng.IntN(1_000_000))
		fields["workDone"] = "产品带回维修"
	}
	p.edit(leave, domain.CollServiceForms, form, fields, "")
	if outcome != "completed" {
		if s.chance(0.25) {
			sc.planLater[form] = t // written the next morning
		} else {
			sc.revisitPlan(leave.Add(5*time.Minute), p, form, d)
		}
	}
	if s.chance(0.15) {
		sc.purchase(p, t, wo, leave.Add(10*time.Minute))
	}
	return nil
}

// revisitPlan: the plan for a form that is not completed (R17).
func (sc *scenario) revisitPlan(when time.Time, p *phone, form string, d time.Time) {
	p.edit(when, domain.CollRevisitPlans, sc.s.newID(), map[string]any{"serviceFormId": form,
		"plannedAt": at(d.AddDate(0, 0, 2), 10, 0).Format(time.RFC3339), "people": []any{p.owner.user.ID},
		"tools": []any{"压力表", "焊枪"}, "purchasePlan": []any{map[string]any{"name": "压缩机", "qty": 1, "estimatedFen": 68000}}}, "")
}

// trip logs the outing of a visit: created on departure, completed (submitted) on return, with
// its receipts. The mode decides the money (R11–R13).
func (sc *scenario) trip(p *phone, t *member, wo string, start, end time.Time) string {
	s := sc.s
	id := s.newID()
	mode, dest, outside := "bus", "郑州市", false
	switch x := s.rng.IntN(100); {
	case x < 30:
	case x < 48:
		mode = "taxi"
	case x < 63:
		mode = "company_car"
	case x < 68:
		mode = "private_car"
	case x < 78:
		mode, dest, outside = "high_speed_rail", destinations[s.rng.IntN(len(destinations))], true
		if s.chance(0.3) {
			end = end.AddDate(0, 0, 1) // stays overnight: two calendar days of per diem
		}
	case x < 84:
		mode, dest, outside = "coach", destinations[s.rng.IntN(len(destinations))], true
	default:
		mode = "coach"
	}
	fields := map[string]any{"workOrderIds": []any{wo}, "purpose": "上门维修", "origin": "郑州市", "destinationCity": dest,
		"outsideHomeCity": outside, "startAt": start.Format(time.RFC3339), "people": []any{t.user.ID},
		"transportMode": mode, "submitted": false}
	switch mode {
	case "company_car":
		fields["distanceKm"] = 10 + s.rng.IntN(60)
		fields["approvalRef"] = fmt.Sprintf("CAR-%04d", s.rng.IntN(10000))
	case "private_car":
		fields["distanceKm"] = 15 + s.rng.IntN(80)
		fields["noCompanyCarAvailable"] = true
	case "taxi":
		fields["approvalRef"] = fmt.Sprintf("TX-%04d", s.rng.IntN(10000))
	}
	p.edit(start, domain.CollTripLogs, id, fields, "")
	receipt := func(cat string, fen int) {
		ph := sc.photo(p, end)
		if cat == "taxi" && s.cutUpload == nil && ph.Size > 0 {
			big, err := s.photos.largest(end)
			if err == nil {
				p.photos[len(p.photos)-1] = big // the big receipt photo whose upload is cut off half-way
				ph, s.cutUpload = big, big
			}
		}
		sc.receipt(p, end, ph, cat, fen, id, "")
	}
	switch mode {
	case "bus", "coach":
		receipt("ticket", 200+100*s.rng.IntN(40))
	case "high_speed_rail":
		receipt("ticket", 4000+100*s.rng.IntN(100))
		receipt("ticket", 4000+100*s.rng.IntN(100))
	case "taxi":
		receipt("taxi", 1500+100*s.rng.IntN(60))
	case "company_car":
		receipt("fuel", 10000+100*s.rng.IntN(200))
		receipt("toll", 500+100*s.rng.IntN(50))
	}
	if outside && s.chance(0.3) {
		receipt("meal", 3000+100*s.rng.IntN(30)) // held: the per diem covers it
	}
	// A receipt photographed twice: the technician's other device claims the same image later.
	if !sc.dupDone && len(t.phones) > 1 && mode == "company_car" {
		sc.dupDone = true
		other := t.phones[0]
		if other == p {
			other = t.phones[1]
		}
		last := p.photos[len(p.photos)-1]
		other.photos = append(other.photos, last)
		sc.receipt(other, end.Add(3*time.Hour), last, "toll", 800, id, "")
	}
	p.edit(end, domain.CollTripLogs, id, map[string]any{"endAt": end.Format(time.RFC3339), "submitted": true}, "")
	return id
}

// receipt records a receipt of ph on a trip or a purchase request.
func (sc *scenario) receipt(p *phone, when time.Time, ph *photo, cat string, fen int, trip, purchase string) {
	fields := map[string]any{"photo": ph.Hash, "amountFen": fen, "date": when.In(domain.Shanghai).Format(time.DateOnly), "category": cat}
	if trip != "" {
		fields["tripLogId"] = trip
	} else {
		fields["purchaseRequestId"] = purchase
	}
	p.edit(when, domain.CollReceipts, sc.s.newID(), fields, "")
}

// purchase: parts below 500 CNY (the leader decides) or at/above it (the full chain, R14; the
// first one exactly 500.00), with the parts receipt.
func (sc *scenario) purchase(p *phone, t *member, wo string, when time.Time) {
	s := sc.s
	price := 3000 + 100*s.rng.IntN(400) // 30–430 CNY
	if s.chance(0.35) {
		price = 50_000 + 1000*s.rng.IntN(150)
		if sc.fullChain == 0 {
			price = 50_000 // exactly 500.00 CNY needs the full chain
		}
		sc.fullChain++
	}
	id := s.newID()
	p.edit(when, domain.CollPurchaseRequests, id, map[string]any{"workOrderId": wo, "reason": "更换损坏配件",
		"items": []any{map[string]any{"name": "压缩机配件", "qty": 1, "unitPriceFen": price}}, "submitted": true}, "")
	sc.receipt(p, when.Add(time.Hour), sc.photo(p, when), "parts", price, "", id)
}

// twoDeviceForm: technician t's two devices edit the same form. Device A creates it and syncs,
// device B pulls it; both change workDone offline (B also the satisfaction): A's edit is applied,
// B's workDone conflicts (its value kept in the form's conflict log) and its satisfaction is
// applied; A then adds a note from its old base (merged) and submits.
func (sc *scenario) twoDeviceForm(ctx context.Context, d time.Time, t *member) error {
	s := sc.s
	a, b := t.phones[0], t.phones[1]
	wo := sc.orders[t][0]
	form := s.newID()
	sc.trip(a, t, wo, at(d, 9, 0), at(d, 12, 0))
	a.edit(at(d, 9, 40), domain.CollServiceForms, form, map[string]any{"workOrderId": wo,
		"arrivedAt": at(d, 9, 40).Format(time.RFC3339), "status": "draft"}, "")
	for _, step := range []struct {
		when time.Time
		do   func()
		sync *phone
	}{
		{at(d, 10, 0), nil, a},
		{at(d, 10, 5), nil, b},
		{at(d, 10, 30), func() {
			a.edit(at(d, 10, 20), domain.CollServiceForms, form, map[string]any{"workDone": "更换电容", "faultCause": "电容老化"}, "")
			b.edit(at(d, 10, 25), domain.CollServiceForms, form, map[string]any{"workDone": "更换电容和风扇电机", "satisfaction": 5}, "")
		}, a},
		{at(d, 10, 35), nil, b},
		{at(d, 11, 30), func() {
			a.edit(at(d, 11, 0), domain.CollServiceForms, form, map[string]any{"note": "客户家中有老人，注意预约时间"}, "")
			ph := sc.photo(a, at(d, 11, 20))
			a.edit(at(d, 11, 20), domain.CollServiceForms, form, map[string]any{"departedAt": at(d, 11, 20).Format(time.RFC3339),
				"outcome": "completed", "signaturePhoto": ph.Hash, "status": "submitted"}, "")
		}, a},
	} {
		if step.do != nil {
			step.do()
		}
		if err := sc.step(ctx, step.when); err != nil {
			return err
		}
		if err := step.sync.sync(ctx); err != nil {
			return err
		}
	}
	sc.twoDevices, sc.twoDone = form, true
	for _, wo := range sc.orders[t][1:] {
		if err := sc.visit(d, t, wo, 1); err != nil {
			return err
		}
	}
	return nil
}
