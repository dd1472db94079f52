package domain

import (
	"fmt"
	"slices"
)

// PettyCashPayout is one payout from the leader's petty-cash float (备用金, R15): an id chosen
// by the client (a UUID created offline, so that a resend records it once), the civil date, the
// amount in fen (> 0), who received it (a user id or a name), what for, and optionally the
// receipt behind it. RecordedBy is the leader's user id, stamped by Payout.
type PettyCashPayout struct {
	ID         string `json:"id"`
	Date       Date   `json:"date"`
	AmountFen  int64  `json:"amountFen"`
	Payee      string `json:"payee"`
	Purpose    string `json:"purpose"`
	ReceiptID  string `json:"receiptId,omitempty"`
	RecordedBy string `json:"recordedBy"`
}

// PettyCash is one team's petty-cash ledger for one month (R15): the float finance reserves for
// the leader (Policy.PettyCashFloatFen of the policy in force that month) and the payouts
// recorded against it. Build it with NewPettyCash or RestorePettyCash; the zero value has no float.
type PettyCash struct {
	Team     string
	Month    Month
	FloatFen int64
	payouts  []PettyCashPayout
}

// NewPettyCash returns the empty ledger of team for month, with p's float (p is the policy in
// force on the month's first day).
func NewPettyCash(p Policy, team string, month Month) PettyCash {
	return PettyCash{Team: team, Month: month, FloatFen: p.PettyCashFloatFen}
}

// RestorePettyCash rebuilds a ledger from its stored payouts, in their order, checking each as
// Payout does (without the principal). Errors: Payout's.
func RestorePettyCash(p Policy, team string, month Month, payouts []PettyCashPayout) (PettyCash, error) {
	c := NewPettyCash(p, team, month)
	for _, e := range payouts {
		if err := c.add(e); err != nil {
			return PettyCash{}, fmt.Errorf("restore petty cash %s %s: %w", team, month, err)
		}
	}
	return c, nil
}

// Balance returns what is left of the month's float, in fen (never negative).
func (c PettyCash) Balance() int64 { return c.FloatFen - c.PaidOutFen() }

// PaidOutFen returns the sum of the month's payouts, in fen.
func (c PettyCash) PaidOutFen() int64 {
	var sum int64
	for _, e := range c.payouts {
		sum += e.AmountFen
	}
	return sum
}

// Payouts returns a copy of the month's payouts, in the order they were recorded.
func (c PettyCash) Payouts() []PettyCashPayout { return slices.Clone(c.payouts) }

// Payout records e, paid out by the leader by, against the month's float (R15), stamping
// RecordedBy. Recording the same payout again (same id and content) changes nothing and returns
// nil. Errors (*Error):
//   - forbidden: by is not the leader of the ledger's team;
//   - invalid: the id is not a record id, the amount is not 1..MaxFen fen, the date is not in
//     the ledger's month, the purpose or payee is missing (Fields name each);
//   - conflict: the amount is beyond the month's balance ("balance"), or the id was already
//     used for another payout ("id"). A refused payout is a conflict with the ledger's current
//     state, not a malformed request: the same payout may pass in a month with room for it.
func (c *PettyCash) Payout(by Principal, e PettyCashPayout) error {
	if by.Role != RoleLeader || by.TeamID == "" || by.TeamID != c.Team {
		return Errorf(CodeForbidden, "only the team's leader pays out its petty cash")
	}
	e.RecordedBy = by.UserID
	return c.add(e)
}

// add checks e and appends it.
func (c *PettyCash) add(e PettyCashPayout) error {
	bad := fieldErrors{}
	if !IsRecordID(e.ID) {
		bad.add("id", "recordid", "不是记录 ID", "is not a record id")
	}
	switch {
	case e.AmountFen <= 0:
		bad.add("amountFen", "min", "必须大于 0", "must be greater than 0")
	case e.AmountFen > MaxFen:
		bad.add("amountFen", "max", fmt.Sprintf("不能超过 %d 分", int64(MaxFen)), fmt.Sprintf("must be at most %d fen", int64(MaxFen)))
	}
	if !c.Month.Contains(e.Date) {
		bad.add("date", "month", "必须在 "+c.Month.String()+" 内", "must be in "+c.Month.String())
	}
	if e.Purpose == "" {
		bad.add("purpose", "required", "必填", "required")
	}
	if e.Payee == "" {
		bad.add("payee", "required", "必填", "required")
	}
	checkRef(bad, "receiptId", e.ReceiptID)
	if err := bad.err("invalid petty-cash payout"); err != nil {
		return err
	}
	if i := slices.IndexFunc(c.payouts, func(p PettyCashPayout) bool { return p.ID == e.ID }); i >= 0 {
		if c.payouts[i] == e {
			return nil
		}
		return &Error{Code: CodeConflict, Message: "this payout id is already used", Fields: map[string]string{
			"id": FieldMessage("id", "该 ID 已用于另一笔支出", "already used for another payout")}}
	}
	if e.AmountFen > c.Balance() {
		return &Error{Code: CodeConflict, Message: fmt.Sprintf("petty cash of %s has %s CNY left", c.Month, Yuan(c.Balance())),
			Fields: map[string]string{"amountFen": FieldMessage("balance",
				fmt.Sprintf("超出本月备用金余额 (剩余 %s 元)", Yuan(c.Balance())),
				fmt.Sprintf("exceeds the month's petty-cash balance (%s CNY left)", Yuan(c.Balance())))}}
	}
	c.payouts = append(c.payouts, e)
	return nil
}
