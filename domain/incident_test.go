package domain

import (
	"maps"
	"strings"
	"testing"
)

const (
	ruleTech1  = "11111111-1111-4111-8111-111111111111"
	ruleTech2  = "33333333-3333-4333-8333-333333333333"
	ruleTeam   = "aaaaaaaa-0000-4000-8000-0000000000aa"
	ruleLeader = "44444444-4444-4444-8444-444444444444"
	rulePhoto  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// ruleIncidentID returns a distinct, valid incident id for n (0..255).
func ruleIncidentID(n int) string {
	return "eeeeeeee-0000-4000-8000-0000000000" + string("0123456789abcdef"[n/16]) + string("0123456789abcdef"[n%16])
}

func rulePoints(n int) *int { return &n }

func TestNewIncident(t *testing.T) {
	valid := IncidentInput{ID: ruleIncidentID(1), TechnicianID: ruleTech1, TeamID: ruleTeam, Type: IncidentLeftPost,
		Date: Date{2026, 11, 4}, Note: "  去了别的客户  ", EvidencePhotos: []string{rulePhoto}, CreatedBy: ruleLeader}
	cases := []struct {
		name   string
		change func(in *IncidentInput)
		points int
		fields map[string]string
	}{
		{"left post takes the policy's -5", func(*IncidentInput) {}, -5, nil},
		{"unreachable takes -2", func(in *IncidentInput) { in.Type = IncidentUnreachable }, -2, nil},
		{"the policy's points given", func(in *IncidentInput) { in.Points = rulePoints(-5) }, -5, nil},
		{"other points for a fixed type", func(in *IncidentInput) { in.Points = rulePoints(-1) }, 0, map[string]string{"points": "eq=-5"}},
		{"commendation with points and a reason", func(in *IncidentInput) {
			in.Type, in.Points, in.Reason = IncidentCommendation, rulePoints(3), "客户来信表扬"
		}, 3, nil},
		{"commendation without points", func(in *IncidentInput) { in.Type, in.Reason = IncidentCommendation, "x" }, 0,
			map[string]string{"points": "required"}},
		{"commendation deducting", func(in *IncidentInput) { in.Type, in.Points, in.Reason = IncidentCommendation, rulePoints(-3), "x" }, 0,
			map[string]string{"points": "min=1"}},
		{"commendation without a reason", func(in *IncidentInput) { in.Type, in.Points, in.Reason = IncidentCommendation, rulePoints(3), "  " }, 0,
			map[string]string{"reason": "required"}},
		{"major loss carries no points", func(in *IncidentInput) { in.Type, in.Reason = IncidentMajorLoss, "设备损坏" }, 0, nil},
		{"major loss with points given", func(in *IncidentInput) {
			in.Type, in.Points, in.Reason = IncidentMajorLoss, rulePoints(-10), "设备损坏"
		}, -10, nil},
		{"major loss adding points", func(in *IncidentInput) { in.Type, in.Points, in.Reason = IncidentMajorLoss, rulePoints(10), "x" }, 0,
			map[string]string{"points": "max=0"}},
		{"major loss without a reason", func(in *IncidentInput) { in.Type = IncidentMajorLoss }, 0, map[string]string{"reason": "required"}},
		{"unknown type", func(in *IncidentInput) { in.Type = "late" }, 0,
			map[string]string{"type": "oneof=commendation left_post major_loss missed_weekly_report unreachable"}},
		{"missed report by a leader", func(in *IncidentInput) { in.Type = IncidentMissedWeeklyReport }, 0,
			map[string]string{"createdBy": "eq=server"}},
		{"missed report by the server", func(in *IncidentInput) { in.Type, in.CreatedBy = IncidentMissedWeeklyReport, IncidentByServer }, -2, nil},
		{"bad ids", func(in *IncidentInput) { in.ID, in.TechnicianID, in.TeamID, in.CreatedBy = "1", "", "team", "boss" }, 0,
			map[string]string{"id": "uuid", "technicianId": "uuid", "teamId": "uuid", "createdBy": "uuid"}},
		{"no date", func(in *IncidentInput) { in.Date = Date{} }, 0, map[string]string{"date": "required"}},
		{"February 30", func(in *IncidentInput) { in.Date = Date{2026, 2, 30} }, 0, map[string]string{"date": "date"}},
		{"evidence not a hash", func(in *IncidentInput) { in.EvidencePhotos = []string{"photo.jpg"} }, 0,
			map[string]string{"evidencePhotos": "sha256"}},
		{"a long note", func(in *IncidentInput) { in.Note = strings.Repeat("长", MaxIncidentTextLen+1) }, 0, map[string]string{"note": "max=2000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := valid
			tc.change(&in)
			inc, err := NewIncident(DefaultPolicy(), in)
			if tc.fields != nil {
				if ErrorCode(err) != CodeInvalid || !maps.Equal(ErrorFields(err), tc.fields) {
					t.Fatalf("NewIncident: %v fields %v, want %v", err, ErrorFields(err), tc.fields)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewIncident: %v %v", err, ErrorFields(err))
			}
			if inc.Points != tc.points || inc.CountsIn != (Month{2026, 11}) || inc.AdjustmentOf != nil || inc.Waived {
				t.Fatalf("NewIncident = %+v, want %d points counting in 2026-11", inc, tc.points)
			}
			if inc.Note != strings.TrimSpace(in.Note) || inc.Type != in.Type || inc.TechnicianID != ruleTech1 {
				t.Fatalf("NewIncident = %+v", inc)
			}
		})
	}
}

func TestIncidentWaive(t *testing.T) {
	inc, err := NewIncident(DefaultPolicy(), IncidentInput{ID: ruleIncidentID(2), TechnicianID: ruleTech1, TeamID: ruleTeam,
		Type: IncidentMissedWeeklyReport, Date: Date{2026, 11, 7}, CreatedBy: IncidentByServer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inc.Waive("  "); !maps.Equal(ErrorFields(err), map[string]string{"waivedReason": "required"}) {
		t.Fatalf("Waive without a reason: %v", err)
	}
	waived, err := inc.Waive(" 山区无信号，周六16:00已写好 ")
	if err != nil || !waived.Waived || waived.WaivedReason != "山区无信号，周六16:00已写好" || inc.Waived {
		t.Fatalf("Waive: %+v %v (original %+v)", waived, err, inc)
	}
}

func TestIncidentPlace(t *testing.T) {
	inc := Incident{ID: ruleIncidentID(3), Date: Date{2026, 10, 30}}
	closedOctober := func(m Month) bool { return !m.After(Month{2026, 10}) }
	got := inc.Place(closedOctober, Month{2026, 11})
	if got.CountsIn != (Month{2026, 11}) || got.AdjustmentOf == nil || *got.AdjustmentOf != (Month{2026, 10}) {
		t.Fatalf("Place in a closed month: %+v", got)
	}
	got = inc.Place(func(Month) bool { return false }, Month{2026, 10})
	if got.CountsIn != (Month{2026, 10}) || got.AdjustmentOf != nil {
		t.Fatalf("Place in an open month: %+v", got)
	}
}

func TestDerivedID(t *testing.T) {
	monday := Week{Monday: Date{2026, 11, 2}}
	t.Run("a standard UUID v5", func(t *testing.T) {
		// Python: uuid.uuid5(uuid.UUID("aa7c557a-487a-4e03-af3d-1be1cd7eedb2"),
		//   "missed_weekly_report/11111111-1111-4111-8111-111111111111/2026-11-02")
		if got := R1IncidentID(ruleTech1, monday); got != "e4d989d8-612a-5014-b47a-a1d073e9e240" {
			t.Fatalf("R1IncidentID = %s", got)
		}
		if got := (Bonus{TechnicianID: ruleTech1, Year: 2026}).ID(); got != "f2a04f05-326d-5da7-a764-a43a73aaca4b" {
			t.Fatalf("Bonus.ID = %s", got)
		}
	})
	t.Run("the same for any case of the technician id", func(t *testing.T) {
		if R1IncidentID(strings.ToUpper(ruleTech2), monday) != R1IncidentID(ruleTech2, monday) {
			t.Fatal("the id depends on the case of the technician id")
		}
	})
	t.Run("distinct per technician and week", func(t *testing.T) {
		ids := map[string]bool{}
		for _, tech := range []string{ruleTech1, ruleTech2} {
			for w, i := monday, 0; i < 60; w, i = w.Next(), i+1 {
				id := R1IncidentID(tech, w)
				if ids[id] || !IsUUID(id) {
					t.Fatalf("id %s repeated or not a UUID", id)
				}
				ids[id] = true
			}
		}
	})
}
