package compute

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// PettyCashID returns the id of team's petty-cash record of month m:
// domain.DerivedID("petty_cash", team, "YYYY-MM").
func PettyCashID(team string, m domain.Month) string {
	return domain.DerivedID("petty_cash", team, m.String())
}

// Updater writes one computed record under a condition decided on its current version
// (sync.Engine.UpdateAsServer: a compare-and-set in the record store, decide rerun on a clash).
type Updater interface {
	UpdateAsServer(ctx context.Context, p domain.Principal, key sync.RecordKey,
		decide func(cur *sync.Record) (*sync.ServerWrite, error)) (bool, error)
}

// PettyCashView is one team's petty-cash ledger of one month as the endpoints show it (R15):
// the float (fen, the policy in force on the month's first day), the payouts in the order they
// were recorded, and what is left (fen).
type PettyCashView struct {
	Team          string
	Month         domain.Month
	FloatFen      int64
	Payouts       []domain.PettyCashPayout
	PaidOutFen    int64
	BalanceFen    int64
	PolicyVersion int
}

// PettyCashLedgers keeps the petty-cash ledgers (R15). The ledger IS the `petty_cash` record (id
// PettyCashID, owner "server", team the team; read by the team's leader and hr, pulled like any
// computed record): fields team, month, floatFen, payouts [{id, date, amountFen, payee, purpose,
// receiptId, recordedBy}], paidOutFen, balanceFen, policyVersion. A payout is decided inside the
// record store's compare-and-set on that record (Updater): two instances recording payouts at
// once each decide on the version they write over, so the month can never be overdrawn, and a
// resent payout (same id, same content) writes nothing.
type PettyCashLedgers struct {
	records  Records
	writer   Updater
	policies *Policies
}

// NewPettyCash returns the petty-cash service on records (reads), writer (the engine) and the
// policy versions.
func NewPettyCash(records Records, writer Updater, policies *Policies) *PettyCashLedgers {
	return &PettyCashLedgers{records: records, writer: writer, policies: policies}
}

// ledgerTeam decides which team caller reads: a leader their own (team "" or theirs); hr and
// admin the one named. Errors: forbidden; invalid {"team": "required"}.
func ledgerTeam(caller domain.Principal, team string) (string, error) {
	switch caller.Role {
	case domain.RoleLeader:
		if caller.TeamID == "" || (team != "" && team != caller.TeamID) {
			return "", domain.Errorf(domain.CodeForbidden, "a leader reads their own team's petty cash")
		}
		return caller.TeamID, nil
	case domain.RoleHR, domain.RoleAdmin:
		if team == "" {
			return "", domain.Invalid("name the team", map[string]string{"team": "required"})
		}
		return team, nil
	}
	return "", domain.Errorf(domain.CodeForbidden, "a %s may not read petty cash", caller.Role)
}

// Month returns team's ledger of m as caller may read it: the team's leader (team "" means
// their own), hr and admin (team required). A month without payouts has its full float.
// Errors: forbidden; invalid; not_found when no policy was in force on the month's first day.
func (s *PettyCashLedgers) Month(ctx context.Context, caller domain.Principal, team string, m domain.Month) (PettyCashView, error) {
	team, err := ledgerTeam(caller, team)
	if err != nil {
		return PettyCashView{}, err
	}
	p, err := s.policies.At(ctx, m.First())
	if err != nil {
		return PettyCashView{}, err
	}
	key := sync.RecordKey{Collection: domain.CollPettyCash, ID: PettyCashID(team, m)}
	got, err := s.records.GetMany(ctx, []sync.RecordKey{key})
	if err != nil {
		return PettyCashView{}, fmt.Errorf("load petty cash %s %s: %w", team, m, err)
	}
	c, err := ledgerOf(p, team, m, got[key])
	if err != nil {
		return PettyCashView{}, err
	}
	return viewOf(c, p), nil
}

// Payout records e against the month's float of caller's team (R15): caller must be a leader
// (domain.PettyCash.Payout). The same payout sent again changes nothing and answers the ledger.
// Errors: forbidden; invalid (per field: id, amountFen, date, payee, purpose, receiptId);
// conflict {"amountFen": "balance: …"} beyond the balance, {"id": …} for an id used for another
// payout; not_found when no policy was in force on the month's first day.
func (s *PettyCashLedgers) Payout(ctx context.Context, caller domain.Principal, m domain.Month, e domain.PettyCashPayout) (PettyCashView, error) {
	if caller.Role != domain.RoleLeader || caller.TeamID == "" {
		return PettyCashView{}, domain.Errorf(domain.CodeForbidden, "only a team's leader pays out its petty cash")
	}
	p, err := s.policies.At(ctx, m.First())
	if err != nil {
		return PettyCashView{}, err
	}
	team := caller.TeamID
	key := sync.RecordKey{Collection: domain.CollPettyCash, ID: PettyCashID(team, m)}
	var after domain.PettyCash
	_, err = s.writer.UpdateAsServer(ctx, ServerPrincipal, key, func(cur *sync.Record) (*sync.ServerWrite, error) {
		c, err := ledgerOf(p, team, m, cur)
		if err != nil {
			return nil, err
		}
		if err := c.Payout(caller, e); err != nil {
			return nil, err
		}
		after = c
		return &sync.ServerWrite{Collection: key.Collection, ID: key.ID, Owner: ServerPrincipal.UserID, Team: team,
			Fields: pettyCashFields(c, p)}, nil
	})
	if err != nil {
		return PettyCashView{}, err
	}
	return viewOf(after, p), nil
}

// ledgerOf rebuilds the ledger a record holds (nil: an empty one).
func ledgerOf(p domain.Policy, team string, m domain.Month, rec *sync.Record) (domain.PettyCash, error) {
	if rec == nil || rec.Deleted {
		return domain.NewPettyCash(p, team, m), nil
	}
	payouts, err := payoutsOf(rec.Fields["payouts"])
	if err != nil {
		return domain.PettyCash{}, &domain.Error{Code: domain.CodeInternal, Message: "stored petty cash unreadable", Err: err}
	}
	c, err := domain.RestorePettyCash(p, team, m, payouts)
	if err != nil {
		return domain.PettyCash{}, &domain.Error{Code: domain.CodeInternal, Message: "stored petty cash inconsistent", Err: err}
	}
	return c, nil
}

// payoutsOf reads the stored payouts (a list of objects, as the store gives them back).
func payoutsOf(v any) ([]domain.PettyCashPayout, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out []domain.PettyCashPayout
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// pettyCashFields is the petty_cash record of c (numbers int64).
func pettyCashFields(c domain.PettyCash, p domain.Policy) map[string]any {
	payouts := make([]any, 0)
	for _, e := range c.Payouts() {
		item := map[string]any{"id": e.ID, "date": e.Date.String(), "amountFen": e.AmountFen, "payee": e.Payee,
			"purpose": e.Purpose, "recordedBy": e.RecordedBy}
		if e.ReceiptID != "" {
			item["receiptId"] = e.ReceiptID
		}
		payouts = append(payouts, item)
	}
	return map[string]any{"team": c.Team, "month": c.Month.String(), "floatFen": c.FloatFen, "payouts": payouts,
		"paidOutFen": c.PaidOutFen(), "balanceFen": c.Balance(), "policyVersion": int64(p.Version)}
}

func viewOf(c domain.PettyCash, p domain.Policy) PettyCashView {
	return PettyCashView{Team: c.Team, Month: c.Month, FloatFen: c.FloatFen, Payouts: c.Payouts(),
		PaidOutFen: c.PaidOutFen(), BalanceFen: c.Balance(), PolicyVersion: p.Version}
}
