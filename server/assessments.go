package server

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// ScoringService is what the month and bonus endpoints need (compute.Worker).
type ScoringService interface {
	Month(ctx context.Context, caller domain.Principal, team string, m domain.Month) (compute.MonthView, error)
	CloseMonth(ctx context.Context, caller domain.Principal, address string, m domain.Month) (compute.MonthView, error)
	ComputeBonuses(ctx context.Context, caller domain.Principal, address string, year int, team string) ([]domain.Bonus, error)
}

// scoringRoutes registers the month-closing and bonus endpoints (docs/rules.md). The computed
// records themselves (assessments, grade_reviews, year_end_bonuses) are pulled like any other.
func (s *Server) scoringRoutes() {
	s.app.Get("/v1/months/:month", s.requireAuth, s.getMonth)
	s.app.Post("/v1/months/:month/close", s.requireAuth, s.closeMonth)
	s.app.Post("/v1/year-end-bonuses/:year/compute", s.requireAuth, s.computeBonuses)
}

// monthParam reads the :month path parameter ("YYYY-MM"). Errors: 400 {"month": "month"}.
func monthParam(c *fiber.Ctx) (domain.Month, error) {
	m, err := domain.ParseMonth(c.Params("month"))
	if err != nil || m.IsZero() {
		return domain.Month{}, domain.Invalid("invalid month", map[string]string{"month": "month"})
	}
	return m, nil
}

// getMonth handles GET /v1/months/:month[?team=] → the month as it stands (or as it was closed)
// with what is pending (the team's leader; an admin names the team).
func (s *Server) getMonth(c *fiber.Ctx) error {
	m, err := monthParam(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Scoring.Month(c.UserContext(), principalOf(c), c.Query("team"), m)
	if err != nil {
		return err
	}
	return c.JSON(toMonthJSON(v))
}

// closeMonth handles POST /v1/months/:month/close → the closed month (R5; the team's leader).
// Errors: 403; 400 {"month": "ended" | "no_policy" | "month"}; 409 already closed, or
// {"month": "eq=<the next month to close>"}.
func (s *Server) closeMonth(c *fiber.Ctx) error {
	m, err := monthParam(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Scoring.CloseMonth(c.UserContext(), principalOf(c), c.IP(), m)
	if err != nil {
		return err
	}
	return c.JSON(toMonthJSON(v))
}

// computeBonuses handles POST /v1/year-end-bonuses/:year/compute[?team=] → {"year", "bonuses"}
// (leader: their team; hr and admin: every team or the one named). Errors: 403; 400
// {"year": "number" | "min=2000" | "max=2999"}.
func (s *Server) computeBonuses(c *fiber.Ctx) error {
	year, err := strconv.Atoi(c.Params("year"))
	if err != nil {
		return domain.Invalid("invalid year", map[string]string{"year": "number"})
	}
	bonuses, err := s.deps.Scoring.ComputeBonuses(c.UserContext(), principalOf(c), c.IP(), year, c.Query("team"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"year": year, "bonuses": mapSlice(bonuses, toBonusJSON)})
}

// monthJSON is a month as the endpoints show it.
type monthJSON struct {
	Team        string        `json:"team"`
	Month       string        `json:"month"`
	State       string        `json:"state"` // open | closed
	ClosedAt    string        `json:"closedAt,omitempty"`
	ClosedBy    string        `json:"closedBy,omitempty"`
	CloseDue    string        `json:"closeDue,omitempty"`
	Overdue     bool          `json:"overdue"`
	Assessments []scoreJSON   `json:"assessments"`
	Pending     []pendingJSON `json:"pending"`
}

type scoreJSON struct {
	TechnicianID  string     `json:"technicianId"`
	Base          int        `json:"base"`
	Deductions    int        `json:"deductions"`
	Additions     int        `json:"additions"`
	Total         int        `json:"total"`
	PolicyVersion int        `json:"policyVersion"`
	Lines         []lineJSON `json:"lines"`
}

type lineJSON struct {
	IncidentID   string `json:"incidentId"`
	Type         string `json:"type"`
	Date         string `json:"date"`
	Points       int    `json:"points"`
	Adjustment   bool   `json:"adjustment"`
	AdjustmentOf string `json:"adjustmentOf,omitempty"`
	Waived       bool   `json:"waived"`
}

type pendingJSON struct {
	Kind         string `json:"kind"`
	IncidentID   string `json:"incidentId"`
	TechnicianID string `json:"technicianId"`
	Week         string `json:"week,omitempty"`
	ReceivedAt   string `json:"receivedAt,omitempty"`
}

func toMonthJSON(v compute.MonthView) monthJSON {
	out := monthJSON{Team: v.Team, Month: v.Month.String(), State: compute.StateOpen, CloseDue: v.CloseDue.String(),
		Overdue: v.Overdue, Assessments: mapSlice(v.Scores, toScoreJSON), Pending: mapSlice(v.Pending, toPendingJSON)}
	if v.Closed {
		out.State, out.ClosedAt, out.ClosedBy = compute.StateClosed, v.ClosedAt.UTC().Format(time.RFC3339Nano), v.ClosedBy
	}
	return out
}

func toScoreJSON(s domain.Score) scoreJSON {
	out := scoreJSON{TechnicianID: s.TechnicianID, Base: s.Base, Deductions: s.Deductions, Additions: s.Additions,
		Total: s.Total, PolicyVersion: s.PolicyVersion, Lines: []lineJSON{}}
	for _, l := range s.Lines {
		line := lineJSON{IncidentID: l.IncidentID, Type: l.Type, Date: l.Date.String(), Points: l.Points,
			Adjustment: l.Adjustment, Waived: l.Waived}
		if l.AdjustmentOf != nil {
			line.AdjustmentOf = l.AdjustmentOf.String()
		}
		out.Lines = append(out.Lines, line)
	}
	return out
}

func toPendingJSON(p compute.Pending) pendingJSON {
	out := pendingJSON{Kind: p.Kind, IncidentID: p.IncidentID, TechnicianID: p.TechnicianID, Week: p.Week.String()}
	if !p.ReceivedAt.IsZero() {
		out.ReceivedAt = p.ReceivedAt.UTC().Format(time.RFC3339Nano)
	}
	return out
}

// bonusJSON is one year-end bonus (R8–R10) with its reasons; provisional while months of the
// year are open.
type bonusJSON struct {
	ID             string   `json:"id"`
	TechnicianID   string   `json:"technicianId"`
	Year           int      `json:"year"`
	Eligible       bool     `json:"eligible"`
	AmountFen      int64    `json:"amountFen"`
	Multiplier     int      `json:"multiplier"`
	MonthlyPayFen  int64    `json:"monthlyPayFen"`
	Reasons        []string `json:"reasons"`
	BelowThreshold []string `json:"belowThreshold"`
	OpenMonths     []string `json:"openMonths"`
	Provisional    bool     `json:"provisional"`
	PolicyVersion  int      `json:"policyVersion"`
}

func toBonusJSON(b domain.Bonus) bonusJSON {
	str := func(m domain.Month) string { return m.String() }
	reasons := b.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return bonusJSON{ID: b.ID(), TechnicianID: b.TechnicianID, Year: b.Year, Eligible: b.Eligible, AmountFen: b.AmountFen,
		Multiplier: b.Multiplier, MonthlyPayFen: b.MonthlyPayFen, Reasons: reasons,
		BelowThreshold: mapSlice(b.BelowThreshold, str), OpenMonths: mapSlice(b.OpenMonths, str),
		Provisional: len(b.OpenMonths) > 0, PolicyVersion: b.PolicyVersion}
}
