package domain

import (
	"fmt"
	"time"
)

// Shanghai is the zone of every civil date and of the work week (SPEC.md): UTC+8. China has had
// no daylight saving time since 1991, so a fixed zone is exact and needs no tz database.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*60*60)

// Date is a civil date (a day in the calendar, no time of day, no zone), such as a hire date.
// Its text and JSON form is "YYYY-MM-DD"; the zero Date means "not set" and is written as "".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// dateLayout is the one text form of a Date.
const dateLayout = "2006-01-02"

// ParseDate parses "YYYY-MM-DD" (a real calendar day: "2024-02-30" is refused). The empty
// string parses to the zero Date. Errors: a *Error with code invalid.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Format(dateLayout) != s {
		return Date{}, Errorf(CodeInvalid, "%q is not a date (YYYY-MM-DD)", s)
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// DateOf returns the civil date of the instant t in Asia/Shanghai.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Shanghai).Date()
	return Date{Year: y, Month: m, Day: d}
}

// IsZero reports whether d is the zero Date ("not set").
func (d Date) IsZero() bool { return d == Date{} }

// String returns "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Start returns the first instant of d in Asia/Shanghai (00:00 local time).
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Shanghai) }

// AddDays returns the date n days after d (before it for negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.Start().AddDate(0, 0, n)) }

// Compare returns -1 when d is before o, +1 when after, 0 when they are the same day.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return sign(d.Year - o.Year)
	case d.Month != o.Month:
		return sign(int(d.Month) - int(o.Month))
	}
	return sign(d.Day - o.Day)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// MarshalText implements encoding.TextMarshaler ("YYYY-MM-DD", "" for the zero Date); JSON
// therefore writes a Date as a string.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDate.
func (d *Date) UnmarshalText(b []byte) error {
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}
