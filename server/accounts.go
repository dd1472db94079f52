package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// accountRoutes registers the auth and account endpoints (docs/accounts.md).
func (s *Server) accountRoutes() {
	login := append(s.loginLimiters(), s.settle, s.login)
	s.app.Post("/v1/auth/login", login...)
	s.app.Post("/v1/auth/refresh", s.refresh)
	s.app.Post("/v1/auth/logout", s.requireAuth, s.logout)
	s.app.Get("/v1/me", s.requireAuth, s.me)
	s.app.Post("/v1/teams", s.requireAuth, s.createTeam)
	s.app.Get("/v1/teams", s.requireAuth, s.listTeams)
	s.app.Post("/v1/users", s.requireAuth, s.createUser)
	s.app.Get("/v1/users", s.requireAuth, s.listUsers)
	s.app.Post("/v1/users/:id/disable", s.requireAuth, s.disableUser)
	s.app.Post("/v1/users/:id/reset-password", s.requireAuth, s.resetPassword)
	s.app.Get("/v1/devices", s.requireAuth, s.listDevices)
	s.app.Post("/v1/devices/:id/revoke", s.requireAuth, s.revokeDevice)
	s.app.Get("/v1/audit", s.requireAuth, s.listAudit)
}

// me handles GET /v1/me → {user, team, permissions}.
func (s *Server) me(c *fiber.Ctx) error {
	u, team, perms, err := s.deps.Accounts.Me(c.UserContext(), principalOf(c))
	if err != nil {
		return err
	}
	out := meJSON{User: toUserJSON(u), Permissions: toPermissionsJSON(perms)}
	if team != nil {
		t := toTeamJSON(*team)
		out.Team = &t
	}
	return c.JSON(out)
}

// createTeam handles POST /v1/teams {name} → 201 team (admin).
func (s *Server) createTeam(c *fiber.Ctx) error {
	var req createTeamRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	t, err := s.deps.Accounts.CreateTeam(c.UserContext(), principalOf(c), c.IP(), req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toTeamJSON(t))
}

// listTeams handles GET /v1/teams → {teams} (all for admin and hr, one's own otherwise).
func (s *Server) listTeams(c *fiber.Ctx) error {
	teams, err := s.deps.Accounts.ListTeams(c.UserContext(), principalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"teams": mapSlice(teams, toTeamJSON)})
}

// createUser handles POST /v1/users → 201 user (admin: any role; leader: technicians of their
// own team).
func (s *Server) createUser(c *fiber.Ctx) error {
	var req createUserRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	p := principalOf(c)
	u, err := req.toDomain(p)
	if err != nil {
		return err
	}
	if u, err = s.deps.Accounts.CreateUser(c.UserContext(), p, c.IP(), u, req.Password); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toUserJSON(u))
}

// listUsers handles GET /v1/users → {users} (a leader's team, everybody for admin and hr).
func (s *Server) listUsers(c *fiber.Ctx) error {
	users, err := s.deps.Accounts.ListUsers(c.UserContext(), principalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"users": mapSlice(users, toUserJSON)})
}

// disableUser handles POST /v1/users/:id/disable → the disabled user.
func (s *Server) disableUser(c *fiber.Ctx) error {
	u, err := s.deps.Accounts.DisableUser(c.UserContext(), principalOf(c), c.IP(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toUserJSON(u))
}

// resetPassword handles POST /v1/users/:id/reset-password {password} → 204.
func (s *Server) resetPassword(c *fiber.Ctx) error {
	var req resetPasswordRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	if err := s.deps.Accounts.ResetPassword(c.UserContext(), principalOf(c), c.IP(), c.Params("id"), req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// listDevices handles GET /v1/devices[?includeRevoked=true] → {devices} (one's own; a leader's
// team; all for admin).
func (s *Server) listDevices(c *fiber.Ctx) error {
	devices, err := s.deps.Accounts.ListDevices(c.UserContext(), principalOf(c), c.QueryBool("includeRevoked"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"devices": mapSlice(devices, toDeviceJSON)})
}

// revokeDevice handles POST /v1/devices/:id/revoke → the revoked device.
func (s *Server) revokeDevice(c *fiber.Ctx) error {
	d, err := s.deps.Accounts.RevokeDevice(c.UserContext(), principalOf(c), c.IP(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toDeviceJSON(d))
}

// listAudit handles GET /v1/audit?collection=&recordId=&limit=&before= → {entries, nextBefore}
// (a leader's team, everything for admin), newest first; nextBefore pages on.
func (s *Server) listAudit(c *fiber.Ctx) error {
	var q auditQuery
	if err := c.QueryParser(&q); err != nil {
		return domain.Invalid("invalid query", map[string]string{"limit": "number"})
	}
	if err := validateStruct(q); err != nil {
		return err
	}
	entries, err := s.deps.Accounts.Audit(c.UserContext(), principalOf(c), domain.AuditQuery{
		Collection: q.Collection, RecordID: q.RecordID, Before: q.Before, Limit: q.Limit})
	if err != nil {
		return err
	}
	limit, next := q.Limit, ""
	if limit == 0 {
		limit = domain.DefaultAuditLimit
	}
	if len(entries) == limit {
		next = entries[len(entries)-1].ID
	}
	return c.JSON(fiber.Map{"entries": mapSlice(entries, toAuditJSON), "nextBefore": next})
}
