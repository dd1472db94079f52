package domain

import (
	"testing"
	"time"
)

// recTrip is a submitted coach trip of two people from 郑州 to 洛阳, 3 calendar days.
func recTrip() TripLog {
	return TripLog{ID: "trip-1", Owner: recTech, Team: recTeam, Purpose: "维修", Origin: "郑州市",
		DestinationCity: "洛阳市", OutsideHomeCity: true, StartAt: recAt(2026, 11, 2, 8, 0), EndAt: recAt(2026, 11, 4, 18, 0),
		People: []string{recTech, recTech2}, TransportMode: TransportCoach, Submitted: true}
}

func TestNewWorkOrder(t *testing.T) {
	base := WorkOrder{CustomerName: "张三", CustomerPhone: "0371-6512 3456", ServiceType: ServicePaid, Assignees: []string{recTech}}
	cases := []struct {
		name   string
		change func(w *WorkOrder)
		want   map[string]string
	}{
		{"a paid call", func(*WorkOrder) {}, nil},
		{"admin work has no customer", func(w *WorkOrder) { w.CustomerName, w.ServiceType = "", ServiceAdmin }, nil},
		{"a customer call needs the customer", func(w *WorkOrder) { w.CustomerName = "" }, map[string]string{"customerName": "required"}},
		{"no service type", func(w *WorkOrder) { w.ServiceType = "" }, map[string]string{"serviceType": "oneof"}},
		{"an unknown service type", func(w *WorkOrder) { w.ServiceType = "free" }, map[string]string{"serviceType": "oneof"}},
		{"a phone with letters", func(w *WorkOrder) { w.CustomerPhone = "call me" }, map[string]string{"customerPhone": "phone"}},
		{"an assignee twice", func(w *WorkOrder) { w.Assignees = []string{recTech, recTech} }, map[string]string{"assignees[1]": "unique"}},
		{"an unknown status", func(w *WorkOrder) { w.Status = "paused" }, map[string]string{"status": "oneof"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := base
			tc.change(&w)
			got, err := NewWorkOrder(w)
			if tc.want != nil {
				recWantFields(t, err, CodeInvalid, tc.want)
				return
			}
			recWantFields(t, err, "", nil)
			if got.Status != WorkOrderOpen || !got.AssignedTo(w.Assignees[0]) || got.AssignedTo("") {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestNewTripLog(t *testing.T) {
	cases := []struct {
		name   string
		change func(tr *TripLog)
		want   map[string]string
	}{
		{"a submitted coach trip", func(*TripLog) {}, nil},
		{"a draft on the way, no end yet", func(tr *TripLog) { tr.Submitted, tr.EndAt, tr.Purpose = false, time.Time{}, "" }, nil},
		{"submitted without an end", func(tr *TripLog) { tr.EndAt = time.Time{} }, map[string]string{"endAt": "required"}},
		{"submitted without people", func(tr *TripLog) { tr.People = nil }, map[string]string{"people": "min"}},
		{"the end before the start", func(tr *TripLog) { tr.EndAt = tr.StartAt.Add(-time.Hour) }, map[string]string{"endAt": "after"}},
		{"distance on a coach", func(tr *TripLog) { tr.DistanceKm = 120 }, map[string]string{"distanceKm": "cars_only"}},
		{"distance in a company car", func(tr *TripLog) { tr.TransportMode, tr.DistanceKm = TransportCompanyCar, 120 }, nil},
		{"a negative distance", func(tr *TripLog) { tr.TransportMode, tr.DistanceKm = TransportCompanyCar, -1 }, map[string]string{"distanceKm": "min"}},
		{"a private car while a company car was free", func(tr *TripLog) { tr.TransportMode, tr.DistanceKm = TransportPrivateCar, 120 },
			map[string]string{"noCompanyCarAvailable": "no_company_car"}},
		{"a private car without its distance", func(tr *TripLog) { tr.TransportMode, tr.NoCompanyCarAvailable = TransportPrivateCar, true },
			map[string]string{"distanceKm": "required"}},
		{"a private car, no company car free", func(tr *TripLog) {
			tr.TransportMode, tr.NoCompanyCarAvailable, tr.DistanceKm = TransportPrivateCar, true, 260
		}, nil},
		{"by plane", func(tr *TripLog) { tr.TransportMode = "plane" }, map[string]string{"transportMode": "oneof"}},
		{"a work order reference with a space", func(tr *TripLog) { tr.WorkOrderIDs = []string{"wo 1"} },
			map[string]string{"workOrderIds[0]": "recordid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := recTrip()
			tc.change(&tr)
			_, err := NewTripLog(tr)
			if tc.want == nil {
				recWantFields(t, err, "", nil)
				return
			}
			recWantFields(t, err, CodeInvalid, tc.want)
		})
	}
}

func TestTripDays(t *testing.T) {
	cases := []struct {
		name       string
		start, end time.Time
		want       int
	}{
		{"same day", recAt(2026, 11, 2, 8, 0), recAt(2026, 11, 2, 18, 0), 1},
		{"leaves 23:50, returns 00:10", recAt(2026, 11, 2, 23, 50), recAt(2026, 11, 3, 0, 10), 2},
		{"three calendar days", recAt(2026, 11, 2, 8, 0), recAt(2026, 11, 4, 18, 0), 3},
		{"across a month end", recAt(2026, 11, 30, 8, 0), recAt(2026, 12, 1, 8, 0), 2},
		{"a phone clock in UTC: 15:50Z is 23:50 in Shanghai", time.Date(2026, 11, 2, 15, 50, 0, 0, time.UTC),
			time.Date(2026, 11, 2, 16, 10, 0, 0, time.UTC), 2},
		{"no end yet", recAt(2026, 11, 2, 8, 0), time.Time{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (TripLog{StartAt: tc.start, EndAt: tc.end}).Days(); got != tc.want {
				t.Errorf("Days = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestInHomeCity(t *testing.T) {
	p := DefaultPolicy()
	for city, want := range map[string]bool{"郑州市": true, "郑州": true, " 郑州市 ": true, "郑州市中牟县": true,
		"洛阳市": false, "开封": false, "": false} {
		if got := InHomeCity(p, city); got != want {
			t.Errorf("InHomeCity(%q) = %v, want %v", city, got, want)
		}
	}
}

func TestApplyTripWrite(t *testing.T) {
	now := recAt(2026, 11, 2, 7, 0)
	yes, no := true, false
	taxi := recTrip()
	taxi.TransportMode, taxi.Submitted = TransportTaxi, false
	approved := taxi
	approved.TransportApproved, approved.ReviewedBy, approved.ReviewedAt = &yes, recLeader, now.Add(-time.Hour)
	with := func(tr TripLog, change func(*TripLog)) TripLog { change(&tr); return tr }
	cases := []struct {
		name  string
		role  Role
		cur   *TripLog
		next  TripLog
		code  Code
		check func(t *testing.T, got TripLog)
	}{
		{"leader approves a taxi before the trip", RoleLeader, &taxi, with(taxi, func(tr *TripLog) { tr.TransportApproved = &yes }), "",
			func(t *testing.T, got TripLog) {
				if !got.Approved() || got.ReviewedBy != "u-writer" || !got.ReviewedAt.Equal(now) {
					t.Errorf("not stamped: %+v", got)
				}
			}},
		{"leader refuses", RoleLeader, &taxi, with(taxi, func(tr *TripLog) { tr.TransportApproved = &no }), "",
			func(t *testing.T, got TripLog) {
				if got.Approved() || got.TransportApproved == nil || got.AwaitingApproval(DefaultPolicy()) {
					t.Errorf("got %+v", got)
				}
			}},
		{"a new mode clears the approval", RoleTechnician, &approved, with(approved, func(tr *TripLog) { tr.TransportMode = TransportPrivateCar }), "",
			func(t *testing.T, got TripLog) {
				if got.TransportApproved != nil || got.ReviewedBy != "" || !got.NeedsApproval(DefaultPolicy()) {
					t.Errorf("approval kept: %+v", got)
				}
				got.Submitted = false
				if got.AwaitingApproval(DefaultPolicy()) {
					t.Errorf("a draft waits for the leader: %+v", got)
				}
				got.Submitted = true
				if !got.AwaitingApproval(DefaultPolicy()) {
					t.Errorf("a submitted trip without approval does not wait: %+v", got)
				}
			}},
		{"other edits keep it", RoleTechnician, &approved, with(approved, func(tr *TripLog) { tr.Note = "堵车" }), "",
			func(t *testing.T, got TripLog) {
				if !got.Approved() {
					t.Errorf("approval lost: %+v", got)
				}
			}},
		{"submitting stamps submittedAt", RoleTechnician, &approved, with(approved, func(tr *TripLog) { tr.Submitted = true }), "",
			func(t *testing.T, got TripLog) {
				if !got.SubmittedAt.Equal(now) {
					t.Errorf("submittedAt %v", got.SubmittedAt)
				}
			}},
		{"leader edits data", RoleLeader, &taxi, with(taxi, func(tr *TripLog) { tr.DistanceKm = 5 }), CodeForbidden, nil},
		{"hr writes", RoleHR, &taxi, taxi, CodeForbidden, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplyTripWrite(tc.role, "u-writer", tc.cur, tc.next, now)
			if ErrorCode(err) != tc.code {
				t.Fatalf("error %v, want %q", err, tc.code)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestNewReceiptAndFirstClaims(t *testing.T) {
	base := Receipt{ID: "r-1", Photo: recPhoto, AmountFen: 4550, Date: Date{2026, 11, 2}, Category: ReceiptTicket, TripLogID: "trip-1"}
	cases := []struct {
		name   string
		change func(r *Receipt)
		want   map[string]string
	}{
		{"a ticket of a trip", func(*Receipt) {}, nil},
		{"a zero amount is an amount", func(r *Receipt) { r.AmountFen = 0 }, nil},
		{"negative", func(r *Receipt) { r.AmountFen = -1 }, map[string]string{"amountFen": "min"}},
		{"no photo", func(r *Receipt) { r.Photo = "" }, map[string]string{"photo": "required"}},
		{"a photo that is no hash", func(r *Receipt) { r.Photo = "abc" }, map[string]string{"photo": "sha256"}},
		{"no date", func(r *Receipt) { r.Date = Date{} }, map[string]string{"date": "required"}},
		{"an unknown category", func(r *Receipt) { r.Category = "hotel" }, map[string]string{"category": "oneof"}},
		{"no record", func(r *Receipt) { r.TripLogID = "" }, map[string]string{"tripLogId": "required_without"}},
		{"two records", func(r *Receipt) { r.PurchaseRequestID = "pr-1" }, map[string]string{"purchaseRequestId": "excluded_with"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.change(&r)
			_, err := NewReceipt(r)
			if tc.want == nil {
				recWantFields(t, err, "", nil)
				return
			}
			recWantFields(t, err, CodeInvalid, tc.want)
		})
	}
	t.Run("the earliest claim wins, ties by id, in any order", func(t *testing.T) {
		at := recAt(2026, 11, 2, 9, 0)
		rs := []Receipt{{ID: "c", Photo: recPhoto, CreatedAt: at.Add(time.Minute)}, {ID: "b", Photo: recPhoto, CreatedAt: at},
			{ID: "a", Photo: recPhoto, CreatedAt: at}, {ID: "d", Photo: recPhoto2, CreatedAt: at.Add(time.Hour)}}
		for _, order := range [][]Receipt{rs, {rs[3], rs[2], rs[1], rs[0]}} {
			claims := FirstClaims(order)
			if claims[recPhoto].ReceiptID != "a" || claims[recPhoto2].ReceiptID != "d" {
				t.Fatalf("claims %v", claims)
			}
			if rs[0].DuplicateOfIn(claims) != "a" || rs[2].DuplicateOfIn(claims) != "" || rs[3].DuplicateOfIn(claims) != "" {
				t.Errorf("duplicates wrong: %v", claims)
			}
		}
	})
}
