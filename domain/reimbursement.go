package domain

import (
	"fmt"
	"slices"
	"strings"
)

// LineStatus says whether a reimbursement line is paid.
type LineStatus string

// The line states.
const (
	LinePaid      LineStatus = "paid"      // owed to the claimant
	LineHeld      LineStatus = "held"      // not paid until something changes; Reason says what
	LineDuplicate LineStatus = "duplicate" // the receipt image was claimed before (R16): never paid twice
)

// The kinds of reimbursement lines: the per diem, the private-car distance, and one per receipt
// category (ticket receipts are "fare").
const (
	KindPerDiem    = "per_diem"
	KindPrivateCar = "private_car"
	KindFare       = "fare"
)

// ReimbursementLine is one line of a trip's or a purchase's reimbursement: the rule that produced
// it ("R11" … "R16"; "" when no rule pays it), its kind (KindPerDiem, KindPrivateCar, KindFare or
// a receipt category), a description ("中文 / English"), the amount in fen it is worth, whether it
// is paid, and, when it is not, the reason as a FieldMessage ("not_approved: … / …", stable code
// first). ReceiptID and PhotoSHA256 name the receipt behind the line, if any. Only paid lines
// are owed: PaidFen sums them.
type ReimbursementLine struct {
	Rule        string     `json:"rule"`
	Kind        string     `json:"kind"`
	Description string     `json:"description"`
	AmountFen   int64      `json:"amountFen"`
	Status      LineStatus `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	ReceiptID   string     `json:"receiptId,omitempty"`
	PhotoSHA256 string     `json:"photoSha256,omitempty"`
}

// PaidFen returns the sum of the paid lines, in fen.
func PaidFen(lines []ReimbursementLine) int64 {
	var sum int64
	for _, l := range lines {
		if l.Status == LinePaid {
			sum += l.AmountFen
		}
	}
	return sum
}

// TripReimbursement returns the lines trip earns under p (the policy in force on the trip's
// start), one per rule application, in a stable order: the per diem, the private-car distance,
// then one line per receipt of the trip (receipts that name another record are ignored) by date
// and id.
//   - R11: a trip outside the home city (TripLog.Outside) pays PerDiemFen × people × calendar
//     days, both end days counted; flagged outside but bound for the home city is held.
//   - R12: ticket receipts are paid at their amount; taxi receipts need the leader's approval of
//     the trip when the policy lists taxi among ApprovalTransport, else they are held.
//   - R13: fuel and toll receipts are paid at their amount on a company-car trip (with approval
//     when the policy requires it), held otherwise (a private car is paid by distance); a
//     private-car trip pays DistanceKm × PrivateCarFenPerKm with approval and when no company car
//     was available; a rate of 0 holds it ("no private-car rate set").
//   - Meals are held (the per diem covers them), parts are held (they go through a purchase
//     request, R14), other receipts are held for the leader.
//   - R16: a receipt whose image claimed first another receipt (claimed, from FirstClaims) is
//     a duplicate line, never paid.
//
// While the trip is not submitted, every line that would be paid is held ("not_submitted").
func TripReimbursement(p Policy, trip TripLog, receipts []Receipt, claimed map[string]Claim) []ReimbursementLine {
	var lines []ReimbursementLine
	if trip.OutsideHomeCity {
		lines = append(lines, perDiem(p, trip))
	}
	if trip.TransportMode == TransportPrivateCar {
		lines = append(lines, privateCar(p, trip))
	}
	for _, r := range sortReceipts(receipts) {
		if r.TripLogID != trip.ID {
			continue
		}
		line := receiptLine(r)
		if dup := r.DuplicateOfIn(claimed); dup != "" {
			lines = append(lines, duplicate(line, dup))
			continue
		}
		switch r.Category {
		case ReceiptTicket:
			line.Rule, line.Kind = "R12", KindFare
		case ReceiptTaxi:
			line.Rule = "R12"
			if slices.Contains(p.ApprovalTransport, TransportTaxi) {
				line = needsApproval(line, trip)
			}
		case ReceiptFuel, ReceiptToll:
			line.Rule = "R13"
			switch trip.TransportMode {
			case TransportCompanyCar:
				if slices.Contains(p.ApprovalTransport, TransportCompanyCar) {
					line = needsApproval(line, trip)
				}
			case TransportPrivateCar:
				line = hold(line, "per_km", "私家车按里程补助，不按油费、过路费票据", "a private car is paid per km, not by fuel or toll receipts (R13)")
			default:
				line = hold(line, "company_car_only", "只有公司车辆的油费、过路费按票据报销", "fuel and tolls are paid for company cars only (R13)")
			}
		case ReceiptMeal:
			line.Rule = "R11"
			line = hold(line, "per_diem_covers", "餐费由出差餐费补助支付", "meals are covered by the per diem (R11)")
		case ReceiptParts:
			line.Rule = "R14"
			line = hold(line, "purchase_request", "配件须走采购申请", "parts are paid through a purchase request (R14)")
		default:
			line = hold(line, "no_rule", "无对应报销规则，由组长决定", "no rule pays this; the leader decides")
		}
		lines = append(lines, line)
	}
	if !trip.Submitted {
		for i, l := range lines {
			if l.Status == LinePaid {
				lines[i] = hold(l, "not_submitted", "出差登记未提交", "the trip log is not submitted")
			}
		}
	}
	return lines
}

// perDiem is R11's line for a trip flagged outside the home city.
func perDiem(p Policy, trip TripLog) ReimbursementLine {
	people, days := int64(len(trip.People)), int64(trip.Days())
	line := ReimbursementLine{Rule: "R11", Kind: KindPerDiem, Status: LinePaid, AmountFen: p.PerDiemFen * people * days,
		Description: fmt.Sprintf("出差餐费补助 %d 人 × %d 天 × %s 元 / meal allowance %d people × %d days × %s CNY",
			people, days, Yuan(p.PerDiemFen), people, days, Yuan(p.PerDiemFen))}
	switch {
	case InHomeCity(p, trip.DestinationCity):
		line.AmountFen = 0
		return hold(line, "home_city", "目的地在本市 ("+p.HomeCity+")，无出差补助", "the destination is in the home city: no per diem (R11)")
	case days == 0:
		return hold(line, "not_ended", "行程未结束", "the trip has no end yet")
	}
	return line
}

// privateCar is R13's distance line for a private-car trip.
func privateCar(p Policy, trip TripLog) ReimbursementLine {
	line := ReimbursementLine{Rule: "R13", Kind: KindPrivateCar, Status: LinePaid,
		AmountFen: trip.DistanceKm * p.PrivateCarFenPerKm,
		Description: fmt.Sprintf("私家车 %d 公里 × %s 元 / private car %d km × %s CNY",
			trip.DistanceKm, Yuan(p.PrivateCarFenPerKm), trip.DistanceKm, Yuan(p.PrivateCarFenPerKm))}
	switch {
	case !trip.Approved():
		return needsApproval(line, trip)
	case !trip.NoCompanyCarAvailable:
		return hold(line, "no_company_car", "只有公司暂无车辆可用时才能开私家车", "a private car only when no company car is available (R13)")
	case p.PrivateCarFenPerKm == 0:
		return hold(line, "no_rate", "行政人事部尚未设定私家车每公里标准", "no private-car rate set (R13)")
	case trip.DistanceKm == 0:
		return hold(line, "no_distance", "未填写里程", "no distance given")
	}
	return line
}

// PurchaseReimbursement returns the lines purchase request pr earns under p (the policy of
// pr.PolicyDate): one per receipt that names it, by date and id, at the receipt's amount
// (R14), paid once the request is payable and while the paid receipts stay within the request's
// value (TotalFen: a receipt beyond it is held, "over_approved"); held while it waits for a
// reviewer ("not_payable"), is a draft ("not_submitted") or was rejected ("rejected"); a
// duplicate image is a duplicate line (R16).
func PurchaseReimbursement(p Policy, pr PurchaseRequest, receipts []Receipt, claimed map[string]Claim) []ReimbursementLine {
	status, waiting := pr.Progress(p)
	left := pr.TotalFen()
	var lines []ReimbursementLine
	for _, r := range sortReceipts(receipts) {
		if r.PurchaseRequestID != pr.ID {
			continue
		}
		line := receiptLine(r)
		line.Rule = "R14"
		if dup := r.DuplicateOfIn(claimed); dup != "" {
			lines = append(lines, duplicate(line, dup))
			continue
		}
		switch {
		case status == PurchaseDraft:
			line = hold(line, "not_submitted", "采购申请未提交", "the purchase request is not submitted")
		case status == PurchaseRejected:
			line = hold(line, "rejected", "采购申请被驳回", "the purchase request was rejected")
		case status != PurchasePayable:
			who := roleNames(waiting)
			line = hold(line, "not_payable", "等待 "+who+" 审批", "waiting for "+who+" (R14)")
		case r.AmountFen > left:
			line = hold(line, "over_approved", fmt.Sprintf("超出批准金额，剩余 %s 元", Yuan(left)),
				fmt.Sprintf("exceeds the approved amount: %s CNY left", Yuan(left)))
		default:
			left -= r.AmountFen
		}
		lines = append(lines, line)
	}
	return lines
}

// receiptLine is the paid line of a receipt at its amount, before any rule holds it.
func receiptLine(r Receipt) ReimbursementLine {
	desc := fmt.Sprintf("%s %s票据 %s 元 / %s receipt %s CNY", r.Date, r.Category.Chinese(), Yuan(r.AmountFen), r.Category, Yuan(r.AmountFen))
	return ReimbursementLine{Kind: string(r.Category), Description: desc, AmountFen: r.AmountFen, Status: LinePaid,
		ReceiptID: r.ID, PhotoSHA256: r.Photo}
}

// needsApproval holds line unless the leader approved the trip's transport.
func needsApproval(line ReimbursementLine, trip TripLog) ReimbursementLine {
	switch {
	case trip.Approved():
		return line
	case trip.TransportApproved != nil:
		return hold(line, "refused", "组长未批准"+TransportChinese(trip.TransportMode), "the leader refused "+trip.TransportMode+" (R12)")
	}
	return hold(line, "not_approved", "等待组长批准"+TransportChinese(trip.TransportMode), "waiting for the leader's approval of "+trip.TransportMode+" (R12)")
}

func hold(line ReimbursementLine, code, zh, en string) ReimbursementLine {
	line.Status, line.Reason = LineHeld, FieldMessage(code, zh, en)
	return line
}

func duplicate(line ReimbursementLine, first string) ReimbursementLine {
	line.Rule, line.Status = "R16", LineDuplicate
	line.Reason = FieldMessage("duplicate", "与票据 "+first+" 为同一图片，不重复报销",
		"the same image as receipt "+first+": paid once (R16)")
	return line
}

func roleNames(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Yuan formats fen as CNY with two decimals: 2000 → "20.00", -5 → "-0.05".
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
