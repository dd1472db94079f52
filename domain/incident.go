package domain

import (
	"crypto/sha1"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// IncidentByServer is the CreatedBy of incidents the server records itself (R1).
const IncidentByServer = "server"

// MaxIncidentTextLen bounds an incident's reason, note and waiver reason, in characters (runes).
const MaxIncidentTextLen = 2000

// Incident is a scored event 考核事件 (SPEC.md 8, R1–R5, R9): who (TechnicianID, TeamID, UUIDs),
// what (Type, a key of the policy's IncidentTypes), when (Date, a civil date in Asia/Shanghai),
// and Points (negative for a deduction, positive for an addition; fixed when the incident is
// recorded, under the policy in force then). Reason says why (required for additions, leader-set
// points and major losses); Note is free text; EvidencePhotos are SHA-256 hex of photo blobs.
// CreatedBy is the recording leader's user id, or IncidentByServer for R1.
//
// Waived incidents stay on the record and in the score's lines but count for nothing (R4) and do
// not cancel a bonus (R9): the leader waives one with a reason (Waive), e.g. a weekly report
// written on time on a site with no signal. CountsIn is the month whose score it counts in and
// AdjustmentOf the closed month it belongs to when it arrived after that month closed (R5, see
// Place); both are the server's, never the client's.
type Incident struct {
	ID             string
	TechnicianID   string
	TeamID         string
	Type           string
	Date           Date
	Points         int
	Reason         string
	Note           string
	EvidencePhotos []string
	CreatedBy      string
	Waived         bool
	WaivedReason   string
	CountsIn       Month
	AdjustmentOf   *Month
}

// IncidentInput is what a leader (or the server, R1) records; NewIncident checks it. Points nil
// means "the type's points"; it is required for leader-scored types (commendations).
type IncidentInput struct {
	ID             string
	TechnicianID   string
	TeamID         string
	Type           string
	Date           Date
	Points         *int
	Reason         string
	Note           string
	EvidencePhotos []string
	CreatedBy      string
}

// NewIncident returns the incident in recorded under p (the version in force on in.Date), with
// CountsIn the month of its date; place it against the closed months with Place (R5). Rules:
//   - id, technicianId and teamId are UUIDs ("uuid"); createdBy is a user id or
//     IncidentByServer, and a missed_weekly_report is the server's alone ("eq=server", R1);
//   - type is one of p.IncidentTypes ("oneof=..."); date is a real date ("required", "date");
//   - points: a fixed type takes its policy points (a different value given: "eq=<points>");
//     a leader-scored type needs points != 0 ("required", "ne=0") and a commendation points >
//     0 ("min=1", R4); a major loss carries no points unless given, and given points are <= 0
//     ("max=0", R9);
//   - reason is required for an addition (points > 0), a leader-scored type and a major loss;
//     reason and note at most MaxIncidentTextLen characters ("max=2000"); evidence photos
//     SHA-256 hex ("sha256").
//
// Errors: a *Error with code invalid and those per-field codes (JSON names).
func NewIncident(p Policy, in IncidentInput) (Incident, error) {
	inc := Incident{ID: in.ID, TechnicianID: in.TechnicianID, TeamID: in.TeamID, Type: in.Type, Date: in.Date,
		Reason: strings.TrimSpace(in.Reason), Note: strings.TrimSpace(in.Note),
		EvidencePhotos: slices.Clone(in.EvidencePhotos), CreatedBy: in.CreatedBy, CountsIn: MonthOf(in.Date)}
	bad := map[string]string{}
	for field, id := range map[string]string{"id": in.ID, "technicianId": in.TechnicianID, "teamId": in.TeamID} {
		if !IsUUID(id) {
			bad[field] = "uuid"
		}
	}
	if in.CreatedBy != IncidentByServer && !IsUUID(in.CreatedBy) {
		bad["createdBy"] = "uuid"
	}
	switch {
	case in.Date.IsZero():
		bad["date"] = "required"
	case !isCalendarDate(in.Date):
		bad["date"] = "date"
	}
	it, known := p.IncidentTypes[in.Type]
	if !known {
		bad["type"] = "oneof=" + strings.Join(slices.Sorted(maps.Keys(p.IncidentTypes)), " ")
	} else {
		inc.Points = incidentPoints(in, it, bad)
		if in.Type == IncidentMissedWeeklyReport && in.CreatedBy != IncidentByServer {
			bad["createdBy"] = "eq=server" // R1: the server records it, exactly once per week
		}
		if inc.Reason == "" && (inc.Points > 0 || it.LeaderPoints || it.MajorLoss) {
			bad["reason"] = "required"
		}
	}
	for field, text := range map[string]string{"reason": inc.Reason, "note": inc.Note} {
		if utf8.RuneCountInString(text) > MaxIncidentTextLen {
			bad[field] = "max=2000"
		}
	}
	for _, h := range in.EvidencePhotos {
		if !IsSHA256Hex(h) {
			bad["evidencePhotos"] = "sha256"
		}
	}
	if len(bad) > 0 {
		return Incident{}, Invalid("invalid incident", bad)
	}
	return inc, nil
}

// incidentPoints decides the points of in under its type it, noting refusals in bad.
func incidentPoints(in IncidentInput, it IncidentType, bad map[string]string) int {
	switch {
	case it.LeaderPoints:
		switch {
		case in.Points == nil:
			bad["points"] = "required"
		case *in.Points == 0:
			bad["points"] = "ne=0"
		case in.Type == IncidentCommendation && *in.Points < 0:
			bad["points"] = "min=1" // R4: a commendation adds
		default:
			return *in.Points
		}
		return 0
	case it.MajorLoss:
		if in.Points == nil {
			return 0 // R9: the loss cancels the bonus; the score is untouched unless the leader says so
		}
		if *in.Points > 0 {
			bad["points"] = "max=0"
			return 0
		}
		return *in.Points
	}
	if in.Points != nil && *in.Points != it.Points {
		bad["points"] = fmt.Sprintf("eq=%d", it.Points) // R1–R3: the policy sets the points
	}
	return it.Points
}

// Waive returns i waived by the leader for reason (trimmed, 1..MaxIncidentTextLen characters):
// it stays listed but counts for nothing (R4) and cancels no bonus (R9). Waiving again replaces
// the reason. Errors: a *Error with code invalid, Fields {"waivedReason": "required" | "max=2000"}.
func (i Incident) Waive(reason string) (Incident, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return i, Invalid("a waiver needs a reason", map[string]string{"waivedReason": "required"})
	case utf8.RuneCountInString(reason) > MaxIncidentTextLen:
		return i, Invalid("the reason is too long", map[string]string{"waivedReason": "max=2000"})
	}
	i.Waived, i.WaivedReason = true, reason
	return i, nil
}

// Place returns i with CountsIn and AdjustmentOf set by PlaceIncident (R5): the month of its date
// while that month is open, otherwise the open month as an adjustment of the closed one.
func (i Incident) Place(closed func(Month) bool, open Month) Incident {
	i.CountsIn, i.AdjustmentOf = PlaceIncident(i.Date, closed, open)
	return i
}

// countsInMonth is the month i counts in: CountsIn, or the month of its date when not placed.
func (i Incident) countsInMonth() Month {
	if i.CountsIn.IsZero() {
		return MonthOf(i.Date)
	}
	return i.CountsIn
}

// derivedNamespace is the UUID namespace of the ids of server-derived records (DerivedID).
var derivedNamespace = [16]byte{0xaa, 0x7c, 0x55, 0x7a, 0x48, 0x7a, 0x4e, 0x03, 0xaf, 0x3d, 0x1b, 0xe1, 0xcd, 0x7e, 0xed, 0xb2}

// DerivedID returns the deterministic id of a record the server derives from others, so that
// every instance and every catch-up run computes the same id and an insert-if-absent writes it
// exactly once: a name-based UUID version 5 (RFC 9562: SHA-1 of the namespace
// aa7c557a-487a-4e03-af3d-1be1cd7eedb2 followed by the name), the name being kind and parts
// joined by "/" ("missed_weekly_report/<technician id>/2026-11-02"). Lower-case canonical text.
func DerivedID(kind string, parts ...string) string {
	h := sha1.New()
	h.Write(derivedNamespace[:])
	h.Write([]byte(strings.Join(append([]string{kind}, parts...), "/")))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// R1IncidentID returns the id of the missed-weekly-report incident of technicianID for week w
// (R1): DerivedID("missed_weekly_report", lower-case technicianID, w's Monday "YYYY-MM-DD").
func R1IncidentID(technicianID string, w Week) string {
	return DerivedID(IncidentMissedWeeklyReport, strings.ToLower(technicianID), w.String())
}
