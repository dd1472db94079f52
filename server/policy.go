package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// PolicyService is what the policy endpoints need (compute.Policies).
type PolicyService interface {
	Current(ctx context.Context) (domain.Policy, error)
	At(ctx context.Context, d domain.Date) (domain.Policy, error)
	HistoryFor(ctx context.Context, caller domain.Principal) (domain.PolicyHistory, error)
	Add(ctx context.Context, caller domain.Principal, address string, p domain.Policy) (domain.Policy, error)
}

// policyRoutes registers the policy endpoints (docs/rules.md).
func (s *Server) policyRoutes() {
	s.app.Get("/v1/policy", s.requireAuth, s.getPolicy)
	s.app.Get("/v1/policy/history", s.requireAuth, s.policyHistory)
	s.app.Put("/v1/policy", s.requireAuth, s.putPolicy)
}

// getPolicy handles GET /v1/policy[?at=YYYY-MM-DD] → the policy in force today (or on that
// civil date, Asia/Shanghai), for every signed-in user. Errors: 400 {"at": "date"}; 404 before
// the first version.
func (s *Server) getPolicy(c *fiber.Ctx) error {
	var (
		p   domain.Policy
		err error
	)
	if at := c.Query("at"); at != "" {
		d, perr := domain.ParseDate(at)
		if perr != nil {
			return domain.Invalid("invalid query", map[string]string{"at": "date"})
		}
		p, err = s.deps.Policy.At(c.UserContext(), d)
	} else {
		p, err = s.deps.Policy.Current(c.UserContext())
	}
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// policyHistory handles GET /v1/policy/history → {"versions": [...]} oldest first (admin,
// leader, hr; 403 otherwise).
func (s *Server) policyHistory(c *fiber.Ctx) error {
	h, err := s.deps.Policy.HistoryFor(c.UserContext(), principalOf(c))
	if err != nil {
		return err
	}
	versions := []domain.Policy(h)
	if versions == nil {
		versions = []domain.Policy{}
	}
	return c.JSON(fiber.Map{"versions": versions})
}

// policyRequest is the body of PUT /v1/policy: a whole policy document (domain.Policy's JSON
// form) whose effectiveFrom is read here, so that a malformed date is named as such.
type policyRequest struct {
	domain.Policy
	EffectiveFrom string `json:"effectiveFrom"`
}

// putPolicy handles PUT /v1/policy {policy} → 201 the stored version (admin only). version 0
// or absent means "the next one"; any other must be the next one (409 otherwise). Errors: 403;
// 400 with a stable code per field ("payBands.A.minFen": "min=1", "effectiveFrom":
// "first_of_month" | "gte=<first day of next month>" | "date"); 409 for a stale version.
func (s *Server) putPolicy(c *fiber.Ctx) error {
	p := principalOf(c)
	if p.Role != domain.RoleAdmin {
		return domain.Errorf(domain.CodeForbidden, "a %s may not change the policy", p.Role)
	}
	var req policyRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	from, err := domain.ParseDate(req.EffectiveFrom)
	if err != nil {
		return domain.Invalid("invalid policy", map[string]string{"effectiveFrom": "date"})
	}
	req.Policy.EffectiveFrom = from
	added, err := s.deps.Policy.Add(c.UserContext(), p, c.IP(), req.Policy)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(added)
}
