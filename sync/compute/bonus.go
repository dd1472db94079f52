package compute

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// Bonus years accepted by ComputeBonuses.
const (
	MinBonusYear = 2000
	MaxBonusYear = 2999
)

// ComputeBonuses computes and stores the year-end bonuses (R8–R10, domain.YearEndBonus) of year
// for the technicians caller may see: a leader their team; hr and admin every team, or the one
// named by team. Each active technician's bonus is a year_end_bonuses record (id
// domain.Bonus.ID, owned by the technician) carrying its reasons; a bonus computed before the
// year's months are all closed is provisional (its open months listed). Closing December runs
// this for the team by itself. Errors: forbidden; invalid {"year": "min=2000" | "max=2999"};
// unavailable.
func (w *Worker) ComputeBonuses(ctx context.Context, caller domain.Principal, address string, year int, team string) ([]domain.Bonus, error) {
	switch {
	case caller.Role == domain.RoleLeader && caller.TeamID != "" && (team == "" || team == caller.TeamID):
		team = caller.TeamID
	case caller.Role == domain.RoleHR, caller.Role == domain.RoleAdmin:
	default:
		return nil, domain.Errorf(domain.CodeForbidden, "a %s may not compute year-end bonuses here", caller.Role)
	}
	switch {
	case year < MinBonusYear:
		return nil, domain.Invalid("invalid year", map[string]string{"year": fmt.Sprintf("min=%d", MinBonusYear)})
	case year > MaxBonusYear:
		return nil, domain.Invalid("invalid year", map[string]string{"year": fmt.Sprintf("max=%d", MaxBonusYear)})
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	release, err := w.waitLease(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	h, err := w.cfg.Policies.fresh(ctx)
	if err != nil {
		return nil, err
	}
	users, err := w.cfg.Users.ListUsers(ctx, team)
	if err != nil {
		return nil, err
	}
	byTeam := map[string][]domain.User{}
	for _, u := range users {
		byTeam[u.TeamID] = append(byTeam[u.TeamID], u)
	}
	var bonuses []domain.Bonus
	var writes []sync.ServerWrite
	for _, t := range slices.Sorted(maps.Keys(byTeam)) {
		if t == "" {
			continue
		}
		closes, err := w.cfg.Store.ClosedMonths(ctx, t)
		if err != nil {
			return nil, err
		}
		bs, err := w.teamBonuses(ctx, h, t, year, byTeam[t], closes)
		if err != nil {
			return nil, err
		}
		bonuses = append(bonuses, bs...)
		writes = append(writes, bonusWrites(t, bs)...)
	}
	if _, err := w.write(ctx, writes); err != nil {
		return nil, err
	}
	e := domain.AuditBy(caller, address, w.cfg.Now().UTC(), AuditBonusCompute)
	e.TeamID, e.Collection, e.Detail = team, domain.CollYearEndBonuses, fmt.Sprintf("year=%d technicians=%d", year, len(bonuses))
	return bonuses, w.audit(ctx, e)
}

// teamBonuses computes year's bonus of every active technician among users (team's), from the
// team's closed months (R10) and all its incidents (R9: a major loss dated in the year).
func (w *Worker) teamBonuses(ctx context.Context, h domain.PolicyHistory, team string, year int, users []domain.User, closes []ClosedMonth) ([]domain.Bonus, error) {
	techs := technicians(users)
	if len(techs) == 0 {
		return nil, nil
	}
	recs, err := w.readAll(ctx, teamTokens(team), domain.CollIncidents)
	if err != nil {
		return nil, err
	}
	var incidents []domain.Incident
	for _, rec := range recs {
		if inc, err := incidentOf(h, rec); err == nil {
			incidents = append(incidents, inc)
		}
	}
	var scores []domain.Score
	for _, c := range closes {
		scores = append(scores, c.Scores...)
	}
	out := make([]domain.Bonus, 0, len(techs))
	for _, u := range techs {
		out = append(out, domain.YearEndBonus(h, u, year, scores, incidents))
	}
	return out, nil
}

// bonusWrites are the records of team's bonuses.
func bonusWrites(team string, bonuses []domain.Bonus) []sync.ServerWrite {
	out := make([]sync.ServerWrite, 0, len(bonuses))
	for _, b := range bonuses {
		out = append(out, sync.ServerWrite{Collection: domain.CollYearEndBonuses, ID: b.ID(), Owner: b.TechnicianID,
			Team: team, Fields: bonusFields(b)})
	}
	return out
}
