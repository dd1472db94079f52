package domain

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseMonth(t *testing.T) {
	cases := []struct {
		in   string
		want Month
		bad  bool
	}{
		{"2026-11", Month{2026, time.November}, false},
		{"", Month{}, false},
		{"2026-13", Month{}, true},
		{"2026-1", Month{}, true},
		{"2026-11-01", Month{}, true},
		{"26-11", Month{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseMonth(tc.in)
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("ParseMonth(%q) = %v, %v", tc.in, got, err)
			}
			if tc.bad && ErrorCode(err) != CodeInvalid {
				t.Fatalf("error code %q, want invalid", ErrorCode(err))
			}
			if !tc.bad && got.String() != tc.in {
				t.Fatalf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestMonthCalendar(t *testing.T) {
	cases := []struct {
		name        string
		m           Month
		first, last Date
		next, prev  Month
	}{
		{"November", Month{2026, time.November}, Date{2026, 11, 1}, Date{2026, 11, 30}, Month{2026, 12}, Month{2026, 10}},
		{"December into January", Month{2026, time.December}, Date{2026, 12, 1}, Date{2026, 12, 31}, Month{2027, 1}, Month{2026, 11}},
		{"January back into December", Month{2027, time.January}, Date{2027, 1, 1}, Date{2027, 1, 31}, Month{2027, 2}, Month{2026, 12}},
		{"February of a common year", Month{2026, time.February}, Date{2026, 2, 1}, Date{2026, 2, 28}, Month{2026, 3}, Month{2026, 1}},
		{"February of a leap year", Month{2028, time.February}, Date{2028, 2, 1}, Date{2028, 2, 29}, Month{2028, 3}, Month{2028, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.m.First() != tc.first || tc.m.Last() != tc.last || tc.m.Next() != tc.next || tc.m.Prev() != tc.prev {
				t.Fatalf("%v: first %v last %v next %v prev %v", tc.m, tc.m.First(), tc.m.Last(), tc.m.Next(), tc.m.Prev())
			}
			if !tc.m.Contains(tc.first) || !tc.m.Contains(tc.last) || tc.m.Contains(tc.last.AddDays(1)) || tc.m.Contains(tc.first.AddDays(-1)) {
				t.Fatalf("%v: Contains is wrong at its edges", tc.m)
			}
			if MonthOf(tc.last) != tc.m || !tc.m.Before(tc.next) || !tc.m.After(tc.prev) || tc.m.Compare(tc.m) != 0 {
				t.Fatalf("%v: MonthOf/Compare are wrong", tc.m)
			}
		})
	}
	t.Run("AddMonths", func(t *testing.T) {
		if got := (Month{2026, time.March}).AddMonths(-15); got != (Month{2024, time.December}) {
			t.Fatalf("2026-03 - 15 months = %v", got)
		}
		if got := (Month{2026, time.March}).AddMonths(22); got != (Month{2028, time.January}) {
			t.Fatalf("2026-03 + 22 months = %v", got)
		}
	})
}

func TestMonthJSON(t *testing.T) {
	var v struct{ M, Z Month }
	v.M = Month{2026, time.November}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"M":"2026-11","Z":""}` {
		t.Fatalf("Marshal: %s %v", b, err)
	}
	var back struct{ M, Z Month }
	if err := json.Unmarshal(b, &back); err != nil || back != v {
		t.Fatalf("Unmarshal: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"M":"2026-13"}`), &back); ErrorCode(err) != CodeInvalid {
		t.Fatalf("Unmarshal of a bad month: %v", err)
	}
}
