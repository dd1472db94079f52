package domain

import (
	"time"
)

// Week is a work week, Monday to Sunday in Asia/Shanghai, identified by its Monday: the unit of
// the weekly report (SPEC.md 6) and of R1. Build one with WeekOf or ParseWeek so that Monday
// really is a Monday; the zero Week means "not set". Its text and JSON form is its Monday,
// "YYYY-MM-DD" (the weekly report's weekStart field).
type Week struct {
	Monday Date
}

// WeekOf returns the week the civil date d falls in (Sunday belongs to the week of the Monday
// six days before it).
func WeekOf(d Date) Week {
	// time.Weekday counts from Sunday = 0; the work week counts from Monday.
	back := (int(d.Start().Weekday()) + 6) % 7
	return Week{Monday: d.AddDays(-back)}
}

// WeekOfTime returns the week the instant t falls in, in Asia/Shanghai.
func WeekOfTime(t time.Time) Week { return WeekOf(DateOf(t)) }

// ParseWeek parses a week from its Monday, "YYYY-MM-DD". The empty string parses to the zero
// Week. Errors: a *Error with code invalid when s is not a date or the date is not a Monday.
func ParseWeek(s string) (Week, error) {
	d, err := ParseDate(s)
	if err != nil || d.IsZero() {
		return Week{}, err
	}
	if !IsMonday(d) {
		return Week{}, Errorf(CodeInvalid, "%s is not a Monday", s)
	}
	return Week{Monday: d}, nil
}

// IsMonday reports whether the civil date d is a Monday (a valid week start).
func IsMonday(d Date) bool { return d.Start().Weekday() == time.Monday }

// IsZero reports whether w is the zero Week ("not set").
func (w Week) IsZero() bool { return w.Monday.IsZero() }

// String returns the week's Monday as "YYYY-MM-DD", or "" for the zero Week.
func (w Week) String() string { return w.Monday.String() }

// Start returns the week's first day, its Monday.
func (w Week) Start() Date { return w.Monday }

// End returns the week's last day, its Sunday.
func (w Week) End() Date { return w.Monday.AddDays(6) }

// Day returns the date of weekday wd in w: Monday is w's first day and Sunday its last.
func (w Week) Day(wd time.Weekday) Date { return w.Monday.AddDays((int(wd) + 6) % 7) }

// Next returns the following week.
func (w Week) Next() Week { return Week{Monday: w.Monday.AddDays(7)} }

// Prev returns the preceding week.
func (w Week) Prev() Week { return Week{Monday: w.Monday.AddDays(-7)} }

// Contains reports whether the civil date d falls in w (Monday to Sunday).
func (w Week) Contains(d Date) bool { return !d.Before(w.Monday) && !d.After(w.End()) }

// Before reports whether w is an earlier week than o.
func (w Week) Before(o Week) bool { return w.Monday.Before(o.Monday) }

// MarshalText implements encoding.TextMarshaler (the Monday, "YYYY-MM-DD").
func (w Week) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseWeek.
func (w *Week) UnmarshalText(b []byte) error {
	parsed, err := ParseWeek(string(b))
	if err != nil {
		return err
	}
	*w = parsed
	return nil
}

// ReportDeadline returns the instant the weekly report of week w is due (R1, SPEC.md): the
// policy's WeeklyReportWeekday of w (0 = Sunday, the week's last day … 6 = Saturday) at
// WeeklyReportDeadline, Asia/Shanghai; with the seed's policy, Saturday 17:30 +08:00. A report
// received at the deadline itself is on time. p must pass Validate; should its deadline not be
// "HH:MM" anyway, the end of that day (24:00) is used, never an earlier time.
func ReportDeadline(p Policy, w Week) time.Time {
	day := w.Day(time.Weekday(p.WeeklyReportWeekday)).Start()
	h, m, ok := parsePolicyClock(p.WeeklyReportDeadline)
	if !ok {
		return day.AddDate(0, 0, 1)
	}
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// parsePolicyClock parses a clock time "HH:MM" (00:00 to 23:59, two digits each).
func parsePolicyClock(s string) (hour, minute int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	digits := [4]byte{s[0], s[1], s[3], s[4]}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	hour = int(s[0]-'0')*10 + int(s[1]-'0')
	minute = int(s[3]-'0')*10 + int(s[4]-'0')
	if hour > 23 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}
