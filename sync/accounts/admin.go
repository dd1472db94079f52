package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
)

// Every operation below authorizes the actor with domain.Authorize on the account collections
// (users, teams, devices, audit_log). A target the actor may not even read answers not found,
// so that another team's users and devices stay invisible; one it may read but not change
// answers forbidden.

// userMeta describes a user record for authorization: the user owns it, in their team.
func userMeta(u domain.User) domain.RecordMeta { return domain.RecordMeta{Owner: u.ID, Team: u.TeamID} }

// reach authorizes action a on a record the actor must at least be able to read.
func reach(p domain.Principal, a domain.Action, collection, what string, rec domain.RecordMeta) error {
	if err := domain.Authorize(p, domain.ActionRead, collection, rec); err != nil {
		return fmt.Errorf("%s: %w", what, domain.ErrNotFound)
	}
	return domain.Authorize(p, a, collection, rec)
}

// CreateTeam creates a team without a leader (create-user with role leader appoints one).
// Errors: forbidden unless the actor may create teams; invalid name; conflict when the name is
// taken.
func (s *Service) CreateTeam(ctx context.Context, p domain.Principal, address, name string) (domain.Team, error) {
	if err := domain.Authorize(p, domain.ActionCreate, domain.CollTeams, domain.RecordMeta{}); err != nil {
		return domain.Team{}, err
	}
	t, err := domain.NewTeam(uuid.NewString(), name)
	if err != nil {
		return domain.Team{}, err
	}
	now := s.now()
	if err := s.store.InsertTeam(ctx, t, now); err != nil {
		return domain.Team{}, err
	}
	e := domain.AuditBy(p, address, now, domain.AuditTeamCreate)
	e.TeamID, e.Collection, e.RecordID = t.ID, domain.CollTeams, t.ID
	return t, s.record(ctx, e)
}

// ListTeams returns the teams the actor may read: all of them, or their own. Errors: forbidden.
func (s *Service) ListTeams(ctx context.Context, p domain.Principal) ([]domain.Team, error) {
	switch domain.ReadScope(p, domain.CollTeams) {
	case domain.ScopeAll:
		return s.store.ListTeams(ctx, "")
	case domain.ScopeTeam:
		if p.TeamID == "" {
			return nil, nil
		}
		return s.store.ListTeams(ctx, p.TeamID)
	}
	return nil, domain.Authorize(p, domain.ActionRead, domain.CollTeams, domain.RecordMeta{})
}

// TeamByName returns the team named name, if the actor may read it. Errors: not found.
func (s *Service) TeamByName(ctx context.Context, p domain.Principal, name string) (domain.Team, error) {
	t, err := s.store.TeamByName(ctx, name)
	if err != nil {
		return domain.Team{}, err
	}
	if err := domain.Authorize(p, domain.ActionRead, domain.CollTeams, domain.RecordMeta{Team: t.ID}); err != nil {
		return domain.Team{}, fmt.Errorf("team %q: %w", name, domain.ErrNotFound)
	}
	return t, nil
}

// CreateUser creates u (its ID is generated) with password. Admins create any role; leaders
// create technicians of their own team. A leader created for a team becomes its leader (a team
// has one). Errors: forbidden; invalid user or password (per field); invalid unknown team;
// conflict for a taken username or a team that has a leader.
func (s *Service) CreateUser(ctx context.Context, p domain.Principal, address string, u domain.User, password string) (domain.User, error) {
	u.ID = uuid.NewString()
	u, err := domain.NewUser(u)
	if err != nil {
		return domain.User{}, err
	}
	if !domain.CanManage(p.Role, u.Role) {
		return domain.User{}, domain.Errorf(domain.CodeForbidden, "a %s may not add a %s", p.Role, u.Role)
	}
	if err := domain.Authorize(p, domain.ActionCreate, domain.CollUsers, userMeta(u)); err != nil {
		return domain.User{}, err
	}
	if err := s.checkPassword(password); err != nil {
		return domain.User{}, err
	}
	var team domain.Team
	if u.TeamID != "" {
		if team, err = s.store.TeamByID(ctx, u.TeamID); errors.Is(err, domain.ErrNotFound) {
			return domain.User{}, domain.Invalid("unknown team", map[string]string{"teamId": "unknown"})
		} else if err != nil {
			return domain.User{}, err
		}
	}
	if u.Role == domain.RoleLeader {
		if _, err := team.WithLeader(u); err != nil {
			return domain.User{}, err
		}
	}
	if _, _, err := s.store.UserByUsername(ctx, u.Username); err == nil {
		return domain.User{}, domain.Errorf(domain.CodeConflict, "the username %q is taken", u.Username)
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return domain.User{}, err
	}
	now := s.now()
	if u.Role == domain.RoleLeader {
		// Appoint first (compare-and-set), so that two concurrent leaders cannot both win.
		if err := s.store.SetTeamLeader(ctx, team.ID, "", u.ID); err != nil {
			return domain.User{}, err
		}
	}
	if err := s.store.InsertUser(ctx, u, hash, now); err != nil {
		if u.Role == domain.RoleLeader {
			_ = s.store.SetTeamLeader(ctx, team.ID, u.ID, "") // undo the appointment
		}
		return domain.User{}, err
	}
	e := domain.AuditBy(p, address, now, domain.AuditUserCreate)
	e.TeamID, e.Collection, e.RecordID, e.Detail = u.TeamID, domain.CollUsers, u.ID, "role="+string(u.Role)
	if u.Role == domain.RoleLeader {
		lead := e
		lead.Action, lead.Collection, lead.RecordID, lead.Detail = domain.AuditTeamLeader, domain.CollTeams, team.ID, "leader="+u.ID
		return u, s.audit.Record(ctx, e, lead)
	}
	return u, s.record(ctx, e)
}

// ListUsers returns the users the actor may read: everybody, their team, or themselves.
func (s *Service) ListUsers(ctx context.Context, p domain.Principal) ([]domain.User, error) {
	switch domain.ReadScope(p, domain.CollUsers) {
	case domain.ScopeAll:
		return s.store.ListUsers(ctx, "")
	case domain.ScopeTeam:
		if p.TeamID == "" {
			return nil, nil
		}
		return s.store.ListUsers(ctx, p.TeamID)
	case domain.ScopeOwn:
		u, err := s.store.UserByID(ctx, p.UserID)
		if err != nil {
			return nil, err
		}
		return []domain.User{u}, nil
	}
	return nil, domain.Authorize(p, domain.ActionRead, domain.CollUsers, domain.RecordMeta{})
}

// UserByUsername returns the user, if the actor may read them. Errors: not found.
func (s *Service) UserByUsername(ctx context.Context, p domain.Principal, username string) (domain.User, error) {
	u, _, err := s.store.UserByUsername(ctx, domain.NormalizeUsername(username))
	if err != nil {
		return domain.User{}, err
	}
	if err := domain.Authorize(p, domain.ActionRead, domain.CollUsers, userMeta(u)); err != nil {
		return domain.User{}, fmt.Errorf("user %q: %w", username, domain.ErrNotFound)
	}
	return u, nil
}

// manageable loads the user id for a change by the actor: visible, manageable, not the actor.
func (s *Service) manageable(ctx context.Context, p domain.Principal, id string) (domain.User, error) {
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return domain.User{}, err
	}
	if err := reach(p, domain.ActionUpdate, domain.CollUsers, "user "+id, userMeta(u)); err != nil {
		return domain.User{}, err
	}
	if !domain.CanManage(p.Role, u.Role) {
		return domain.User{}, domain.Errorf(domain.CodeForbidden, "a %s may not manage a %s", p.Role, u.Role)
	}
	return u, nil
}

// DisableUser disables the user: they cannot sign in, and every device of theirs is revoked at
// once. A disabled leader stops leading their team (so a new one can be appointed). Disabling
// a disabled user changes nothing. Errors: not found; forbidden (not manageable, or oneself).
func (s *Service) DisableUser(ctx context.Context, p domain.Principal, address, id string) (domain.User, error) {
	u, err := s.manageable(ctx, p, id)
	if err != nil {
		return domain.User{}, err
	}
	if u.ID == p.UserID {
		return domain.User{}, domain.Errorf(domain.CodeForbidden, "you cannot disable your own account")
	}
	now := s.now()
	if err := s.store.SetUserDisabled(ctx, u.ID, now); err != nil {
		return domain.User{}, err
	}
	if err := s.store.RevokeUserDevices(ctx, u.ID, p.UserID, domain.RevokeUserDisabled, now); err != nil {
		return domain.User{}, err
	}
	if u.Role == domain.RoleLeader {
		if err := s.store.SetTeamLeader(ctx, u.TeamID, u.ID, ""); err != nil && !errors.Is(err, domain.ErrConflict) {
			return domain.User{}, err
		}
	}
	u.Disabled = true
	e := domain.AuditBy(p, address, now, domain.AuditUserDisable)
	e.TeamID, e.Collection, e.RecordID = u.TeamID, domain.CollUsers, u.ID
	return u, s.record(ctx, e)
}

// ResetPassword sets a new password for the user and revokes every device of theirs (whoever
// knew the old password is signed out). Errors: not found; forbidden; invalid password.
func (s *Service) ResetPassword(ctx context.Context, p domain.Principal, address, id, password string) error {
	u, err := s.manageable(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.checkPassword(password); err != nil {
		return err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	now := s.now()
	if err := s.store.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
		return err
	}
	if err := s.store.RevokeUserDevices(ctx, u.ID, p.UserID, domain.RevokePasswordReset, now); err != nil {
		return err
	}
	e := domain.AuditBy(p, address, now, domain.AuditPasswordReset)
	e.TeamID, e.Collection, e.RecordID = u.TeamID, domain.CollUsers, u.ID
	return s.record(ctx, e)
}

// ListDevices returns the devices the actor may read (their own, their team's, or all), active
// ones only unless includeRevoked.
func (s *Service) ListDevices(ctx context.Context, p domain.Principal, includeRevoked bool) ([]domain.Device, error) {
	q := DeviceQuery{IncludeRevoked: includeRevoked}
	switch domain.ReadScope(p, domain.CollDevices) {
	case domain.ScopeAll:
	case domain.ScopeTeam:
		q.TeamID = p.TeamID
	case domain.ScopeOwn:
		q.UserID = p.UserID
	default:
		return nil, domain.Authorize(p, domain.ActionRead, domain.CollDevices, domain.RecordMeta{})
	}
	if q.TeamID == "" && q.UserID == "" && domain.ReadScope(p, domain.CollDevices) != domain.ScopeAll {
		return nil, nil
	}
	return s.store.ListDevices(ctx, q)
}

// RevokeDevice revokes a device (a lost phone): its refresh and access tokens stop working at
// once. Users revoke their own devices, leaders their team's, admins any. Revoking a revoked
// device changes nothing. Errors: not found; forbidden.
func (s *Service) RevokeDevice(ctx context.Context, p domain.Principal, address, id string) (domain.Device, error) {
	d, err := s.store.DeviceByID(ctx, id)
	if err != nil {
		return domain.Device{}, err
	}
	rec := domain.RecordMeta{Owner: d.UserID, Team: d.TeamID}
	if err := reach(p, domain.ActionUpdate, domain.CollDevices, "device "+id, rec); err != nil {
		return domain.Device{}, err
	}
	now := s.now()
	if err := s.store.RevokeDevice(ctx, d.ID, p.UserID, domain.RevokeByUser, now); err != nil {
		return domain.Device{}, err
	}
	e := domain.AuditBy(p, address, now, domain.AuditDeviceRevoke)
	e.TeamID, e.Collection, e.RecordID, e.Detail = d.TeamID, domain.CollDevices, d.ID, "user="+d.UserID
	if err := s.record(ctx, e); err != nil {
		return domain.Device{}, err
	}
	return s.store.DeviceByID(ctx, d.ID)
}

// Audit returns audit entries the actor may read (their team's for a leader, all for an admin),
// newest first. Errors: forbidden; invalid limit.
func (s *Service) Audit(ctx context.Context, p domain.Principal, q domain.AuditQuery) ([]domain.AuditEntry, error) {
	switch domain.ReadScope(p, domain.CollAuditLog) {
	case domain.ScopeAll:
	case domain.ScopeTeam:
		if p.TeamID == "" {
			return nil, nil
		}
		q.TeamID = p.TeamID
	default:
		return nil, domain.Authorize(p, domain.ActionRead, domain.CollAuditLog, domain.RecordMeta{})
	}
	switch {
	case q.Limit == 0:
		q.Limit = domain.DefaultAuditLimit
	case q.Limit < 0 || q.Limit > domain.MaxAuditLimit:
		return nil, domain.Invalid("invalid limit", map[string]string{"limit": fmt.Sprintf("max=%d", domain.MaxAuditLimit)})
	}
	return s.audit.List(ctx, q)
}

// Me returns the caller's user, their team (nil for departments) and their permissions.
func (s *Service) Me(ctx context.Context, p domain.Principal) (domain.User, *domain.Team, []domain.Permission, error) {
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return domain.User{}, nil, nil, err
	}
	var team *domain.Team
	if u.TeamID != "" {
		t, err := s.store.TeamByID(ctx, u.TeamID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return domain.User{}, nil, nil, err
		}
		if err == nil {
			team = &t
		}
	}
	return u, team, domain.Permissions(u.Role), nil
}
