package compute

import (
	"context"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// MonthClosed reports whether team's month m is closed (R5). It is the seam for the records'
// life cycle (e.g. to refuse a new work record dated in a closed month, or to show it).
// Errors: those of the store (unavailable).
func MonthClosed(ctx context.Context, store Store, team string, m domain.Month) (bool, error) {
	_, closed, err := store.ClosedMonth(ctx, team, m)
	return closed, err
}

// IncidentLocked reports whether device edits (and deletes) of an incident record are refused
// because a close froze it into a closed month's assessment (R5: "never a silent rewrite of a
// closed one"). An incident dated in a closed month that arrived after the close is an
// adjustment counted in an open month (Placement), and stays editable until that month closes.
// Other collections, new records and tombstones are never locked here.
func IncidentLocked(ctx context.Context, store Store, rec *sync.Record) (bool, error) {
	if rec == nil || rec.Deleted || rec.Collection != domain.CollIncidents {
		return false, nil
	}
	return store.FrozenIncident(ctx, rec.Team, rec.ID)
}

// LockedIncidents returns IncidentLocked as a sync.DomainRules.IsLocked check, which has no
// context: each check gets timeout (1 s when 0). It fails closed: when the store cannot answer,
// the incident counts as locked, so the edit comes back to the device as a conflict (kept in
// the record's conflict log) instead of risking a rewrite of a closed month. Compose it with the
// records' own check: func(r *sync.Record) bool { return schema.IsLocked(r) || locked(r) }.
func LockedIncidents(store Store, timeout time.Duration) func(*sync.Record) bool {
	if timeout <= 0 {
		timeout = time.Second
	}
	return func(rec *sync.Record) bool {
		if rec == nil || rec.Deleted || rec.Collection != domain.CollIncidents {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		locked, err := IncidentLocked(ctx, store, rec)
		return locked || err != nil
	}
}
