package domain

import (
	"errors"
	"maps"
	"testing"
	"time"
)

// rulePolicy returns the default policy changed by change, with version 0 ("the next one") and
// effective from the first day of month.
func rulePolicy(t *testing.T, effective Month, change func(p *Policy)) Policy {
	t.Helper()
	p := clonePolicy(DefaultPolicy())
	p.Version, p.EffectiveFrom = 0, effective.First()
	if change != nil {
		change(&p)
	}
	return p
}

// ruleHistory returns a history of the default policy (version 1, from 2026-01-01) followed by
// the later versions, built with rulePolicy.
func ruleHistory(t *testing.T, later ...Policy) PolicyHistory {
	t.Helper()
	h, err := NewPolicyHistory([]Policy{DefaultPolicy()})
	if err != nil {
		t.Fatalf("add the default policy: %v", err)
	}
	for _, p := range later {
		if h, err = h.Add(p); err != nil {
			t.Fatalf("add a version from %s: %v %v", p.EffectiveFrom, err, ErrorFields(err))
		}
	}
	return h
}

func TestPolicyValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(p *Policy)
		fields map[string]string
	}{
		{"the seed's policy", func(*Policy) {}, nil},
		{"version 0", func(p *Policy) { p.Version = 0 }, map[string]string{"version": "min=1"}},
		{"no effective date", func(p *Policy) { p.EffectiveFrom = Date{} }, map[string]string{"effectiveFrom": "required"}},
		{"effective mid-month", func(p *Policy) { p.EffectiveFrom.Day = 15 }, map[string]string{"effectiveFrom": "first_of_month"}},
		{"effective on no real day", func(p *Policy) { p.EffectiveFrom.Month = 13 }, map[string]string{"effectiveFrom": "date"}},
		{"base score 0", func(p *Policy) { p.BaseScore = 0 }, map[string]string{"baseScore": "min=1"}},
		{"downgrade run 0", func(p *Policy) { p.DowngradeRun = 0 }, map[string]string{"downgradeRun": "min=1"}},
		{"purchase threshold 0", func(p *Policy) { p.PurchaseThresholdFen = 0 }, map[string]string{"purchaseThresholdFen": "min=1"}},
		{"tombstone retention 0", func(p *Policy) { p.TombstoneRetentionDays = 0 }, map[string]string{"tombstoneRetentionDays": "min=1"}},
		{"negative per diem", func(p *Policy) { p.PerDiemFen = -1 }, map[string]string{"perDiemFen": "min=0"}},
		{"reduced above full bonus", func(p *Policy) { p.BonusReduced = 3 }, map[string]string{"bonusReduced": "ltefield=bonusMultiplier"}},
		{"deadline 17.30", func(p *Policy) { p.WeeklyReportDeadline = "17.30" }, map[string]string{"weeklyReportDeadline": "hh:mm"}},
		{"deadline 24:00", func(p *Policy) { p.WeeklyReportDeadline = "24:00" }, map[string]string{"weeklyReportDeadline": "hh:mm"}},
		{"workday ends before it starts", func(p *Policy) { p.WorkdayEnd = "08:00" }, map[string]string{"workdayStart": "ltfield=workdayEnd"}},
		{"weekday 7", func(p *Policy) { p.WeeklyReportWeekday = 7 }, map[string]string{"weeklyReportWeekday": "max=6"}},
		{"close day 29", func(p *Policy) { p.MonthCloseDay = 29 }, map[string]string{"monthCloseDay": "max=28"}},
		{"close day 0", func(p *Policy) { p.MonthCloseDay = 0 }, map[string]string{"monthCloseDay": "min=1"}},
		{"deduction with positive points", func(p *Policy) { p.IncidentTypes[IncidentLeftPost] = IncidentType{Points: 5, Label: "x"} },
			map[string]string{"incidentTypes.left_post.points": "max=-1"}},
		{"R1 type missing", func(p *Policy) { delete(p.IncidentTypes, IncidentMissedWeeklyReport) },
			map[string]string{"incidentTypes.missed_weekly_report": "required"}},
		{"commendation with fixed points", func(p *Policy) { p.IncidentTypes[IncidentCommendation] = IncidentType{Points: 1, Label: "x"} },
			map[string]string{"incidentTypes.commendation.leaderPoints": "required"}},
		{"major loss not flagged", func(p *Policy) { p.IncidentTypes[IncidentMajorLoss] = IncidentType{Points: -10, Label: "x"} },
			map[string]string{"incidentTypes.major_loss.majorLoss": "required"}},
		{"extra type worth nothing", func(p *Policy) { p.IncidentTypes["late"] = IncidentType{Label: "迟到"} },
			map[string]string{"incidentTypes.late.points": "ne=0"}},
		{"extra type without label", func(p *Policy) { p.IncidentTypes["late"] = IncidentType{Points: -1} },
			map[string]string{"incidentTypes.late.label": "required"}},
		{"extra type with a bad name", func(p *Policy) { p.IncidentTypes["Late!"] = IncidentType{Points: -1, Label: "x"} },
			map[string]string{"incidentTypes.Late!": "name"}},
		{"band min above max", func(p *Policy) { p.PayBands[GradeC] = PayBand{MinFen: 400_000, MaxFen: 300_000} },
			map[string]string{"payBands.C.maxFen": "gtefield=minFen"}},
		{"bands overlap", func(p *Policy) { p.PayBands[GradeB] = PayBand{MinFen: 390_000, MaxFen: 510_000} },
			map[string]string{"payBands.A.minFen": "gtefield=payBands.B.maxFen", "payBands.B.minFen": "gtefield=payBands.C.maxFen"}},
		{"bands inverted", func(p *Policy) {
			p.PayBands[GradeA], p.PayBands[GradeC] = p.PayBands[GradeC], p.PayBands[GradeA]
		}, map[string]string{"payBands.A.minFen": "gtefield=payBands.B.maxFen", "payBands.B.minFen": "gtefield=payBands.C.maxFen"}},
		{"band D", func(p *Policy) { p.PayBands["D"] = PayBand{MinFen: 1, MaxFen: 2} }, map[string]string{"payBands.D": "oneof=A B C"}},
		{"band B missing", func(p *Policy) { delete(p.PayBands, GradeB) }, map[string]string{"payBands.B": "required"}},
		{"no home city", func(p *Policy) { p.HomeCity = " " }, map[string]string{"homeCity": "required"}},
		{"unknown transport", func(p *Policy) { p.ApprovalTransport = append(p.ApprovalTransport, "scooter") },
			map[string]string{"approvalTransport": "unknown:scooter"}},
		{"taxi in both lists", func(p *Policy) { p.DefaultTransport = append(p.DefaultTransport, TransportTaxi) },
			map[string]string{"approvalTransport": "duplicate:taxi"}},
		{"taxi in neither list", func(p *Policy) { p.ApprovalTransport = p.ApprovalTransport[1:] },
			map[string]string{"defaultTransport": "missing:taxi"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := clonePolicy(DefaultPolicy())
			tc.change(&p)
			err := p.Validate()
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("Validate: %v %v", err, ErrorFields(err))
				}
				return
			}
			if ErrorCode(err) != CodeInvalid || !maps.Equal(ErrorFields(err), tc.fields) {
				t.Fatalf("Validate: %v fields %v, want %v", err, ErrorFields(err), tc.fields)
			}
		})
	}
}

func TestPolicyHistoryAdd(t *testing.T) {
	h := ruleHistory(t)
	if len(h) != 1 || h[0].Version != 1 {
		t.Fatalf("first version: %+v", h)
	}
	cases := []struct {
		name    string
		version int
		from    Date
		code    Code
		fields  map[string]string
	}{
		{"next version assigned", 0, Date{2026, time.July, 1}, "", nil},
		{"next version given", 2, Date{2026, time.July, 1}, "", nil},
		{"stale version", 1, Date{2026, time.July, 1}, CodeConflict, nil},
		{"version skipped", 3, Date{2026, time.July, 1}, CodeConflict, nil},
		{"same effective date", 0, Date{2026, time.January, 1}, CodeInvalid, map[string]string{"effectiveFrom": "gtfield=2026-01-01"}},
		{"back-dated", 0, Date{2025, time.December, 1}, CodeInvalid, map[string]string{"effectiveFrom": "gtfield=2026-01-01"}},
		{"mid-month", 0, Date{2026, time.July, 15}, CodeInvalid, map[string]string{"effectiveFrom": "first_of_month"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := rulePolicy(t, Month{}, func(p *Policy) { p.BaseScore = 120 })
			p.Version, p.EffectiveFrom = tc.version, tc.from
			got, err := h.Add(p)
			if ErrorCode(err) != tc.code || (tc.fields != nil && !maps.Equal(ErrorFields(err), tc.fields)) {
				t.Fatalf("Add: %v %v, want code %q fields %v", err, ErrorFields(err), tc.code, tc.fields)
			}
			if len(h) != 1 {
				t.Fatalf("Add changed its receiver: %d versions", len(h))
			}
			if err == nil && (len(got) != 2 || got[1].Version != 2 || got[1].BaseScore != 120) {
				t.Fatalf("Add: %+v", got)
			}
		})
	}
	t.Run("stored version is a copy", func(t *testing.T) {
		p := rulePolicy(t, Month{2026, time.March}, nil)
		got, err := h.Add(p)
		if err != nil {
			t.Fatal(err)
		}
		p.IncidentTypes[IncidentLeftPost] = IncidentType{Points: -50}
		p.DefaultTransport[0] = "scooter"
		if got[1].IncidentTypes[IncidentLeftPost].Points != -5 || got[1].DefaultTransport[0] != TransportBus {
			t.Fatalf("the caller's maps changed the stored version: %+v", got[1])
		}
	})
}

func TestPolicyHistoryAt(t *testing.T) {
	h := ruleHistory(t, rulePolicy(t, Month{2026, time.July}, func(p *Policy) { p.BonusThreshold = 85 }))
	cases := []struct {
		name    string
		day     Date
		version int // 0: not found
	}{
		{"before the first version", Date{2025, time.December, 31}, 0},
		{"the first version's first day", Date{2026, time.January, 1}, 1},
		{"the day before the second", Date{2026, time.June, 30}, 1},
		{"the second version's first day", Date{2026, time.July, 1}, 2},
		{"long after", Date{2030, time.May, 5}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := h.At(tc.day)
			if tc.version == 0 {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("At(%s) = v%d, %v; want not found", tc.day, p.Version, err)
				}
				return
			}
			if err != nil || p.Version != tc.version {
				t.Fatalf("At(%s) = v%d, %v; want v%d", tc.day, p.Version, err, tc.version)
			}
			if m, err := h.ForMonth(MonthOf(tc.day)); err != nil || m.Version != tc.version {
				t.Fatalf("ForMonth(%s) = v%d, %v", MonthOf(tc.day), m.Version, err)
			}
		})
	}
	t.Run("empty history", func(t *testing.T) {
		if _, err := PolicyHistory(nil).At(Date{2026, 1, 1}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("At on no versions: %v", err)
		}
	})
}

func TestNewPolicyHistory(t *testing.T) {
	v2 := rulePolicy(t, Month{2026, time.July}, nil)
	v2.Version = 2
	t.Run("stored out of order", func(t *testing.T) {
		h, err := NewPolicyHistory([]Policy{v2, DefaultPolicy()})
		if err != nil || len(h) != 2 || h[0].Version != 1 || h[1].Version != 2 {
			t.Fatalf("NewPolicyHistory: %+v %v", h, err)
		}
	})
	t.Run("a version missing", func(t *testing.T) {
		v3 := v2
		v3.Version = 3
		if _, err := NewPolicyHistory([]Policy{DefaultPolicy(), v3}); ErrorCode(err) != CodeConflict {
			t.Fatalf("NewPolicyHistory: %v, want conflict", err)
		}
	})
}
