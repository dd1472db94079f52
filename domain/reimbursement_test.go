package domain

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// recLine is what a test expects of one line: "R11 per_diem 12000 paid" or
// "R12 taxi 3500 held not_approved" (the reason's code last).
func recLine(l ReimbursementLine) string {
	s := fmt.Sprintf("%s %s %d %s", l.Rule, l.Kind, l.AmountFen, l.Status)
	if l.Reason != "" {
		s += " " + FieldCode(l.Reason)
	}
	return s
}

func recLines(lines []ReimbursementLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = recLine(l)
	}
	return out
}

// recReceipt is a receipt of the trip or purchase parent, claimed at minute n of 2026-11-02.
func recReceipt(id string, n int, cat ReceiptCategory, fen int64, parent string) Receipt {
	r := Receipt{ID: id, Photo: fmt.Sprintf("%064x", n), AmountFen: fen, Date: Date{2026, 11, 2}, Category: cat,
		CreatedAt: recAt(2026, 11, 2, 9, n)}
	if strings.HasPrefix(parent, "pr") {
		r.PurchaseRequestID = parent
	} else {
		r.TripLogID = parent
	}
	return r
}

func TestTripReimbursement(t *testing.T) {
	yes, no := true, false
	withRate := func(fenPerKm int64) Policy { p := DefaultPolicy(); p.PrivateCarFenPerKm = fenPerKm; return p }
	cases := []struct {
		name     string
		policy   Policy
		change   func(tr *TripLog)
		receipts []Receipt
		want     []string
		paid     int64
	}{
		{"R11: 2 people × 3 days × 20.00 CNY, coach tickets at their amounts", DefaultPolicy(), func(*TripLog) {},
			[]Receipt{recReceipt("r1", 1, ReceiptTicket, 4_550, "trip-1"), recReceipt("r2", 2, ReceiptTicket, 4_550, "trip-1")},
			[]string{"R11 per_diem 12000 paid", "R12 fare 4550 paid", "R12 fare 4550 paid"}, 21_100},
		{"R11: leaves 23:50, returns 00:10: 2 days", DefaultPolicy(), func(tr *TripLog) {
			tr.People = tr.People[:1]
			tr.StartAt, tr.EndAt = recAt(2026, 11, 2, 23, 50), recAt(2026, 11, 3, 0, 10)
		}, nil, []string{"R11 per_diem 4000 paid"}, 4_000},
		{"R11: a trip inside the home city pays no per diem", DefaultPolicy(), func(tr *TripLog) {
			tr.DestinationCity, tr.OutsideHomeCity = "郑州市中原区", false
		}, []Receipt{recReceipt("r1", 1, ReceiptTicket, 200, "trip-1")}, []string{"R12 fare 200 paid"}, 200},
		{"R11: flagged outside but bound for the home city is held", DefaultPolicy(), func(tr *TripLog) { tr.DestinationCity = "郑州" },
			nil, []string{"R11 per_diem 0 held home_city"}, 0},
		{"R12: a taxi without approval is held", DefaultPolicy(), func(tr *TripLog) { tr.TransportMode, tr.OutsideHomeCity = TransportTaxi, false },
			[]Receipt{recReceipt("r1", 1, ReceiptTaxi, 3_500, "trip-1")}, []string{"R12 taxi 3500 held not_approved"}, 0},
		{"R12: a refused taxi is held as refused", DefaultPolicy(), func(tr *TripLog) {
			tr.TransportMode, tr.OutsideHomeCity, tr.TransportApproved = TransportTaxi, false, &no
		}, []Receipt{recReceipt("r1", 1, ReceiptTaxi, 3_500, "trip-1")}, []string{"R12 taxi 3500 held refused"}, 0},
		{"R12: an approved taxi is paid at its receipt", DefaultPolicy(), func(tr *TripLog) {
			tr.TransportMode, tr.OutsideHomeCity, tr.TransportApproved = TransportTaxi, false, &yes
		}, []Receipt{recReceipt("r1", 1, ReceiptTaxi, 3_500, "trip-1")}, []string{"R12 taxi 3500 paid"}, 3_500},
		{"R13: company car fuel and tolls with approval", DefaultPolicy(), func(tr *TripLog) {
			tr.TransportMode, tr.DistanceKm, tr.TransportApproved = TransportCompanyCar, 260, &yes
		}, []Receipt{recReceipt("r1", 1, ReceiptFuel, 30_000, "trip-1"), recReceipt("r2", 2, ReceiptToll, 6_500, "trip-1")},
			[]string{"R11 per_diem 12000 paid", "R13 fuel 30000 paid", "R13 toll 6500 paid"}, 48_500},
		{"R13: company car fuel without approval is held", DefaultPolicy(), func(tr *TripLog) {
			tr.TransportMode, tr.OutsideHomeCity = TransportCompanyCar, false
		}, []Receipt{recReceipt("r1", 1, ReceiptFuel, 30_000, "trip-1")}, []string{"R13 fuel 30000 held not_approved"}, 0},
		{"R13: fuel on a coach trip is not a company car's", DefaultPolicy(), func(tr *TripLog) { tr.OutsideHomeCity = false },
			[]Receipt{recReceipt("r1", 1, ReceiptFuel, 30_000, "trip-1")}, []string{"R13 fuel 30000 held company_car_only"}, 0},
		{"R13: a private car with no rate set is held", DefaultPolicy(), func(tr *TripLog) {
			tr.TransportMode, tr.DistanceKm, tr.NoCompanyCarAvailable, tr.TransportApproved = TransportPrivateCar, 260, true, &yes
			tr.OutsideHomeCity = false
		}, nil, []string{"R13 private_car 0 held no_rate"}, 0},
		{"R13: a private car pays km × rate; its fuel receipts are held", withRate(80), func(tr *TripLog) {
			tr.TransportMode, tr.DistanceKm, tr.NoCompanyCarAvailable, tr.TransportApproved = TransportPrivateCar, 260, true, &yes
			tr.OutsideHomeCity = false
		}, []Receipt{recReceipt("r1", 1, ReceiptFuel, 30_000, "trip-1")},
			[]string{"R13 private_car 20800 paid", "R13 fuel 30000 held per_km"}, 20_800},
		{"R13: a private car without approval", withRate(80), func(tr *TripLog) {
			tr.TransportMode, tr.DistanceKm, tr.NoCompanyCarAvailable, tr.OutsideHomeCity = TransportPrivateCar, 260, true, false
		}, nil, []string{"R13 private_car 20800 held not_approved"}, 0},
		{"R13: a private car while a company car was free", withRate(80), func(tr *TripLog) {
			tr.TransportMode, tr.DistanceKm, tr.TransportApproved, tr.OutsideHomeCity = TransportPrivateCar, 260, &yes, false
		}, nil, []string{"R13 private_car 20800 held no_company_car"}, 0},
		{"meals, parts and other receipts are held", DefaultPolicy(), func(tr *TripLog) { tr.OutsideHomeCity = false },
			[]Receipt{recReceipt("r1", 1, ReceiptMeal, 3_000, "trip-1"), recReceipt("r2", 2, ReceiptParts, 9_000, "trip-1"),
				recReceipt("r3", 3, ReceiptOther, 100, "trip-1")},
			[]string{"R11 meal 3000 held per_diem_covers", "R14 parts 9000 held purchase_request", " other 100 held no_rule"}, 0},
		{"R16: an image claimed first elsewhere is a duplicate", DefaultPolicy(), func(tr *TripLog) { tr.OutsideHomeCity = false },
			[]Receipt{recReceipt("r1", 1, ReceiptTicket, 4_550, "trip-1"), recReceipt("r2", 2, ReceiptTicket, 4_550, "trip-1")},
			[]string{"R16 ticket 4550 duplicate duplicate", "R12 fare 4550 paid"}, 4_550},
		{"receipts of other records are not this trip's", DefaultPolicy(), func(tr *TripLog) { tr.OutsideHomeCity = false },
			[]Receipt{recReceipt("r1", 1, ReceiptTicket, 4_550, "trip-2"), recReceipt("r2", 2, ReceiptParts, 4_550, "pr-1")}, nil, 0},
		{"not submitted: everything owed is held", DefaultPolicy(), func(tr *TripLog) { tr.Submitted = false },
			[]Receipt{recReceipt("r1", 1, ReceiptTicket, 4_550, "trip-1")},
			[]string{"R11 per_diem 12000 held not_submitted", "R12 fare 4550 held not_submitted"}, 0},
		{"on the way: no end, no per diem yet", DefaultPolicy(), func(tr *TripLog) { tr.Submitted, tr.EndAt = false, time.Time{} },
			nil, []string{"R11 per_diem 0 held not_ended"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trip := recTrip()
			trip.People = slices.Clone(trip.People)
			tc.change(&trip)
			claims := FirstClaims(tc.receipts)
			if strings.HasPrefix(tc.name, "R16") {
				// r1's image was first claimed on another trip.
				claims = FirstClaims(append(slices.Clone(tc.receipts), Receipt{ID: "r0", Photo: tc.receipts[0].Photo,
					CreatedAt: recAt(2026, 10, 1, 9, 0), TripLogID: "trip-0"}))
			}
			lines := TripReimbursement(tc.policy, trip, tc.receipts, claims)
			if got := recLines(lines); !slices.Equal(got, tc.want) {
				t.Fatalf("lines\n got %q\nwant %q", got, tc.want)
			}
			if got := PaidFen(lines); got != tc.paid {
				t.Errorf("paid %d, want %d", got, tc.paid)
			}
		})
	}
}

func TestPurchaseReimbursement(t *testing.T) {
	p := DefaultPolicy()
	approve := func(pr *PurchaseRequest, full bool) {
		pr.LeaderDecision = DecisionApproved
		if full {
			pr.PurchasingDecision, pr.GMDecision, pr.PurchasingSignedOff = DecisionApproved, DecisionApproved, true
		}
	}
	cases := []struct {
		name     string
		pr       PurchaseRequest
		change   func(pr *PurchaseRequest)
		receipts []Receipt
		want     []string
	}{
		{"R14: 499.99 after the leader's approval is paid at the receipt", recPurchase(1, 49_999),
			func(pr *PurchaseRequest) { approve(pr, false) },
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 48_000, "pr-1")}, []string{"R14 parts 48000 paid"}},
		{"R14: 499.99 before the leader's approval is held", recPurchase(1, 49_999), func(*PurchaseRequest) {},
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 48_000, "pr-1")}, []string{"R14 parts 48000 held not_payable"}},
		{"R14: exactly 500.00 with only the leader's approval is held", recPurchase(1, 50_000),
			func(pr *PurchaseRequest) { approve(pr, false) },
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 50_000, "pr-1")}, []string{"R14 parts 50000 held not_payable"}},
		{"R14: exactly 500.00 after the full chain is paid", recPurchase(1, 50_000),
			func(pr *PurchaseRequest) { approve(pr, true) },
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 50_000, "pr-1")}, []string{"R14 parts 50000 paid"}},
		{"R14: receipts beyond the approved value are held", recPurchase(1, 30_000),
			func(pr *PurchaseRequest) { approve(pr, false) },
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 20_000, "pr-1"), recReceipt("r2", 2, ReceiptParts, 15_000, "pr-1")},
			[]string{"R14 parts 20000 paid", "R14 parts 15000 held over_approved"}},
		{"rejected", recPurchase(1, 30_000), func(pr *PurchaseRequest) { pr.LeaderDecision = DecisionRejected },
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 20_000, "pr-1")}, []string{"R14 parts 20000 held rejected"}},
		{"a draft", recPurchase(1, 30_000), func(pr *PurchaseRequest) { pr.Submitted = false },
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 20_000, "pr-1")}, []string{"R14 parts 20000 held not_submitted"}},
		{"R16: the same image twice pays once", recPurchase(1, 30_000), func(pr *PurchaseRequest) { approve(pr, false) },
			[]Receipt{recReceipt("r1", 1, ReceiptParts, 20_000, "pr-1"), recReceipt("r2", 1, ReceiptParts, 20_000, "pr-1")},
			[]string{"R14 parts 20000 paid", "R16 parts 20000 duplicate duplicate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pr := tc.pr
			tc.change(&pr)
			lines := PurchaseReimbursement(p, pr, tc.receipts, FirstClaims(tc.receipts))
			if got := recLines(lines); !slices.Equal(got, tc.want) {
				t.Fatalf("lines\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 2000: "20.00", 50000: "500.00", 5: "0.05", -5: "-0.05", 123456: "1234.56"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}
