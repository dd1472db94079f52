package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// PettyCashService is what the petty-cash endpoints need (compute.PettyCashLedgers, R15).
type PettyCashService interface {
	Month(ctx context.Context, caller domain.Principal, team string, m domain.Month) (compute.PettyCashView, error)
	Payout(ctx context.Context, caller domain.Principal, m domain.Month, e domain.PettyCashPayout) (compute.PettyCashView, error)
}

// pettyCashRoutes registers the petty-cash endpoints (docs/rules.md).
func (s *Server) pettyCashRoutes() {
	s.app.Get("/v1/petty-cash/:month", s.requireAuth, s.getPettyCash)
	s.app.Post("/v1/petty-cash/:month/payouts", s.requireAuth, s.postPayout)
}

// payoutRequest is the body of POST /v1/petty-cash/:month/payouts. The id is the client's
// (a UUID created offline): sending the same payout again records it once.
type payoutRequest struct {
	ID        string `json:"id" validate:"required,max=64"`
	Date      string `json:"date" validate:"required,datetime=2006-01-02"`
	AmountFen int64  `json:"amountFen" validate:"required,min=1"`
	Payee     string `json:"payee" validate:"required,max=100"`
	Purpose   string `json:"purpose" validate:"required,max=500"`
	ReceiptID string `json:"receiptId" validate:"omitempty,max=64"`
}

// pettyCashJSON is a month's ledger: {team, month, floatFen, payouts, paidOutFen, balanceFen,
// policyVersion}.
type pettyCashJSON struct {
	Team          string                   `json:"team"`
	Month         string                   `json:"month"`
	FloatFen      int64                    `json:"floatFen"`
	Payouts       []domain.PettyCashPayout `json:"payouts"`
	PaidOutFen    int64                    `json:"paidOutFen"`
	BalanceFen    int64                    `json:"balanceFen"`
	PolicyVersion int                      `json:"policyVersion"`
}

func toPettyCashJSON(v compute.PettyCashView) pettyCashJSON {
	payouts := v.Payouts
	if payouts == nil {
		payouts = []domain.PettyCashPayout{}
	}
	return pettyCashJSON{Team: v.Team, Month: v.Month.String(), FloatFen: v.FloatFen, Payouts: payouts,
		PaidOutFen: v.PaidOutFen, BalanceFen: v.BalanceFen, PolicyVersion: v.PolicyVersion}
}

// getPettyCash handles GET /v1/petty-cash/:month[?team=] → the month's ledger (the team's
// leader; hr and admin name the team). Errors: 400 {"month": "month"} or {"team": "required"};
// 403.
func (s *Server) getPettyCash(c *fiber.Ctx) error {
	m, err := monthParam(c)
	if err != nil {
		return err
	}
	v, err := s.deps.PettyCash.Month(c.UserContext(), principalOf(c), c.Query("team"), m)
	if err != nil {
		return err
	}
	return c.JSON(toPettyCashJSON(v))
}

// postPayout handles POST /v1/petty-cash/:month/payouts {id, date, amountFen, payee, purpose,
// receiptId} → 201 the ledger after it (the team's leader, R15); a resend of the same payout
// answers 201 with the ledger unchanged. Errors: 400 per field; 403; 409 {"amountFen":
// "balance: …"} beyond the month's balance, {"id": …} for an id used by another payout.
func (s *Server) postPayout(c *fiber.Ctx) error {
	m, err := monthParam(c)
	if err != nil {
		return err
	}
	var req payoutRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	d, err := domain.ParseDate(req.Date)
	if err != nil {
		return domain.Invalid("invalid date", map[string]string{"date": "date"})
	}
	v, err := s.deps.PettyCash.Payout(c.UserContext(), principalOf(c), m, domain.PettyCashPayout{ID: req.ID, Date: d,
		AmountFen: req.AmountFen, Payee: req.Payee, Purpose: req.Purpose, ReceiptID: req.ReceiptID})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toPettyCashJSON(v))
}
