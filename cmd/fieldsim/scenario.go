package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// scenario is what happens to the team day by day (SPEC.md): the leader dispatches work orders
// every morning, technicians visit, travel, buy parts and sync when they have signal, the leader
// and the departments review in the afternoon, weekly reports fall due on Saturday. The special
// days (a phone offline for three days, two devices editing one form, a receipt photographed
// twice, an upload cut off half-way, an approval the rules refuse) happen once each.
type scenario struct {
	s           *sim
	orders      map[*member][]string // today's work orders per technician
	undecided   map[string]bool      // trips the leader never decides (their costs stay held)
	paidOut     map[string]bool      // purchase requests paid from petty cash
	planLater   map[string]*member   // incomplete forms whose revisit plan comes the next day
	offline     map[*phone][2]time.Time
	reports     map[string]string // technician/week → "ontime" | "late" | "missing"
	twoDevices  string            // the form two devices edit
	dupDone     bool
	twoDone     bool
	deliberate  bool
	fullChain   int
	lateWriters []*member // technicians writing Saturday evening
}

func newScenario(s *sim) *scenario {
	sc := &scenario{s: s, orders: map[*member][]string{}, undecided: map[string]bool{}, paidOut: map[string]bool{},
		planLater: map[string]*member{}, offline: map[*phone][2]time.Time{}, reports: map[string]string{}}
	// A phone offline for three days: the second technician's, Thursday to Saturday of the
	// first full week, so that its Friday report reaches the server only on Sunday (late, R1).
	if len(s.techs) > 1 {
		d := s.start
		for d.Weekday() != time.Thursday {
			d = d.AddDate(0, 0, 1)
		}
		sc.offline[s.techs[1].main()] = [2]time.Time{d, d.AddDate(0, 0, 3)}
	}
	return sc
}

// step moves the simulation (and the server's clock) to t.
func (sc *scenario) step(ctx context.Context, t time.Time) error {
	sc.s.ledger.now = t
	return sc.s.setClock(ctx, t)
}

// syncAll syncs the given devices in order.
func (sc *scenario) syncAll(ctx context.Context, phones ...*phone) error {
	for _, p := range phones {
		if err := p.sync(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (sc *scenario) techPhones() []*phone {
	var out []*phone
	for _, t := range sc.s.techs {
		out = append(out, t.phones...)
	}
	return out
}

// day runs one simulated day d (midnight, Asia/Shanghai).
func (sc *scenario) day(ctx context.Context, d time.Time) error {
	for p, w := range sc.offline {
		p.offline = !d.Before(w[0]) && d.Before(w[1])
	}
	switch d.Weekday() {
	case time.Saturday:
		return sc.saturday(ctx, d)
	case time.Sunday:
		if err := sc.step(ctx, at(d, 10, 0)); err != nil {
			return err
		}
		return sc.syncAll(ctx, sc.techPhones()...) // phones back in signal
	}
	s := sc.s
	// 08:00 the leader dispatches today's work orders.
	if err := sc.step(ctx, at(d, 8, 0)); err != nil {
		return err
	}
	for _, t := range s.techs {
		sc.orders[t] = nil
		for range 1 + s.rng.IntN(2) {
			sc.orders[t] = append(sc.orders[t], sc.workOrder(d, t))
		}
	}
	if err := s.leader.main().sync(ctx); err != nil {
		return err
	}
	// 08:20 a stale second device edits a form the leader approved meanwhile (a locked record).
	if sc.twoDevices != "" && len(s.techs[0].phones) > 1 {
		b := s.techs[0].phones[1]
		if b.see(domain.CollServiceForms, sc.twoDevices, "status") != "approved" && s.leader.main().see(domain.CollServiceForms, sc.twoDevices, "status") == "approved" {
			b.edit(at(d, 8, 20), domain.CollServiceForms, sc.twoDevices, map[string]any{"note": "客户要求下周回访"}, "")
			sc.twoDevices = ""
		}
	}
	// 08:30 technicians sync and fix what the leader sent back.
	if err := sc.step(ctx, at(d, 8, 30)); err != nil {
		return err
	}
	if err := sc.syncAll(ctx, sc.techPhones()...); err != nil {
		return err
	}
	for _, t := range s.techs {
		sc.fixRejected(d, t)
		for id, owner := range sc.planLater {
			if owner == t {
				sc.revisitPlan(at(d, 8, 40), t.main(), id, d)
				delete(sc.planLater, id)
			}
		}
	}
	// The day's visits, offline.
	for i, t := range s.techs {
		if i == 0 && len(t.phones) > 1 && d.Sub(s.start) >= 24*time.Hour && !sc.twoDone && len(sc.orders[t]) > 0 {
			if err := sc.twoDeviceForm(ctx, d, t); err != nil {
				return err
			}
			continue
		}
		for slot, wo := range sc.orders[t] {
			if err := sc.visit(d, t, wo, slot); err != nil {
				return err
			}
		}
	}
	// 12:30 some technicians find signal at lunch.
	if err := sc.step(ctx, at(d, 12, 30)); err != nil {
		return err
	}
	for _, p := range sc.techPhones() {
		if s.chance(0.5) {
			if err := p.sync(ctx); err != nil {
				return err
			}
		}
	}
	// Friday 17:00: the week's reports written on time.
	if d.Weekday() == time.Friday {
		sc.weeklyReports(d)
	}
	// 17:00 the leader reviews; 17:20 purchasing and the GM office.
	if err := sc.leaderReview(ctx, d); err != nil {
		return err
	}
	if err := sc.departments(ctx, d); err != nil {
		return err
	}
	// 18:30 everybody syncs on the way home.
	if err := sc.step(ctx, at(d, 18, 30)); err != nil {
		return err
	}
	return sc.syncAll(ctx, sc.techPhones()...)
}

// saturday: reports not sent yet go at 10:00 (on time); late writers write at 19:00 and sync at
// 20:00, after the 17:30 deadline (R1).
func (sc *scenario) saturday(ctx context.Context, d time.Time) error {
	if err := sc.step(ctx, at(d, 10, 0)); err != nil {
		return err
	}
	if err := sc.syncAll(ctx, sc.techPhones()...); err != nil {
		return err
	}
	for _, t := range sc.lateWriters {
		sc.writeReport(at(d, 19, 0), t, d.AddDate(0, 0, -5))
	}
	sc.lateWriters = nil
	if err := sc.step(ctx, at(d, 20, 0)); err != nil {
		return err
	}
	return sc.syncAll(ctx, sc.techPhones()...)
}

// workOrder: the leader creates one work order for technician t.
func (sc *scenario) workOrder(d time.Time, t *member) string {
	s := sc.s
	id := s.newID()
	types := []string{"warranty", "paid", "contract", "warranty"}
	products := []string{"KFR-35GW 空调", "BCD-450 冰箱", "XQG100 洗衣机", "JSQ25 热水器", "CXW-200 油烟机"}
	faults := []string{"不制冷", "漏水", "不启动", "噪音大", "显示故障码 E4"}
	streets := []string{"金水路", "花园路", "中原路", "建设路", "农业路", "文化路"}
	s.leader.main().edit(at(d, 8, 0), domain.CollWorkOrders, id, map[string]any{
		"customerName": fmt.Sprintf("客户%03d", s.rng.IntN(1000)), "customerPhone": fmt.Sprintf("138%08d", s.rng.IntN(100000000)),
		"customerAddress": fmt.Sprintf("郑州市%s%d号", streets[s.rng.IntN(len(streets))], 1+s.rng.IntN(300)),
		"productModel":    products[s.rng.IntN(len(products))], "faultDescription": faults[s.rng.IntN(len(faults))],
		"serviceType": types[s.rng.IntN(len(types))], "assignees": []any{t.user.ID},
		"dueAt": at(d, 18, 0).Format(time.RFC3339)}, "")
	return id
}

// weeklyReports: Friday 17:00, each technician writes the week's report on time, later
// (Saturday evening: late), or not at all, as the seed decides.
func (sc *scenario) weeklyReports(d time.Time) {
	monday := d.AddDate(0, 0, -4)
	for _, t := range sc.s.techs {
		kind := "ontime"
		switch r := sc.s.rng.IntN(100); {
		case r < 10:
			kind = "late"
		case r < 17:
			kind = "missing"
		}
		sc.reports[t.user.ID+"/"+monday.Format(time.DateOnly)] = kind
		switch kind {
		case "ontime":
			sc.writeReport(at(d, 17, 0), t, monday)
		case "late":
			sc.lateWriters = append(sc.lateWriters, t)
		}
	}
}

func (sc *scenario) writeReport(when time.Time, t *member, monday time.Time) {
	id := sc.s.newID()
	mid := t.main().edit(when, domain.CollWeeklyReports, id, map[string]any{"weekStart": monday.Format(time.DateOnly),
		"workCompleted": fmt.Sprintf("本周完成 %d 单", 3+sc.s.rng.IntN(8)), "pendingItems": "等配件",
		"coordinationNeeded": "无", "suggestions": "备件库存", "nextWeekPlan": "回访上周未完成的客户"}, "")
	sc.s.ledger.reportSent[mid] = &reportEvent{tech: t, week: monday}
	sc.s.ledger.reports = append(sc.s.ledger.reports, sc.s.ledger.reportSent[mid])
}

// fixRejected: the author edits each form the leader sent back and submits it again.
func (sc *scenario) fixRejected(d time.Time, t *member) {
	p := t.main()
	var ids []string
	for k, r := range p.local {
		if k.coll == domain.CollServiceForms && r.server["status"] == "rejected" && r.server["owner"] == t.user.ID {
			ids = append(ids, k.id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		done, _ := p.see(domain.CollServiceForms, id, "workDone").(string)
		p.edit(at(d, 8, 45), domain.CollServiceForms, id, map[string]any{"workDone": done + "（已补拍照片）",
			"photos": []any{sc.photo(p, at(d, 8, 44)).Hash}, "status": "submitted"}, "")
	}
}

// photo: device p takes a picture.
func (sc *scenario) photo(p *phone, when time.Time) *photo {
	ph, err := sc.s.photos.newPhoto(when)
	if err != nil {
		panic(err) // encoding a JPEG in memory cannot fail but for a bug
	}
	p.photos = append(p.photos, ph)
	return ph
}

// finish: the first morning after the period, every phone is back in signal and syncs, the leader
// closes every month that has ended (R5), and every device pulls the closed assessments.
func (sc *scenario) finish(ctx context.Context) error {
	s := sc.s
	if err := sc.step(ctx, at(s.end, 9, 0)); err != nil {
		return err
	}
	for p := range sc.offline {
		p.offline = false
	}
	all := sc.techPhones()
	if err := sc.syncAll(ctx, all...); err != nil {
		return err
	}
	if err := sc.syncAll(ctx, s.leader.main(), s.purchasing.main(), s.gm.main()); err != nil {
		return err
	}
	for m := domain.MonthOf(domain.DateOf(s.start)); m.Last().Before(domain.DateOf(s.end)); m = m.Next() {
		if err := sc.overdraw(ctx, m); err != nil {
			return err
		}
		err := s.leader.main().api.call(ctx, http.MethodPost, "/v1/months/"+m.String()+"/close", nil, nil)
		if err != nil {
			return fmt.Errorf("close %s: %w", m, err)
		}
		s.closed = append(s.closed, m)
	}
	// Pull the computed results (the rules worker runs on the nudge of the clock and the close).
	if err := sc.step(ctx, at(s.end, 9, 30)); err != nil {
		return err
	}
	everyone := append(all, s.leader.main(), s.purchasing.main(), s.gm.main())
	if err := sc.syncAll(ctx, everyone...); err != nil {
		return err
	}
	// A pass the clock's nudge started may still be writing: wait until a pull stays empty for
	// the settle time, then pull once more everywhere.
	quiet := time.Now()
	for time.Since(quiet) < s.cfg.Settle {
		n := s.leader.stats.Pulled
		time.Sleep(200 * time.Millisecond)
		if err := s.leader.main().pullAll(ctx); err != nil {
			return err
		}
		if s.leader.stats.Pulled != n {
			quiet = time.Now()
		}
	}
	return sc.syncAll(ctx, everyone...)
}
