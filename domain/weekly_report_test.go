package domain

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// ruleTechnician returns an active technician of ruleTeam hired on hired.
func ruleTechnician(id string, hired Date) User {
	return User{ID: id, Username: "tech." + id[:4], Role: RoleTechnician, TeamID: ruleTeam, HireDate: hired,
		ProbationPassed: true, Grade: GradeB, MonthlyPayFen: 450_000}
}

// ruleReport returns tech's report for the week starting monday, received (server) and written
// (phone) at the given instants.
func ruleReport(tech string, monday Date, received, written time.Time) WeeklyReport {
	return WeeklyReport{ID: ruleIncidentID(int(uint64(received.Unix()) % 251)), TechnicianID: tech, WeekStart: monday,
		WorkCompleted: "完成3单维修", NextWeekPlan: "回访两家客户", ReceivedAt: received, ClientTime: written}
}

func ruleAt(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, Shanghai)
}

func ruleUTC(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

// r1Keys names each incident "technician-prefix@week-monday/points".
func r1Keys(incs []Incident) []string {
	var keys []string
	for _, inc := range incs {
		keys = append(keys, fmt.Sprintf("%s@%s/%d", inc.TechnicianID[:4], WeekOf(inc.Date), inc.Points))
	}
	return keys
}

func TestNewWeeklyReport(t *testing.T) {
	valid := ruleReport(ruleTech1, Date{2026, 11, 2}, ruleAt(2026, 11, 7, 17, 0), ruleUTC(2026, 11, 7, 8, 59))
	valid.WorkCompleted = "  完成3单维修 "
	cases := []struct {
		name   string
		change func(r *WeeklyReport)
		fields map[string]string
	}{
		{"valid", func(*WeeklyReport) {}, nil},
		{"without a phone time", func(r *WeeklyReport) { r.ClientTime = time.Time{} }, nil},
		{"week starting on a Tuesday", func(r *WeeklyReport) { r.WeekStart = Date{2026, 11, 3} }, map[string]string{"weekStart": "monday"}},
		{"no week", func(r *WeeklyReport) { r.WeekStart = Date{} }, map[string]string{"weekStart": "required"}},
		{"nothing done, nothing planned", func(r *WeeklyReport) { r.WorkCompleted, r.NextWeekPlan = " ", "" },
			map[string]string{"workCompleted": "required", "nextWeekPlan": "required"}},
		{"bad ids", func(r *WeeklyReport) { r.ID, r.TechnicianID = "r1", "" }, map[string]string{"id": "uuid", "technicianId": "uuid"}},
		{"not received", func(r *WeeklyReport) { r.ReceivedAt = time.Time{} }, map[string]string{"receivedAt": "required"}},
		{"long suggestions", func(r *WeeklyReport) { r.Suggestions = strings.Repeat("议", MaxWeeklyReportTextLen+1) },
			map[string]string{"suggestions": "max=4000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := valid
			tc.change(&in)
			got, err := NewWeeklyReport(in)
			if tc.fields != nil {
				if ErrorCode(err) != CodeInvalid || !maps.Equal(ErrorFields(err), tc.fields) {
					t.Fatalf("NewWeeklyReport: %v fields %v, want %v", err, ErrorFields(err), tc.fields)
				}
				return
			}
			if err != nil || got.WorkCompleted != "完成3单维修" || got.Week() != (Week{Date{2026, 11, 2}}) {
				t.Fatalf("NewWeeklyReport = %+v, %v", got, err)
			}
		})
	}
}

func TestMissedWeeklyReports(t *testing.T) {
	h := ruleHistory(t)
	monday := Date{2026, 11, 2} // due Saturday 2026-11-07 17:30 +08:00 = 09:30 UTC
	tech1 := ruleTechnician(ruleTech1, Date{2024, 3, 1})
	tech2 := ruleTechnician(ruleTech2, Date{2024, 3, 1})
	leader := User{ID: ruleLeader, Role: RoleLeader, TeamID: ruleTeam}
	gone := ruleTechnician("55555555-5555-4555-8555-555555555555", Date{2024, 3, 1})
	gone.Disabled = true
	friday, nextMonday := ruleAt(2026, 11, 6, 0, 0), ruleAt(2026, 11, 9, 0, 0)
	cases := []struct {
		name      string
		techs     []User
		reports   []WeeklyReport
		from, now time.Time
		want      []string
		reason    string // a part of the (single) incident's reason
	}{
		{"received 17:29 Saturday from a phone whose clock is in UTC", []User{tech1},
			[]WeeklyReport{ruleReport(ruleTech1, monday, ruleUTC(2026, 11, 7, 9, 29), ruleUTC(2026, 11, 7, 9, 28))}, friday, nextMonday, nil, ""},
		{"received 17:31 Saturday from a phone whose clock is in UTC", []User{tech1},
			[]WeeklyReport{ruleReport(ruleTech1, monday, ruleUTC(2026, 11, 7, 9, 31), ruleUTC(2026, 11, 7, 9, 30))}, friday, nextMonday,
			[]string{"1111@2026-11-02/-2"}, "received 2026-11-07 17:31, written 2026-11-07 17:30 by the phone's clock"},
		{"received at 17:30:00 exactly", []User{tech1},
			[]WeeklyReport{ruleReport(ruleTech1, monday, ruleAt(2026, 11, 7, 17, 30), time.Time{})}, friday, nextMonday, nil, ""},
		{"written offline at 16:00, synced Monday: the receipt counts", []User{tech1},
			[]WeeklyReport{ruleReport(ruleTech1, monday, ruleAt(2026, 11, 9, 8, 10), ruleAt(2026, 11, 7, 16, 0))}, friday, ruleAt(2026, 11, 9, 9, 0),
			[]string{"1111@2026-11-02/-2"}, "written 2026-11-07 16:00 by the phone's clock"},
		{"no report at all", []User{tech1}, nil, friday, nextMonday,
			[]string{"1111@2026-11-02/-2"}, "no weekly report for the week of 2026-11-02 received by 2026-11-07 17:30"},
		{"a report for the week before does not count", []User{tech1},
			[]WeeklyReport{ruleReport(ruleTech1, Date{2026, 10, 26}, ruleAt(2026, 11, 7, 12, 0), time.Time{})}, friday, nextMonday,
			[]string{"1111@2026-11-02/-2"}, ""},
		{"the earliest of two receipts counts", []User{tech1}, []WeeklyReport{
			ruleReport(ruleTech1, monday, ruleAt(2026, 11, 7, 18, 0), time.Time{}),
			ruleReport(ruleTech1, monday, ruleAt(2026, 11, 7, 17, 0), time.Time{})}, friday, nextMonday, nil, ""},
		{"one technician reported, the other did not", []User{tech2, tech1},
			[]WeeklyReport{ruleReport(ruleTech1, monday, ruleAt(2026, 11, 7, 15, 0), time.Time{})}, friday, nextMonday,
			[]string{"3333@2026-11-02/-2"}, ""},
		{"both missed: ordered by technician id", []User{tech2, tech1}, nil, friday, nextMonday,
			[]string{"1111@2026-11-02/-2", "3333@2026-11-02/-2"}, ""},
		{"a second before the deadline nothing is due", []User{tech1}, nil, friday, ruleAt(2026, 11, 7, 17, 29).Add(59 * time.Second), nil, ""},
		{"at the deadline the week is judged", []User{tech1}, nil, friday, ruleAt(2026, 11, 7, 17, 30), []string{"1111@2026-11-02/-2"}, ""},
		{"a week already judged is not judged again", []User{tech1}, nil, ruleAt(2026, 11, 7, 17, 30), nextMonday, nil, ""},
		{"hired on the Wednesday: the first full week is owed", []User{ruleTechnician(ruleTech1, Date{2026, 11, 4})}, nil,
			friday, ruleAt(2026, 11, 16, 0, 0), []string{"1111@2026-11-09/-2"}, ""},
		{"hired on the Monday: that week is owed", []User{ruleTechnician(ruleTech1, monday)}, nil,
			friday, nextMonday, []string{"1111@2026-11-02/-2"}, ""},
		{"leaders and disabled accounts owe none", []User{leader, gone}, nil, friday, nextMonday, nil, ""},
		{"catch-up after the server was down since forever", []User{tech1}, nil, time.Time{}, ruleAt(2026, 1, 20, 0, 0),
			[]string{"1111@2025-12-29/-2", "1111@2026-01-05/-2", "1111@2026-01-12/-2"}, ""},
		{"now before from", []User{tech1}, nil, nextMonday, friday, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := MissedWeeklyReports(h, tc.techs, tc.reports, tc.from, tc.now)
			if keys := r1Keys(got); !slices.Equal(keys, tc.want) {
				t.Fatalf("incidents %v, want %v", keys, tc.want)
			}
			for _, inc := range got {
				w := WeekOf(inc.Date)
				if inc.ID != R1IncidentID(inc.TechnicianID, w) || inc.Type != IncidentMissedWeeklyReport ||
					inc.CreatedBy != IncidentByServer || inc.TeamID != ruleTeam || inc.Date != w.Day(time.Saturday) ||
					inc.CountsIn != MonthOf(inc.Date) || inc.Waived {
					t.Fatalf("incident %+v", inc)
				}
			}
			if tc.reason != "" && (len(got) != 1 || !strings.Contains(got[0].Reason, tc.reason)) {
				t.Fatalf("reason %q, want it to contain %q", got[0].Reason, tc.reason)
			}
		})
	}
}

// TestMissedWeeklyReportsOnce splits one period into two runs at many points (instances taking
// turns, a restart, a catch-up): together they produce every incident of the single run, once.
func TestMissedWeeklyReportsOnce(t *testing.T) {
	h := ruleHistory(t)
	techs := []User{ruleTechnician(ruleTech1, Date{2024, 3, 1}), ruleTechnician(ruleTech2, Date{2026, 2, 11})}
	reports := []WeeklyReport{ruleReport(ruleTech1, Date{2026, 2, 9}, ruleAt(2026, 2, 14, 10, 0), time.Time{})}
	from, now := ruleAt(2026, 1, 31, 18, 0), ruleAt(2026, 3, 9, 0, 0)
	whole := MissedWeeklyReports(h, techs, reports, from, now)
	if len(whole) != 7 { // tech1: 5 Saturdays (Feb 7 … Mar 7) less the one reported; tech2 (hired Wed Feb 11): Feb 21 … Mar 7
		t.Fatalf("whole period: %v", r1Keys(whole))
	}
	for cut := from; cut.Before(now); cut = cut.Add(13 * time.Hour) {
		t.Run(cut.Format(time.RFC3339), func(t *testing.T) {
			parts := append(MissedWeeklyReports(h, techs, reports, from, cut), MissedWeeklyReports(h, techs, reports, cut, now)...)
			ids := func(incs []Incident) []string {
				var out []string
				for _, inc := range incs {
					out = append(out, inc.ID)
				}
				slices.Sort(out)
				return out
			}
			if !slices.Equal(ids(parts), ids(whole)) {
				t.Fatalf("split at %v: %v, want %v", cut, r1Keys(parts), r1Keys(whole))
			}
		})
	}
}

func TestWeeklyReportDuePolicyChange(t *testing.T) {
	fewer := rulePolicy(t, Month{2026, time.August}, func(p *Policy) {
		p.IncidentTypes[IncidentMissedWeeklyReport] = IncidentType{Points: -3, Label: "未按时提交周总结"}
	})
	friday := rulePolicy(t, Month{2026, time.August}, func(p *Policy) { p.WeeklyReportWeekday, p.WeeklyReportDeadline = 5, "18:00" })
	cases := []struct {
		name    string
		h       PolicyHistory
		monday  Date
		version int
		due     time.Time
	}{
		{"July's last full week: version 1", ruleHistory(t, fewer), Date{2026, 7, 20}, 1, ruleAt(2026, 7, 25, 17, 30)},
		{"the week due on August 1: version 2", ruleHistory(t, fewer), Date{2026, 7, 27}, 2, ruleAt(2026, 8, 1, 17, 30)},
		{"a Friday deadline would fall before version 2: version 1 keeps the week", ruleHistory(t, friday), Date{2026, 7, 27}, 1, ruleAt(2026, 8, 1, 17, 30)},
		{"the next week is due on Friday", ruleHistory(t, friday), Date{2026, 8, 3}, 2, ruleAt(2026, 8, 7, 18, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, due, err := WeeklyReportDue(tc.h, Week{tc.monday})
			if err != nil || p.Version != tc.version || !due.Equal(tc.due) {
				t.Fatalf("WeeklyReportDue = v%d %v %v, want v%d %v", p.Version, due, err, tc.version, tc.due)
			}
		})
	}
	t.Run("the points follow the week's version", func(t *testing.T) {
		got := MissedWeeklyReports(ruleHistory(t, fewer), []User{ruleTechnician(ruleTech1, Date{2024, 3, 1})}, nil,
			ruleAt(2026, 7, 20, 0, 0), ruleAt(2026, 8, 10, 0, 0))
		want := []string{"1111@2026-07-20/-2", "1111@2026-07-27/-3", "1111@2026-08-03/-3"}
		if keys := r1Keys(got); !slices.Equal(keys, want) {
			t.Fatalf("incidents %v, want %v", keys, want)
		}
	})
	t.Run("no version in force", func(t *testing.T) {
		if _, _, err := WeeklyReportDue(ruleHistory(t), Week{Date{2025, 12, 1}}); ErrorCode(err) != CodeNotFound {
			t.Fatalf("WeeklyReportDue before the first version: %v", err)
		}
	})
}

func TestWeeklyReportClocks(t *testing.T) {
	due := ReportDeadline(DefaultPolicy(), Week{Date{2026, 11, 2}})
	cases := []struct {
		name              string
		received, written time.Time
		receivedBy, wrote bool
	}{
		{"on time by both clocks", ruleUTC(2026, 11, 7, 9, 29), ruleUTC(2026, 11, 7, 9, 0), true, true},
		{"written on time, synced late", ruleAt(2026, 11, 9, 8, 0), ruleAt(2026, 11, 7, 16, 0), false, true},
		{"late by both clocks", ruleAt(2026, 11, 7, 17, 31), ruleAt(2026, 11, 7, 17, 31), false, false},
		{"no phone time", ruleAt(2026, 11, 7, 17, 31), time.Time{}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ruleReport(ruleTech1, Date{2026, 11, 2}, tc.received, tc.written)
			if r.ReceivedBy(due) != tc.receivedBy || r.WrittenBy(due) != tc.wrote {
				t.Fatalf("ReceivedBy %v WrittenBy %v, want %v %v", r.ReceivedBy(due), r.WrittenBy(due), tc.receivedBy, tc.wrote)
			}
		})
	}
}
