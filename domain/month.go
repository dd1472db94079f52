package domain

import (
	"fmt"
	"time"
)

// Month is a calendar month in Asia/Shanghai: the unit of the assessment (R4–R5), of the pay
// grades' downgrade runs (R7), of the year-end bonus (R10), of petty cash (R15) and of policy
// versions (a month is computed under the version in force on its first day). Its text and JSON
// form is "YYYY-MM" ("2026-11"); the zero Month means "not set" and is written as "".
type Month struct {
	Year  int
	Month time.Month
}

// monthLayout is the one text form of a Month.
const monthLayout = "2006-01"

// ParseMonth parses "YYYY-MM" ("2026-11"; "2026-13" and "2026-1" are refused). The empty string
// parses to the zero Month. Errors: a *Error with code invalid.
func ParseMonth(s string) (Month, error) {
	if s == "" {
		return Month{}, nil
	}
	t, err := time.Parse(monthLayout, s)
	if err != nil || t.Format(monthLayout) != s {
		return Month{}, Errorf(CodeInvalid, "%q is not a month (YYYY-MM)", s)
	}
	return Month{Year: t.Year(), Month: t.Month()}, nil
}

// MonthOf returns the month the civil date d falls in.
func MonthOf(d Date) Month { return Month{Year: d.Year, Month: d.Month} }

// IsZero reports whether m is the zero Month ("not set").
func (m Month) IsZero() bool { return m == Month{} }

// String returns "YYYY-MM", or "" for the zero Month.
func (m Month) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month))
}

// First returns the month's first day.
func (m Month) First() Date { return Date{Year: m.Year, Month: m.Month, Day: 1} }

// Last returns the month's last day (28, 29, 30 or 31).
func (m Month) Last() Date { return m.Next().First().AddDays(-1) }

// Next returns the following month (December → January of the next year).
func (m Month) Next() Month { return m.AddMonths(1) }

// Prev returns the preceding month (January → December of the previous year).
func (m Month) Prev() Month { return m.AddMonths(-1) }

// AddMonths returns the month n months after m (before it for negative n).
func (m Month) AddMonths(n int) Month {
	i := m.Year*12 + int(m.Month) - 1 + n
	y, mo := i/12, i%12
	if mo < 0 { // floor division for years before 0; never reached by real dates
		y, mo = y-1, mo+12
	}
	return Month{Year: y, Month: time.Month(mo + 1)}
}

// Contains reports whether the civil date d falls in m.
func (m Month) Contains(d Date) bool { return MonthOf(d) == m }

// Compare returns -1 when m is before o, +1 when after, 0 when they are the same month.
func (m Month) Compare(o Month) int {
	if m.Year != o.Year {
		return sign(m.Year - o.Year)
	}
	return sign(int(m.Month) - int(o.Month))
}

// Before reports whether m is an earlier month than o.
func (m Month) Before(o Month) bool { return m.Compare(o) < 0 }

// After reports whether m is a later month than o.
func (m Month) After(o Month) bool { return m.Compare(o) > 0 }

// MarshalText implements encoding.TextMarshaler ("YYYY-MM", "" for the zero Month); JSON
// therefore writes a Month as a string.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseMonth.
func (m *Month) UnmarshalText(b []byte) error {
	parsed, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}
