package compute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// closedIndex is one team's closed months by month.
type closedIndex map[domain.Month]ClosedMonth

// indexClosed groups closes by team.
func indexClosed(closes []ClosedMonth) map[string]closedIndex {
	out := map[string]closedIndex{}
	for _, c := range closes {
		if out[c.Team] == nil {
			out[c.Team] = closedIndex{}
		}
		out[c.Team][c.Month] = c
	}
	return out
}

// last returns the latest closed month, false when none is closed.
func (ci closedIndex) last() (domain.Month, bool) {
	var last domain.Month
	for m := range ci {
		if m.After(last) {
			last = m
		}
	}
	return last, !last.IsZero()
}

// Placement decides where incident inc counts (R5) against its team's closed months, with
// domain.Incident.Place: in the month of its date while that month is open, or when the close of
// that month froze it; otherwise (it arrived, or was moved there, after the close) as an
// adjustment of that month in the first later month that is open, or whose close froze it. The
// rule needs no stored placement and is stable: a close freezes exactly the incidents counted in
// its month at that moment, so an incident written while a month is being closed is either in
// the close or an adjustment of the next month, never lost.
func (ci closedIndex) place(inc domain.Incident) domain.Incident {
	closed := func(m domain.Month) bool {
		c, ok := ci[m]
		return ok && !c.Counts(inc.ID)
	}
	open := domain.MonthOf(inc.Date).Next()
	for closed(open) {
		open = open.Next()
	}
	return inc.Place(closed, open)
}

// incidents reads incident records, placed against ci. Invalid ones are returned apart, with
// the month they are shown in (their date's, or zero).
func (ci closedIndex) incidents(h domain.PolicyHistory, recs []*sync.Record) ([]domain.Incident, map[domain.Month][]any) {
	var out []domain.Incident
	ignored := map[domain.Month][]any{}
	for _, rec := range recs {
		inc, err := incidentOf(h, rec)
		if err != nil {
			d, _ := domain.ParseDate(text(rec.Fields["date"]))
			m := domain.MonthOf(d)
			ignored[m] = append(ignored[m], ignoredEntry(rec.ID, err))
			continue
		}
		out = append(out, ci.place(inc))
	}
	return out, ignored
}

// tech identifies a scored technician in a team.
type tech struct{ team, id string }

// rescore rewrites the open assessments of the technicians whose incidents changed since the
// checkpoint (found by the visibility tokens of the changed records, present and revoked, so that
// an incident moved to another technician rescores both), or of every technician after a new
// policy version or when the current month or the set of technicians changed (baseline).
func (w *Worker) rescore(ctx context.Context, h domain.PolicyHistory, users []domain.User, cp *Checkpoint, stable int64, now time.Time) error {
	affected := map[tech]bool{}
	changed, err := w.read(ctx, ServerPrincipal.Tokens(), domain.CollIncidents, cp.Seq, stable, true)
	if err != nil {
		return err
	}
	for _, rec := range changed {
		for _, tok := range slices.Concat(rec.Audience, rec.Revoked) {
			if id, team, ok := userOfToken(tok); ok {
				affected[tech{team, id}] = true
			}
		}
	}
	active := map[tech]bool{}
	month := domain.MonthOf(domain.DateOf(now))
	var names []string
	for _, u := range technicians(users) {
		if hiredBy(u, month.Last()) {
			active[tech{u.TeamID, u.ID}] = true
			names = append(names, u.TeamID+"/"+u.ID)
		}
	}
	slices.Sort(names)
	sum := sha256.Sum256([]byte(strings.Join(names, ",")))
	baseline := month.String() + ":" + hex.EncodeToString(sum[:8])
	latest, _ := h.Latest()
	if latest.Version != cp.PolicyVersion || baseline != cp.Baseline {
		for t := range active {
			affected[t] = true
		}
	}
	closes, err := w.cfg.Store.ClosedMonths(ctx, "")
	if err != nil {
		return err
	}
	closed := indexClosed(closes)
	byTeam := map[string]map[string]bool{} // team → technician → active
	for t := range affected {
		if byTeam[t.team] == nil {
			byTeam[t.team] = map[string]bool{}
		}
		byTeam[t.team][t.id] = active[t]
	}
	var writes []sync.ServerWrite
	for _, team := range slices.Sorted(maps.Keys(byTeam)) {
		ws, err := w.scoreTeam(ctx, h, team, byTeam[team], closed[team], month)
		if err != nil {
			return err
		}
		writes = append(writes, ws...)
	}
	if _, err := w.write(ctx, writes); err != nil {
		return err
	}
	cp.PolicyVersion, cp.Baseline = latest.Version, baseline
	return nil
}

// scoreTeam computes, for each of team's technicians in techs, every open month that has an
// assessment or an incident, and the current month when the technician is active (R4 under each
// month's own policy, R5 placement). Closed months are never rewritten here. The team's
// incidents and assessments are read once for all its technicians.
func (w *Worker) scoreTeam(ctx context.Context, h domain.PolicyHistory, team string, techs map[string]bool, ci closedIndex, current domain.Month) ([]sync.ServerWrite, error) {
	tokens := teamTokens(team)
	recs, err := w.readAll(ctx, tokens, domain.CollIncidents)
	if err != nil {
		return nil, err
	}
	existing, err := w.readAll(ctx, tokens, domain.CollAssessments)
	if err != nil {
		return nil, err
	}
	var writes []sync.ServerWrite
	for _, id := range slices.Sorted(maps.Keys(techs)) {
		mine := slices.DeleteFunc(slices.Clone(recs), func(rec *sync.Record) bool {
			return !strings.EqualFold(text(rec.Fields["technicianId"]), id)
		})
		incidents, ignored := ci.incidents(h, mine)
		months := map[domain.Month]bool{}
		if techs[id] {
			months[current] = true
		}
		for _, rec := range existing {
			m, err := domain.ParseMonth(text(rec.Fields["month"]))
			if err == nil && !m.IsZero() && rec.Owner == id && rec.Fields["state"] != StateClosed {
				months[m] = true
			}
		}
		for _, inc := range incidents {
			months[inc.CountsIn] = true
		}
		for m := range ignored {
			if !m.IsZero() {
				months[m] = true
			}
		}
		for _, m := range slices.SortedFunc(maps.Keys(months), domain.Month.Compare) {
			if _, isClosed := ci[m]; isClosed {
				continue
			}
			s, err := domain.ScoreMonth(h, m, id, incidents)
			if err != nil {
				continue // no policy in force that month: nothing to score it by
			}
			shown := ignored[m]
			if m == current {
				shown = append(slices.Clone(shown), ignored[domain.Month{}]...)
			}
			writes = append(writes, sync.ServerWrite{Collection: domain.CollAssessments, ID: AssessmentID(id, m),
				Owner: id, Team: team, Fields: scoreFields(s, nil, shown)})
		}
	}
	return writes, nil
}
