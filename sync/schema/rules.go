// Package schema holds the wire types of the synced collections (JSON + validator/v10 tags), their
// converters to the domain types, and the life cycles that run on every write through the push
// path (sync.DomainRules.Lifecycle and IsLocked): validation of the merged record, the state
// machines of service forms, trip logs and purchase requests, and the fields the server computes
// (submittedAt, reviewedBy, reviewedAt, status, waitingFor, waitingSince, totalFen, duplicateOf).
//
// Validation errors are *domain.Error with code invalid and Fields keyed by JSON path
// ("parts[0].qty") whose values are domain.FieldMessage texts: "<code>: <中文> / <English>".
package schema

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// Hook is a life cycle for one more collection (weekly reports, incidents: built elsewhere),
// called like sync.DomainRules.Lifecycle after the record's merge: it may refuse the write or
// fill computed fields of next (SetField).
type Hook func(ctx context.Context, p domain.Principal, cur, next *sync.Record) error

// Config is what the rules need.
type Config struct {
	// Lookup finds the records R16–R18 need. Nil finds nothing: a form that needs a work order
	// or a revisit plan cannot be approved, and no receipt is flagged as a duplicate.
	Lookup Lookup
	// Policy returns the policy in force on a civil date (purchase thresholds, R14). Nil:
	// domain.DefaultPolicy for every date.
	Policy func(domain.Date) domain.Policy
	// Now is the server's clock for the stamps. Nil: time.Now.
	Now func() time.Time
	// Extra are the life cycles of further collections, by collection name.
	Extra map[string]Hook
}

// rules is NewRules' state.
type rules struct {
	cfg Config
}

// NewRules returns the team's rules for the sync engine: sync.DomainRules (the grant table, the
// field table) with Lifecycle and IsLocked filled in from this package.
func NewRules(cfg Config) sync.DomainRules {
	if cfg.Policy == nil {
		cfg.Policy = func(domain.Date) domain.Policy { return domain.DefaultPolicy() }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lookup == nil {
		cfg.Lookup = noLookup{}
	}
	r := &rules{cfg: cfg}
	return sync.DomainRules{Lifecycle: r.lifecycle, IsLocked: IsLocked}
}

// IsLocked reports whether rec refuses every device edit: an approved service form, a payable
// purchase request (their computed or shared status field). Tombstones are never locked.
func IsLocked(rec *sync.Record) bool {
	if rec == nil || rec.Deleted {
		return false
	}
	status, _ := rec.Fields["status"].(string)
	switch rec.Collection {
	case domain.CollServiceForms:
		return domain.FormStatus(status).Locked()
	case domain.CollPurchaseRequests:
		return domain.PurchaseStatus(status).Locked()
	}
	return false
}

// lifecycle implements sync.DomainRules.Lifecycle: cur is the stored record (nil when new),
// next the record after the merge, about to be written.
func (r *rules) lifecycle(ctx context.Context, p domain.Principal, cur, next *sync.Record) error {
	if h := r.cfg.Extra[next.Collection]; h != nil {
		return h(ctx, p, cur, next)
	}
	if cur != nil && cur.Deleted {
		// A tombstone is no state to move from: the write starts the record over (a re-create, or
		// the author's edit that restores it). A reviewer's write that restores a record its
		// author deleted meanwhile is refused by the state machine (a review of a draft).
		cur = nil
	}
	if next.Deleted {
		return deleting(cur)
	}
	if cur != nil && sameFields(withoutPhotoStamps(cur.Fields), withoutPhotoStamps(next.Fields)) {
		// Nothing the life cycle judges changed: a write that only logged conflicts, or the
		// server's refresh when a photo arrived (sync.Engine.Refresh, as the admin role, which no
		// life cycle lets write), which moves only the photo stamps.
		return nil
	}
	now := r.cfg.Now().UTC()
	switch next.Collection {
	case domain.CollWorkOrders:
		_, err := WorkOrderOf(next, true)
		return err
	case domain.CollServiceForms:
		return r.serviceForm(ctx, p, cur, next, now)
	case domain.CollRevisitPlans:
		return revisitPlan(p, cur, next, now)
	case domain.CollTripLogs:
		return tripLog(p, cur, next, now)
	case domain.CollReceipts:
		return r.receipt(ctx, cur, next)
	case domain.CollPurchaseRequests:
		return r.purchaseRequest(p, cur, next, now)
	}
	return nil
}

// deleting decides a delete: a service form or purchase request under review is not deleted
// (withdraw it first); locked records never reach here (the merge makes their delete a conflict).
func deleting(cur *sync.Record) error {
	if cur == nil {
		return nil
	}
	status, _ := cur.Fields["status"].(string)
	switch {
	case cur.Collection == domain.CollServiceForms && domain.FormStatus(status) == domain.FormSubmitted,
		cur.Collection == domain.CollPurchaseRequests && domain.PurchaseStatus(status).Pending():
		return &domain.Error{Code: domain.CodeConflict, Message: "the record is under review",
			Fields: map[string]string{"deleted": domain.FieldMessage("under_review", "审核中，先撤回再删除",
				"the record is under review: withdraw it before deleting it")}}
	}
	return nil
}

// withoutPhotoStamps returns fields without the stamps sync.DomainRules derives from the photo
// store (photosPending, duplicateOf).
func withoutPhotoStamps(fields map[string]any) map[string]any {
	if _, ok := fields[sync.FieldPhotosPending]; !ok {
		if _, ok := fields[sync.FieldDuplicateOf]; !ok {
			return fields
		}
	}
	out := maps.Clone(fields)
	delete(out, sync.FieldPhotosPending)
	delete(out, sync.FieldDuplicateOf)
	return out
}

func sameFields(a, b map[string]any) bool {
	for _, k := range slices.Concat(slices.Collect(maps.Keys(a)), slices.Collect(maps.Keys(b))) {
		if !sync.EqualValues(a[k], b[k]) {
			return false
		}
	}
	return true
}

// SetField sets a field the server derives on next (nil removes it), bumping its field version
// when the value changes so that three-way merges see the change.
func SetField(next *sync.Record, field string, v any) {
	old, had := next.Fields[field]
	if (v == nil && !had) || (had && sync.EqualValues(old, v)) {
		return
	}
	if next.Fields == nil {
		next.Fields = map[string]any{}
	}
	if next.FieldVersions == nil {
		next.FieldVersions = map[string]int64{}
	}
	if v == nil {
		delete(next.Fields, field)
	} else {
		next.Fields[field] = v
	}
	next.FieldVersions[field] = next.Version
}

// stamp is an instant as records hold it (RFC 3339, UTC), nil for the zero time.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// text is a string as records hold it, nil for "".
func text[S ~string](s S) any {
	if s == "" {
		return nil
	}
	return string(s)
}

// noLookup finds nothing.
type noLookup struct{}

func (noLookup) Record(context.Context, string, string) (*sync.Record, error) { return nil, nil }
func (noLookup) RevisitPlansFor(context.Context, string, string) ([]*sync.Record, error) {
	return nil, nil
}
func (noLookup) FirstClaim(context.Context, string, sync.RecordKey) (*sync.Record, error) {
	return nil, nil
}
