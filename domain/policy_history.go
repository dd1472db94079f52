package domain

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// policyTransports are the transport modes of a trip log (SPEC.md 4); a valid policy puts each
// in exactly one of DefaultTransport and ApprovalTransport (R12).
var policyTransports = []string{TransportBus, TransportCoach, TransportTrain, TransportHighSpeedRail,
	TransportTaxi, TransportCompanyCar, TransportPrivateCar}

// specIncidentTypes are the incident types the rules name in code (R1–R4, R9): every version
// must define them, the deductions with negative points.
var specIncidentTypes = []string{IncidentMissedWeeklyReport, IncidentUnreachable, IncidentLeftPost,
	IncidentCommendation, IncidentMajorLoss}

// Validate checks that p is a usable policy version (SPEC.md "Keep every number ... in a
// versioned policy document"). Errors: a *Error with code invalid whose Fields map the JSON path
// of each bad field ("payBands.A.minFen", "incidentTypes.left_post.points") to a stable code:
//   - version >= 1 ("min=1"); effectiveFrom a real date ("required", "date") on the first day of
//     a month ("first_of_month"), so that a month is never split between two versions;
//   - baseScore, downgradeBelow, downgradeRun, bonusThreshold, bonusMultiplier,
//     unreachableHours, purchaseThresholdFen, the retention windows, maxPhotoBytes and
//     refreshTokenDays > 0 ("min=1"); bonusTenureYears, bonusReduced, perDiemFen,
//     privateCarFenPerKm and pettyCashFloatFen >= 0 ("min=0"); bonusReduced <= bonusMultiplier
//     ("ltefield=bonusMultiplier");
//   - workdayStart, workdayEnd and weeklyReportDeadline "HH:MM" ("hh:mm"), the workday start
//     before its end ("ltfield=workdayEnd"); weeklyReportWeekday 0..6 (0 = Sunday, "max=6");
//     monthCloseDay 1..28 so that every month has it ("max=28");
//   - incidentTypes: names of [a-z0-9_] ("name"), a label each ("required"); the types the
//     rules name must exist ("required"): missed_weekly_report, unreachable and left_post with
//     points < 0 and no leaderPoints ("max=-1", "excluded"), commendation with leaderPoints
//     ("required"), major_loss with majorLoss ("required"); any other type that is neither
//     leader-scored nor a major loss needs points != 0 ("ne=0");
//   - payBands: exactly A, B and C ("oneof=A B C", "required"), 0 < minFen <= maxFen ("min=1",
//     "gtefield=minFen"), and A above B above C: the bands may touch (the seed's 5000 CNY is A's
//     minimum and B's maximum) but never overlap or invert ("gtefield=payBands.B.maxFen");
//   - homeCity set ("required"); every transport mode known ("unknown:taxi2"), listed once
//     ("duplicate:bus") and in exactly one of defaultTransport and approvalTransport
//     ("missing:taxi" on defaultTransport when in neither).
func (p Policy) Validate() error {
	bad := map[string]string{}
	if p.Version < 1 {
		bad["version"] = "min=1"
	}
	switch {
	case p.EffectiveFrom.IsZero():
		bad["effectiveFrom"] = "required"
	case !isCalendarDate(p.EffectiveFrom):
		bad["effectiveFrom"] = "date"
	case p.EffectiveFrom.Day != 1:
		bad["effectiveFrom"] = "first_of_month"
	}
	positive := map[string]int64{
		"baseScore": int64(p.BaseScore), "downgradeBelow": int64(p.DowngradeBelow),
		"downgradeRun": int64(p.DowngradeRun), "bonusThreshold": int64(p.BonusThreshold),
		"bonusMultiplier": int64(p.BonusMultiplier), "unreachableHours": int64(p.UnreachableHours),
		"purchaseThresholdFen": p.PurchaseThresholdFen, "tombstoneRetentionDays": int64(p.TombstoneRetentionDays),
		"mutationLogRetentionDays": int64(p.MutationLogRetentionDays), "orphanPhotoRetentionDays": int64(p.OrphanPhotoRetentionDays),
		"maxPhotoBytes": p.MaxPhotoBytes, "refreshTokenDays": int64(p.RefreshTokenDays),
	}
	for field, v := range positive {
		if v < 1 {
			bad[field] = "min=1"
		}
	}
	nonNegative := map[string]int64{
		"bonusTenureYears": int64(p.BonusTenureYears), "bonusReduced": int64(p.BonusReduced),
		"perDiemFen": p.PerDiemFen, "privateCarFenPerKm": p.PrivateCarFenPerKm, "pettyCashFloatFen": p.PettyCashFloatFen,
	}
	for field, v := range nonNegative {
		if v < 0 {
			bad[field] = "min=0"
		}
	}
	if p.BonusReduced > p.BonusMultiplier && bad["bonusReduced"] == "" {
		bad["bonusReduced"] = "ltefield=bonusMultiplier"
	}
	validateClocks(p, bad)
	validateIncidentTypes(p.IncidentTypes, bad)
	validatePayBands(p.PayBands, bad)
	if strings.TrimSpace(p.HomeCity) == "" {
		bad["homeCity"] = "required"
	}
	validateTransports(p, bad)
	if len(bad) > 0 {
		return Invalid("invalid policy", bad)
	}
	return nil
}

func isCalendarDate(d Date) bool {
	parsed, err := ParseDate(d.String())
	return err == nil && parsed == d
}

func validateClocks(p Policy, bad map[string]string) {
	start, startMin, okStart := parsePolicyClock(p.WorkdayStart)
	end, endMin, okEnd := parsePolicyClock(p.WorkdayEnd)
	if !okStart {
		bad["workdayStart"] = "hh:mm"
	}
	if !okEnd {
		bad["workdayEnd"] = "hh:mm"
	}
	if okStart && okEnd && start*60+startMin >= end*60+endMin {
		bad["workdayStart"] = "ltfield=workdayEnd"
	}
	if _, _, ok := parsePolicyClock(p.WeeklyReportDeadline); !ok {
		bad["weeklyReportDeadline"] = "hh:mm"
	}
	switch {
	case p.WeeklyReportWeekday < 0:
		bad["weeklyReportWeekday"] = "min=0"
	case p.WeeklyReportWeekday > 6:
		bad["weeklyReportWeekday"] = "max=6"
	}
	switch {
	case p.MonthCloseDay < 1:
		bad["monthCloseDay"] = "min=1"
	case p.MonthCloseDay > 28:
		bad["monthCloseDay"] = "max=28"
	}
}

func validateIncidentTypes(types map[string]IncidentType, bad map[string]string) {
	if len(types) == 0 {
		bad["incidentTypes"] = "required"
		return
	}
	for name, it := range types {
		at := "incidentTypes." + name
		if !incidentTypeName(name) {
			bad[at] = "name"
			continue
		}
		if strings.TrimSpace(it.Label) == "" {
			bad[at+".label"] = "required"
		}
		if !it.LeaderPoints && !it.MajorLoss && it.Points == 0 {
			bad[at+".points"] = "ne=0"
		}
	}
	for _, name := range specIncidentTypes {
		at := "incidentTypes." + name
		it, ok := types[name]
		switch {
		case !ok:
			bad[at] = "required"
		case name == IncidentCommendation && !it.LeaderPoints:
			bad[at+".leaderPoints"] = "required" // R4: the leader sets the points of each
		case name == IncidentMajorLoss && !it.MajorLoss:
			bad[at+".majorLoss"] = "required" // R9
		case name == IncidentCommendation || name == IncidentMajorLoss:
		case it.LeaderPoints:
			bad[at+".leaderPoints"] = "excluded" // R1–R3 are fixed deductions
		case it.Points >= 0:
			bad[at+".points"] = "max=-1"
		}
	}
}

func incidentTypeName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validatePayBands(bands map[Grade]PayBand, bad map[string]string) {
	for g := range bands {
		if g != GradeA && g != GradeB && g != GradeC {
			bad["payBands."+string(g)] = "oneof=A B C"
		}
	}
	order := []Grade{GradeA, GradeB, GradeC}
	for i, g := range order {
		at := "payBands." + string(g)
		b, ok := bands[g]
		switch {
		case !ok:
			bad[at] = "required"
			continue
		case b.MinFen < 1:
			bad[at+".minFen"] = "min=1"
		case b.MaxFen < b.MinFen:
			bad[at+".maxFen"] = "gtefield=minFen"
		}
		if i+1 < len(order) {
			if lower, ok := bands[order[i+1]]; ok && b.MinFen < lower.MaxFen && bad[at+".minFen"] == "" {
				bad[at+".minFen"] = "gtefield=payBands." + string(order[i+1]) + ".maxFen"
			}
		}
	}
}

func validateTransports(p Policy, bad map[string]string) {
	seen := map[string]string{} // mode → the list it was first seen in
	for _, list := range []struct {
		field string
		modes []string
	}{{"defaultTransport", p.DefaultTransport}, {"approvalTransport", p.ApprovalTransport}} {
		for _, mode := range list.modes {
			switch {
			case !slices.Contains(policyTransports, mode):
				bad[list.field] = "unknown:" + mode
			case seen[mode] != "":
				bad[list.field] = "duplicate:" + mode
			default:
				seen[mode] = list.field
			}
		}
	}
	for _, mode := range policyTransports {
		if seen[mode] == "" && bad["defaultTransport"] == "" {
			bad["defaultTransport"] = "missing:" + mode
		}
	}
}

// PolicyHistory is every version of the policy, oldest first: versions 1, 2, 3 … with strictly
// increasing EffectiveFrom dates, each the first day of a month. Build it with Add or
// NewPolicyHistory, never by appending, so that At can rely on the order. A month is computed
// under the version in force on its first day (SPEC.md, last paragraph).
type PolicyHistory []Policy

// NewPolicyHistory rebuilds a history from stored versions in any order (sorted by Version, then
// added one by one with Add's checks). Errors: those of Add, naming the first bad version.
func NewPolicyHistory(versions []Policy) (PolicyHistory, error) {
	sorted := slices.Clone(versions)
	slices.SortStableFunc(sorted, func(a, b Policy) int { return a.Version - b.Version })
	var h PolicyHistory
	for _, p := range sorted {
		next, err := h.Add(p)
		if err != nil {
			return nil, fmt.Errorf("policy version %d: %w", p.Version, err)
		}
		h = next
	}
	return h, nil
}

// Add returns a new history with p appended as the next version; h itself is not changed, and
// the new version holds its own copy of p's maps and lists. p.Version 0 means "the next one"
// (last + 1, or 1 for the first); any other value must be exactly that, so that an admin editing
// a stale copy is told rather than overwriting a version they did not see. p.EffectiveFrom must
// be after the last version's: versions take effect on the first day of a month (Validate) and
// are never back-dated before one already recorded. Add does not know today's date: refusing an
// EffectiveFrom in an already closed month is the caller's check (compare with the open month).
// Errors: *Error code conflict for a version number other than last + 1; code invalid from
// Validate, or with Fields {"effectiveFrom": "gtfield=<last effectiveFrom>"}.
func (h PolicyHistory) Add(p Policy) (PolicyHistory, error) {
	want := 1
	last, hasLast := h.Latest()
	if hasLast {
		want = last.Version + 1
	}
	switch p.Version {
	case 0:
		p.Version = want
	case want:
	default:
		return h, Errorf(CodeConflict, "policy version %d: the next version is %d", p.Version, want)
	}
	if err := p.Validate(); err != nil {
		return h, err
	}
	if hasLast && !p.EffectiveFrom.After(last.EffectiveFrom) {
		return h, Invalid("a new policy version takes effect after the last one",
			map[string]string{"effectiveFrom": "gtfield=" + last.EffectiveFrom.String()})
	}
	return append(slices.Clone(h), clonePolicy(p)), nil
}

// Latest returns the newest version (which may take effect in the future), false when h is empty.
func (h PolicyHistory) Latest() (Policy, bool) {
	if len(h) == 0 {
		return Policy{}, false
	}
	return h[len(h)-1], true
}

// At returns the version in force on the civil date d (Asia/Shanghai): the newest one whose
// EffectiveFrom is on or before d. Errors: wraps ErrNotFound when d is before the first version
// (or h is empty): no rule was in force then.
func (h PolicyHistory) At(d Date) (Policy, error) {
	for i := len(h) - 1; i >= 0; i-- {
		if !h[i].EffectiveFrom.After(d) {
			return h[i], nil
		}
	}
	return Policy{}, fmt.Errorf("no policy in force on %s: %w", d, ErrNotFound)
}

// ForMonth returns the version in force on m's first day, the one m is computed under
// (R4–R10). Errors: as At.
func (h PolicyHistory) ForMonth(m Month) (Policy, error) { return h.At(m.First()) }

// clonePolicy copies p's maps and lists so that a stored version cannot be changed through the
// caller's copy.
func clonePolicy(p Policy) Policy {
	p.IncidentTypes = maps.Clone(p.IncidentTypes)
	p.PayBands = maps.Clone(p.PayBands)
	p.DefaultTransport = slices.Clone(p.DefaultTransport)
	p.ApprovalTransport = slices.Clone(p.ApprovalTransport)
	return p
}
