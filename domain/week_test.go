package domain

import (
	"encoding/json"
	"testing"
	"time"
)

func TestWeekOf(t *testing.T) {
	cases := []struct {
		name   string
		day    Date
		monday Date
	}{
		{"a Monday", Date{2026, 11, 2}, Date{2026, 11, 2}},
		{"the Saturday of the report", Date{2026, 11, 7}, Date{2026, 11, 2}},
		{"Sunday closes the week", Date{2026, 11, 8}, Date{2026, 11, 2}},
		{"New Year's Day 2027 (a Friday)", Date{2027, 1, 1}, Date{2026, 12, 28}},
		{"New Year's Day 2026 (a Thursday)", Date{2026, 1, 1}, Date{2025, 12, 29}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := WeekOf(tc.day)
			if w.Monday != tc.monday || !w.Contains(tc.day) || !IsMonday(w.Start()) {
				t.Fatalf("WeekOf(%s) = %v", tc.day, w)
			}
			if w.End() != tc.monday.AddDays(6) || w.Next().Prev() != w || !w.Before(w.Next()) {
				t.Fatalf("%v: End %v Next %v", w, w.End(), w.Next())
			}
		})
	}
	t.Run("an instant late on Sunday in Shanghai is still that week", func(t *testing.T) {
		// Sunday 2026-11-08 23:30 +08:00 is 15:30 UTC the same day; Monday 00:30 +08:00 is Sunday UTC.
		if got := WeekOfTime(time.Date(2026, 11, 8, 15, 30, 0, 0, time.UTC)); got.Monday != (Date{2026, 11, 2}) {
			t.Fatalf("WeekOfTime = %v", got)
		}
		if got := WeekOfTime(time.Date(2026, 11, 8, 16, 30, 0, 0, time.UTC)); got.Monday != (Date{2026, 11, 9}) {
			t.Fatalf("WeekOfTime = %v", got)
		}
	})
}

func TestParseWeek(t *testing.T) {
	if w, err := ParseWeek("2026-11-02"); err != nil || w.Monday != (Date{2026, 11, 2}) {
		t.Fatalf("ParseWeek(Monday) = %v, %v", w, err)
	}
	if _, err := ParseWeek("2026-11-03"); ErrorCode(err) != CodeInvalid {
		t.Fatalf("ParseWeek(Tuesday): %v", err)
	}
	var v struct{ W Week }
	if err := json.Unmarshal([]byte(`{"W":"2026-12-28"}`), &v); err != nil || v.W.String() != "2026-12-28" {
		t.Fatalf("Unmarshal: %+v %v", v, err)
	}
	if b, _ := json.Marshal(v); string(b) != `{"W":"2026-12-28"}` {
		t.Fatalf("Marshal: %s", b)
	}
}

func TestReportDeadline(t *testing.T) {
	week := Week{Monday: Date{2026, 11, 2}}
	cases := []struct {
		name   string
		change func(p *Policy)
		want   time.Time
	}{
		{"the seed: Saturday 17:30 Shanghai", func(*Policy) {}, time.Date(2026, 11, 7, 17, 30, 0, 0, Shanghai)},
		{"the same instant in UTC", func(*Policy) {}, time.Date(2026, 11, 7, 9, 30, 0, 0, time.UTC)},
		{"Friday 18:00", func(p *Policy) { p.WeeklyReportWeekday, p.WeeklyReportDeadline = 5, "18:00" }, time.Date(2026, 11, 6, 18, 0, 0, 0, Shanghai)},
		{"Sunday is the week's last day", func(p *Policy) { p.WeeklyReportWeekday = 0 }, time.Date(2026, 11, 8, 17, 30, 0, 0, Shanghai)},
		{"a broken clock falls back to the day's end", func(p *Policy) { p.WeeklyReportDeadline = "5pm" }, time.Date(2026, 11, 8, 0, 0, 0, 0, Shanghai)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := clonePolicy(DefaultPolicy())
			tc.change(&p)
			if got := ReportDeadline(p, week); !got.Equal(tc.want) {
				t.Fatalf("ReportDeadline = %v, want %v", got, tc.want)
			}
		})
	}
}
