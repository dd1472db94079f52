package sync

import (
	"context"
	"maps"
	"slices"

	"github.com/fieldsync/fieldsync/domain"
)

// DomainRules implements Rules with the team's authorization table (domain.Authorize,
// domain.CheckFields, domain.Audience) and the collections' schema (domain.CheckKnownFields).
// The life cycles and computed fields of the team's rules plug in through Lifecycle.
type DomainRules struct {
	// Lifecycle, when set, validates a record about to be written and fills its computed
	// fields (state machines, R1–R18). Nil accepts every well-typed write.
	Lifecycle func(ctx context.Context, p domain.Principal, cur, next *Record) error
	// IsLocked, when set, reports whether a record refuses device edits.
	IsLocked func(rec *Record) bool
}

// Syncs implements Rules: the eight collections of SPEC.md sync.
func (DomainRules) Syncs(collection string) bool {
	return slices.Contains(domain.SyncedCollections(), collection)
}

// meta describes rec for the authorization table.
func meta(rec *Record) domain.RecordMeta {
	m := domain.RecordMeta{Owner: rec.Owner, Team: rec.Team}
	switch rec.Collection {
	case domain.CollWorkOrders:
		m.Assignees = stringsOf(rec.Fields["assignees"])
	case domain.CollIncidents:
		if id, ok := rec.Fields["technicianId"].(string); ok && id != "" {
			m.Assignees = []string{id}
		}
	}
	if w := stringsOf(rec.Fields["waitingFor"]); len(w) > 0 {
		for _, r := range w {
			m.WaitingFor = append(m.WaitingFor, domain.Role(r))
		}
	}
	return m
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	if s, ok := v.([]string); ok {
		return s
	}
	return out
}

// CheckWrite implements Rules: known fields only, the role's grant on this record, and only the
// fields the role may write (review fields for reviewers).
func (DomainRules) CheckWrite(p domain.Principal, m Mutation, cur *Record) error {
	fields := slices.Sorted(maps.Keys(m.Fields))
	if m.Op == OpUpsert {
		if err := domain.CheckKnownFields(m.Collection, fields); err != nil {
			return err
		}
	}
	exists := cur != nil && !cur.Deleted
	target := cur
	if cur == nil {
		target = &Record{Collection: m.Collection, ID: m.ID, Owner: p.UserID, Team: p.TeamID}
	}
	action := domain.ActionDelete
	if m.Op == OpUpsert {
		action = domain.WriteAction(p.Role, m.Collection, exists, fields)
	}
	if err := domain.Authorize(p, action, m.Collection, meta(target)); err != nil {
		return err
	}
	if m.Op == OpUpsert {
		return domain.CheckFields(p.Role, m.Collection, fields)
	}
	return nil
}

// Locked implements Rules.
func (r DomainRules) Locked(rec *Record) bool { return r.IsLocked != nil && r.IsLocked(rec) }

// Derive implements Rules: the life cycle first, then the audience. Tokens of the previous
// audience that are not in the new one become Revoked (their pulls drop the record); tokens that
// come back leave Revoked.
func (r DomainRules) Derive(ctx context.Context, p domain.Principal, cur, next *Record) error {
	if r.Lifecycle != nil {
		if err := r.Lifecycle(ctx, p, cur, next); err != nil {
			return err
		}
	}
	next.Audience = domain.Audience(next.Collection, meta(next))
	next.Photos = domain.PhotoHashes(next.Collection, next.Fields)
	revoked := slices.Clone(next.Revoked)
	if cur != nil {
		for _, t := range cur.Audience {
			if !slices.Contains(next.Audience, t) && !slices.Contains(revoked, t) {
				revoked = append(revoked, t)
			}
		}
	}
	revoked = slices.DeleteFunc(revoked, func(t string) bool { return slices.Contains(next.Audience, t) })
	slices.Sort(revoked)
	next.Revoked = revoked
	return nil
}

// Tokens implements Rules.
func (DomainRules) Tokens(p domain.Principal) []string { return p.Tokens() }

// View implements Rules: customer details are redacted outside the record's team.
func (DomainRules) View(p domain.Principal, rec *Record) map[string]any {
	return domain.Redact(p, rec.Collection, rec.Team, rec.Fields)
}
