package sync

import (
	"context"
	"maps"
	"slices"
	"time"

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
	// Blobs, when set, answers what the photo fields need (sync/blobs.Lookup): Derive stamps
	// the computed photosPending and duplicateOf (R16) from it. Nil stamps neither.
	Blobs PhotoLookup
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
	if domain.IsComputed(rec.Collection) {
		m.Closed = rec.Fields["state"] == "closed" // a closed month's record (hr reads closed-only)
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

// Derive implements Rules: the photos first (Photos, and with Blobs photosPending and
// duplicateOf, which the life cycle's money rules read), then the life cycle, then the audience.
// Tokens of the previous audience that are not in the new one become Revoked (their pulls drop
// the record); tokens that come back leave Revoked.
func (r DomainRules) Derive(ctx context.Context, p domain.Principal, cur, next *Record) error {
	next.Photos = domain.PhotoHashes(next.Collection, next.Fields)
	if r.Blobs != nil && !next.Deleted {
		stampPhotos(ctx, r.Blobs, cur, next)
	}
	if r.Lifecycle != nil {
		if err := r.Lifecycle(ctx, p, cur, next); err != nil {
			return err
		}
	}
	next.Audience = domain.Audience(next.Collection, meta(next))
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

// ---- Photos (docs/photos.md) ----

// PhotoLookup is what Derive asks about the photos a record refers to (sync/blobs.Lookup).
type PhotoLookup interface {
	// Missing returns those of hashes that the server does not hold yet.
	Missing(ctx context.Context, hashes []string) ([]string, error)
	// FirstClaim returns the earliest-created live record of collections, other than self,
	// that refers to the photo h (ties broken by collection, then id), and whether there is one.
	FirstClaim(ctx context.Context, h string, collections []string, self RecordKey) (PhotoClaim, bool, error)
}

// PhotoClaim is a record that refers to a photo, with the server time it was created.
type PhotoClaim struct {
	Key       RecordKey
	CreatedAt time.Time
}

// ClaimingCollections are the collections whose photos claim a payment: the same photo on two
// of their records is paid once (R16).
var ClaimingCollections = []string{domain.CollPurchaseRequests, domain.CollReceipts}

// Computed photo fields.
const (
	// FieldPhotosPending lists, sorted, the photos of the record the server does not hold yet
	// ([] once all arrived); set on records that refer to photos.
	FieldPhotosPending = "photosPending"
	// FieldDuplicateOf is {"collection", "id"} of the first claim of one of the record's photos
	// when that is another, earlier record (R16); absent otherwise.
	FieldDuplicateOf = "duplicateOf"
)

// stampPhotos sets next's photosPending and duplicateOf from the lookup. A failed lookup never
// fails the write (a photo problem must not block a record): every photo counts as pending —
// the janitor's repair pass refreshes the record once the lookup works — and duplicateOf keeps
// its previous value.
func stampPhotos(ctx context.Context, lookup PhotoLookup, cur, next *Record) {
	if len(next.Photos) == 0 {
		delete(next.Fields, FieldPhotosPending)
	} else {
		missing, err := lookup.Missing(ctx, next.Photos)
		if err != nil {
			missing = next.Photos
		}
		pending := make([]any, 0, len(missing))
		for _, h := range slices.Sorted(slices.Values(missing)) {
			pending = append(pending, h)
		}
		next.Fields[FieldPhotosPending] = pending
	}
	if !slices.Contains(ClaimingCollections, next.Collection) {
		return
	}
	dup, err := firstEarlierClaim(ctx, lookup, next)
	switch {
	case err != nil && cur != nil && cur.Fields[FieldDuplicateOf] != nil:
		next.Fields[FieldDuplicateOf] = cur.Fields[FieldDuplicateOf]
	case err == nil && dup != nil:
		next.Fields[FieldDuplicateOf] = map[string]any{"collection": dup.Key.Collection, "id": dup.Key.ID}
	default:
		delete(next.Fields, FieldDuplicateOf)
	}
}

// firstEarlierClaim returns the earliest claim, over next's photos, made before next (by
// creation time, then collection and id); nil when next is the first claim of all its photos.
func firstEarlierClaim(ctx context.Context, lookup PhotoLookup, next *Record) (*PhotoClaim, error) {
	self := RecordKey{Collection: next.Collection, ID: next.ID}
	var first *PhotoClaim
	for _, h := range next.Photos {
		c, ok, err := lookup.FirstClaim(ctx, h, ClaimingCollections, self)
		if err != nil {
			return nil, err
		}
		if ok && claimBefore(c, PhotoClaim{Key: self, CreatedAt: next.CreatedAt}) && (first == nil || claimBefore(c, *first)) {
			first = &c
		}
	}
	return first, nil
}

// claimBefore orders claims by creation time, then collection, then id.
func claimBefore(a, b PhotoClaim) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	if a.Key.Collection != b.Key.Collection {
		return a.Key.Collection < b.Key.Collection
	}
	return a.Key.ID < b.Key.ID
}
