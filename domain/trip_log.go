package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// TransportModes lists the transport modes of a trip log (SPEC.md 4), the Transport* constants;
// the policy says which are paid at receipts and which need the leader's approval (R12).
var TransportModes = []string{TransportBus, TransportCoach, TransportTrain, TransportHighSpeedRail,
	TransportTaxi, TransportCompanyCar, TransportPrivateCar}

// MaxKm bounds the distance of one trip, in km.
const MaxKm = 100_000

// IsCar reports whether mode is driven: a company car or a private car (the modes with a distance).
func IsCar(mode string) bool { return mode == TransportCompanyCar || mode == TransportPrivateCar }

// TripLog is a 出差(外出)登记表 (SPEC.md 4): a trip or outing. People are the user ids (UUIDs) of
// everybody on the trip, the author included; the per diem (R11) counts them. OutsideHomeCity is
// the author's statement that the destination is outside the home city (Policy.HomeCity).
// DistanceKm is whole km, only for cars. Expenses are the receipts that name this trip
// (Receipt.TripLogID). Submitted is the author's "done" (a trip is logged while it happens and
// completed on return). TransportApproved is the leader's decision on a mode that needs one
// (nil: not decided yet). ID, Owner and Team come from the synced record; SubmittedAt,
// ReviewedBy and ReviewedAt are stamped by the server.
type TripLog struct {
	ID, Owner, Team       string
	WorkOrderIDs          []string
	Purpose               string
	Origin                string
	DestinationCity       string
	OutsideHomeCity       bool
	StartAt               time.Time
	EndAt                 time.Time
	People                []string
	TransportMode         string
	ApprovalRef           string
	DistanceKm            int64
	NoCompanyCarAvailable bool
	Note                  string
	Submitted             bool

	TransportApproved *bool
	ReviewNote        string
	SubmittedAt       time.Time
	ReviewedBy        string
	ReviewedAt        time.Time
}

// NewTripLog returns t once its invariants hold. Always: a known transport mode; the end after
// the start; a distance of 0..MaxKm km, and none unless the mode is a car ("cars_only"); people
// distinct user ids; work order references that can be record ids. Once Submitted also: purpose,
// destination city, start, end, transport mode and at least one person; a private car only when
// no company car was available ("no_company_car", R13) and with its distance. Errors: a *Error
// with code invalid whose Fields map JSON names to FieldMessage texts.
func NewTripLog(t TripLog) (TripLog, error) {
	bad := fieldErrors{}
	if t.TransportMode != "" && !slices.Contains(TransportModes, t.TransportMode) {
		bad.add("transportMode", "oneof", "必须是 "+strings.Join(TransportModes, "、")+" 之一",
			"must be one of "+strings.Join(TransportModes, ", "))
	}
	if !t.StartAt.IsZero() && !t.EndAt.IsZero() && !t.EndAt.After(t.StartAt) {
		bad.add("endAt", "after", "必须晚于出发时间", "must be after startAt")
	}
	switch {
	case t.DistanceKm < 0:
		bad.add("distanceKm", "min", "不能为负数", "must be 0 or more")
	case t.DistanceKm > MaxKm:
		bad.add("distanceKm", "max", fmt.Sprintf("不能超过 %d", MaxKm), fmt.Sprintf("must be at most %d", MaxKm))
	case t.DistanceKm > 0 && !IsCar(t.TransportMode):
		bad.add("distanceKm", "cars_only", "只有开车 (公司车、私家车) 才填写里程", "only a trip by car has a distance")
	}
	checkUserIDs(bad, "people", t.People)
	for i, id := range t.WorkOrderIDs {
		checkRef(bad, fmt.Sprintf("workOrderIds[%d]", i), id)
	}
	if t.Submitted {
		required := map[string]bool{"purpose": t.Purpose == "", "destinationCity": t.DestinationCity == "",
			"startAt": t.StartAt.IsZero(), "endAt": t.EndAt.IsZero(), "transportMode": t.TransportMode == "",
			"distanceKm": t.TransportMode == TransportPrivateCar && t.DistanceKm == 0}
		for field, missing := range required {
			if missing {
				bad.add(field, "required", "提交前必填", "required before submitting")
			}
		}
		if len(t.People) == 0 {
			bad.add("people", "min", "至少一人", "must list at least one person")
		}
		if t.TransportMode == TransportPrivateCar && !t.NoCompanyCarAvailable {
			bad.add("noCompanyCarAvailable", "no_company_car", "只有公司暂无车辆可用时才能开私家车",
				"a private car only when no company car is available (R13)")
		}
	}
	if err := bad.err("invalid trip log"); err != nil {
		return TripLog{}, err
	}
	return t, nil
}

// Days returns the calendar days of the trip in Asia/Shanghai, both the departure and the return
// day counted (R11): leaving 23:50 and returning 00:10 the next day is 2 days. 0 while the start
// or the end is not set.
func (t TripLog) Days() int {
	if t.StartAt.IsZero() || t.EndAt.IsZero() || t.EndAt.Before(t.StartAt) {
		return 0
	}
	return DaysBetween(DateOf(t.StartAt), DateOf(t.EndAt)) + 1
}

// DaysBetween returns how many days to is after from (negative when before).
func DaysBetween(from, to Date) int {
	// Asia/Shanghai has no daylight saving time: every day is exactly 24 hours.
	return int(to.Start().Sub(from.Start()) / (24 * time.Hour))
}

// InHomeCity reports whether city is the policy's home city or a place in it: compared without
// surrounding spaces and a trailing "市", "郑州", "郑州市" and "郑州市中牟县" are in 郑州市.
func InHomeCity(p Policy, city string) bool {
	home := strings.TrimSuffix(strings.TrimSpace(p.HomeCity), "市")
	city = strings.TrimSpace(city)
	return home != "" && strings.HasPrefix(city, home)
}

// Outside reports whether the trip earns a per diem (R11): the author says it leaves the home
// city and its destination is not in the home city.
func (t TripLog) Outside(p Policy) bool {
	return t.OutsideHomeCity && !InHomeCity(p, t.DestinationCity)
}

// NeedsApproval reports whether the trip's mode needs the leader's approval before its costs
// are paid (R12, R13: the policy's ApprovalTransport).
func (t TripLog) NeedsApproval(p Policy) bool {
	return slices.Contains(p.ApprovalTransport, t.TransportMode)
}

// Approved reports whether the leader approved the trip's transport.
func (t TripLog) Approved() bool { return t.TransportApproved != nil && *t.TransportApproved }

// AwaitingApproval reports whether the trip waits for the leader's transport decision (the
// review queue): its author submitted it, its mode needs one and none was made. A draft does not
// wait for anybody yet.
func (t TripLog) AwaitingApproval(p Policy) bool {
	return t.Submitted && t.NeedsApproval(p) && t.TransportApproved == nil
}

// ApplyTripWrite decides one write of a trip log by a principal of role with user id by, at
// server time now: cur is the stored trip (nil when new or deleted), next the trip after the
// merge. It returns next with the server's stamps: SubmittedAt when it becomes submitted (zero
// when withdrawn); ReviewedBy and ReviewedAt when the leader changes a review field. A change of
// transport mode clears an earlier decision (and its stamps): the leader approved another mode.
// The author writes the data at any time; the leader only the review fields. Errors: forbidden
// for a leader editing data or any other role.
func ApplyTripWrite(role Role, by string, cur *TripLog, next TripLog, now time.Time) (TripLog, error) {
	var was TripLog
	if cur != nil {
		was = *cur
	}
	switch role {
	case RoleTechnician:
		if cur != nil && was.TransportMode != next.TransportMode && next.TransportApproved != nil {
			next.TransportApproved, next.ReviewedBy, next.ReviewedAt = nil, "", time.Time{}
		}
		switch {
		case next.Submitted && !was.Submitted:
			next.SubmittedAt = now
		case !next.Submitted:
			next.SubmittedAt = time.Time{}
		}
	case RoleLeader:
		if !sameTripData(was, next) {
			return next, Errorf(CodeForbidden, "a leader reviews trip logs, never edits them")
		}
		if !sameBool(was.TransportApproved, next.TransportApproved) || was.ReviewNote != next.ReviewNote {
			next.ReviewedBy, next.ReviewedAt = by, now
		}
	default:
		return next, Errorf(CodeForbidden, "a %s may not write trip logs", roleName(role))
	}
	return next, nil
}

func sameBool(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// sameTripData reports whether a and b hold the same author-written data.
func sameTripData(a, b TripLog) bool {
	return slices.Equal(a.WorkOrderIDs, b.WorkOrderIDs) && a.Purpose == b.Purpose && a.Origin == b.Origin &&
		a.DestinationCity == b.DestinationCity && a.OutsideHomeCity == b.OutsideHomeCity &&
		a.StartAt.Equal(b.StartAt) && a.EndAt.Equal(b.EndAt) && slices.Equal(a.People, b.People) &&
		a.TransportMode == b.TransportMode && a.ApprovalRef == b.ApprovalRef && a.DistanceKm == b.DistanceKm &&
		a.NoCompanyCarAvailable == b.NoCompanyCarAvailable && a.Note == b.Note && a.Submitted == b.Submitted
}
