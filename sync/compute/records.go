package compute

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// ServerPrincipal is who the rules engine acts as: the user id "server" (domain.IncidentByServer,
// also the owner of R1's incidents) with the admin role, whose read grant reaches every synced
// and computed record. It writes only through sync.Engine.WriteAsServer; it never signs in.
var ServerPrincipal = domain.Principal{UserID: domain.IncidentByServer, Username: "server", Role: domain.RoleAdmin}

// AssessmentID returns the id of technicianID's assessment of month m:
// domain.DerivedID("assessment", lower-case technician id, "YYYY-MM").
func AssessmentID(technicianID string, m domain.Month) string {
	return domain.DerivedID("assessment", strings.ToLower(technicianID), m.String())
}

// ReportReceivedAt is the server's receipt time of a weekly report record, the one clock R1
// trusts: the record's submittedAt when the server stamps one (a computed field of
// weekly_reports, RFC 3339), else the record's createdAt (the server's clock when its first push
// arrived). This is the seam for the records' life cycle: once it stamps submittedAt (e.g. for
// reports kept as drafts first), that time counts.
func ReportReceivedAt(rec *sync.Record) time.Time {
	if s, ok := rec.Fields["submittedAt"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	if t, ok := rec.Fields["submittedAt"].(time.Time); ok {
		return t
	}
	return rec.CreatedAt
}

// weeklyReportOf reads what R1 needs from a weekly report record: whose (its owner), which week
// (weekStart, a Monday) and when the server received it. Records without a valid weekStart are
// no report for any week.
func weeklyReportOf(rec *sync.Record) (domain.WeeklyReport, bool) {
	ws, _ := rec.Fields["weekStart"].(string)
	d, err := domain.ParseDate(ws)
	if err != nil || d.IsZero() || !domain.IsMonday(d) {
		return domain.WeeklyReport{}, false
	}
	return domain.WeeklyReport{ID: rec.ID, TechnicianID: rec.Owner, WeekStart: d, ReceivedAt: ReportReceivedAt(rec)}, true
}

// incidentOf reads an incident record as domain.NewIncident accepts it, under the policy version
// in force on its date; "waived": true with "waivedReason" waives it (domain.Incident.Waive).
// CreatedBy is the record's owner (the recording leader, or "server" for R1). Errors: a
// *domain.Error with code invalid and per-field codes; such incidents count for nothing and are
// listed on the assessment as ignored, for the leader to fix.
func incidentOf(h domain.PolicyHistory, rec *sync.Record) (domain.Incident, error) {
	f := rec.Fields
	date, err := domain.ParseDate(text(f["date"]))
	if err != nil || date.IsZero() {
		return domain.Incident{}, domain.Invalid("invalid incident", map[string]string{"date": "date"})
	}
	p, err := h.At(date)
	if err != nil {
		return domain.Incident{}, domain.Invalid("no policy in force on the incident's date", map[string]string{"date": "no_policy"})
	}
	in := domain.IncidentInput{ID: rec.ID, TechnicianID: text(f["technicianId"]), TeamID: rec.Team, Type: text(f["type"]),
		Date: date, Reason: text(f["reason"]), Note: text(f["note"]), EvidencePhotos: texts(f["evidencePhotos"]),
		CreatedBy: rec.Owner}
	if v := f["points"]; v != nil {
		n, ok := integer(v)
		if !ok {
			return domain.Incident{}, domain.Invalid("invalid incident", map[string]string{"points": "integer"})
		}
		in.Points = &n
	}
	inc, err := domain.NewIncident(p, in)
	if err != nil {
		return domain.Incident{}, err
	}
	if waived, _ := f["waived"].(bool); waived {
		return inc.Waive(text(f["waivedReason"]))
	}
	return inc, nil
}

// text is v as a string ("" for anything else).
func text(v any) string {
	s, _ := v.(string)
	return s
}

// texts is v as a list of strings (stored lists come back as []any).
func texts(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// integer is v as an int when it is an integral number as decoded from JSON or BSON.
func integer(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

// userOfToken reads a visibility token "user:<userId>@<teamId>" (domain.Audience).
func userOfToken(tok string) (user, team string, ok bool) {
	rest, ok := strings.CutPrefix(tok, "user:")
	if !ok {
		return "", "", false
	}
	at := strings.LastIndexByte(rest, '@')
	if at <= 0 || at == len(rest)-1 {
		return "", "", false
	}
	return rest[:at], rest[at+1:], true
}

// teamTokens are the tokens of team's leader: every record of the team.
func teamTokens(team string) []string {
	return domain.Principal{UserID: ServerPrincipal.UserID, Role: domain.RoleLeader, TeamID: team}.Tokens()
}

// stamp is an instant as records hold it: RFC 3339 in UTC.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// scoreFields is the record of an assessment (R4): month, technicianId, base, lines (each
// incident with its points, adjustments labelled with adjustmentOf), deductions, additions,
// total, policyVersion, state open|closed, and for a closed month closedAt and closedBy.
// Numbers are int64, as the store gives them back, so that a rerun compares equal.
func scoreFields(s domain.Score, closed *ClosedMonth, ignored []any) map[string]any {
	lines := make([]any, 0, len(s.Lines))
	for _, l := range s.Lines {
		line := map[string]any{"incidentId": l.IncidentID, "type": l.Type, "date": l.Date.String(),
			"points": int64(l.Points), "adjustment": l.Adjustment, "waived": l.Waived}
		if l.AdjustmentOf != nil {
			line["adjustmentOf"] = l.AdjustmentOf.String()
		}
		lines = append(lines, line)
	}
	f := map[string]any{"month": s.Month.String(), "technicianId": s.TechnicianID, "base": int64(s.Base),
		"lines": lines, "deductions": int64(s.Deductions), "additions": int64(s.Additions), "total": int64(s.Total),
		"policyVersion": int64(s.PolicyVersion), "state": StateOpen}
	if closed != nil {
		f["state"], f["closedAt"], f["closedBy"] = StateClosed, stamp(closed.ClosedAt), closed.ClosedBy
	}
	if len(ignored) > 0 {
		f["ignored"] = ignored
	}
	return f
}

// The states of an assessment.
const (
	StateOpen   = "open"
	StateClosed = "closed"
)

// ignoredEntry describes an incident that counts for nothing because it is invalid.
func ignoredEntry(id string, err error) any {
	fields := map[string]any{}
	for k, v := range domain.ErrorFields(err) {
		fields[k] = v
	}
	return map[string]any{"incidentId": id, "message": domain.ErrorMessage(err), "fields": fields}
}

// flagFields is the record of a grade review (R7).
func flagFields(f domain.GradeFlag) map[string]any {
	months, totals := make([]any, len(f.Months)), make([]any, len(f.Totals))
	for i, m := range f.Months {
		months[i] = m.String()
	}
	for i, t := range f.Totals {
		totals[i] = int64(t)
	}
	return map[string]any{"technicianId": f.TechnicianID, "months": months, "totals": totals,
		"from": string(f.From), "to": string(f.To), "reason": f.Reason}
}

// bonusFields is the record of a year-end bonus (R8–R10); provisional while months of the year
// are not closed.
func bonusFields(b domain.Bonus) map[string]any {
	reasons := make([]any, len(b.Reasons))
	for i, r := range b.Reasons {
		reasons[i] = r
	}
	months := func(ms []domain.Month) []any {
		out := make([]any, len(ms))
		for i, m := range ms {
			out[i] = m.String()
		}
		return out
	}
	return map[string]any{"year": int64(b.Year), "technicianId": b.TechnicianID, "eligible": b.Eligible,
		"amountFen": b.AmountFen, "multiplier": int64(b.Multiplier), "monthlyPayFen": b.MonthlyPayFen,
		"reasons": reasons, "belowThreshold": months(b.BelowThreshold), "openMonths": months(b.OpenMonths),
		"provisional": len(b.OpenMonths) > 0, "policyVersion": int64(b.PolicyVersion)}
}
