package domain

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// ReceiptCategory is what a receipt pays for (SPEC.md 5).
type ReceiptCategory string

// The receipt categories.
const (
	ReceiptFuel   ReceiptCategory = "fuel"   // 加油 (company car, R13)
	ReceiptToll   ReceiptCategory = "toll"   // 过路费 (company car, R13)
	ReceiptTicket ReceiptCategory = "ticket" // bus, coach, train, high-speed rail fares (R12)
	ReceiptTaxi   ReceiptCategory = "taxi"   // 打的 (R12, with approval)
	ReceiptParts  ReceiptCategory = "parts"  // 配件辅料 (R14, through a purchase request)
	ReceiptMeal   ReceiptCategory = "meal"   // meals: covered by the per diem (R11)
	ReceiptOther  ReceiptCategory = "other"  // anything else: the leader decides
)

// ReceiptCategories lists every category, in the order above.
var ReceiptCategories = []ReceiptCategory{ReceiptFuel, ReceiptToll, ReceiptTicket, ReceiptTaxi,
	ReceiptParts, ReceiptMeal, ReceiptOther}

// Receipt is a 票据 (SPEC.md 5): a photo of a receipt or invoice, addressed by its SHA-256 (Photo,
// 64 lowercase hex), with its amount in fen, its civil date and category, and the one record it
// is claimed on: a trip log (TripLogID) or a purchase request (PurchaseRequestID). ID, Owner,
// Team and CreatedAt (the server's time of the first write: the order of claims, R16) come from
// the synced record; DuplicateOf is stamped by the server.
type Receipt struct {
	ID, Owner, Team   string
	Photo             string
	AmountFen         int64
	Date              Date
	Category          ReceiptCategory
	TripLogID         string
	PurchaseRequestID string
	Note              string
	ReviewNote        string
	DuplicateOf       string
	CreatedAt         time.Time
}

// NewReceipt returns r once its invariants hold: a photo (SHA-256 hex), an amount of 0..MaxFen
// fen, a date, a known category, and exactly one of tripLogId and purchaseRequestId, a record
// id. A receipt has no draft: it is complete from its first write. Errors: a *Error with code
// invalid whose Fields map JSON names to FieldMessage texts.
func NewReceipt(r Receipt) (Receipt, error) {
	bad := fieldErrors{}
	if r.Photo == "" {
		bad.add("photo", "required", "必填", "required")
	}
	checkPhoto(bad, "photo", r.Photo)
	checkFen(bad, "amountFen", r.AmountFen)
	if r.Date.IsZero() {
		bad.add("date", "required", "必填", "required")
	}
	if !slices.Contains(ReceiptCategories, r.Category) {
		bad.add("category", "oneof", "必须是 fuel、toll、ticket、taxi、parts、meal 或 other",
			"must be one of fuel, toll, ticket, taxi, parts, meal, other")
	}
	switch {
	case r.TripLogID == "" && r.PurchaseRequestID == "":
		bad.add("tripLogId", "required_without", "须关联出差登记或采购申请",
			"a receipt belongs to a trip log or a purchase request")
	case r.TripLogID != "" && r.PurchaseRequestID != "":
		bad.add("purchaseRequestId", "excluded_with", "只能关联出差登记或采购申请之一",
			"a receipt belongs to a trip log or a purchase request, not both")
	}
	checkRef(bad, "tripLogId", r.TripLogID)
	checkRef(bad, "purchaseRequestId", r.PurchaseRequestID)
	if err := bad.err("invalid receipt"); err != nil {
		return Receipt{}, err
	}
	return r, nil
}

// Claim is the first claim of a receipt image (R16): the receipt that claimed it, its owner and
// when (the receipt's CreatedAt).
type Claim struct {
	ReceiptID string
	Owner     string
	At        time.Time
}

// FirstClaims returns, per photo hash, the first receipt that claimed it: the earliest
// CreatedAt, ties broken by the smaller id, so that every server computes the same. Pass every
// live receipt of every team (an image pays once, whoever claims it again).
func FirstClaims(receipts []Receipt) map[string]Claim {
	sorted := slices.Clone(receipts)
	slices.SortFunc(sorted, func(a, b Receipt) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := map[string]Claim{}
	for _, r := range sorted {
		if _, ok := out[r.Photo]; !ok && r.Photo != "" {
			out[r.Photo] = Claim{ReceiptID: r.ID, Owner: r.Owner, At: r.CreatedAt}
		}
	}
	return out
}

// DuplicateOfIn returns the id of the receipt that first claimed r's image, or "" when r is the
// first claim or the image is not in claims (R16).
func (r Receipt) DuplicateOfIn(claims map[string]Claim) string {
	c, ok := claims[r.Photo]
	if !ok || c.ReceiptID == r.ID {
		return ""
	}
	return c.ReceiptID
}

// sortReceipts orders receipts by date, then id: the order of reimbursement lines.
func sortReceipts(rs []Receipt) []Receipt {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b Receipt) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}
