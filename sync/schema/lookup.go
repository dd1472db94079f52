package schema

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// Lookup finds the other records a life cycle needs: the work order of a service form (R18), the
// revisit plans of a form (R17), the first claim of a receipt image (R16). Every method returns
// live records only (tombstones are left out) and errors only when the store fails.
type Lookup interface {
	// Record returns the live record collection/id, or nil when there is none.
	Record(ctx context.Context, collection, id string) (*sync.Record, error)
	// RevisitPlansFor returns the live revisit plans of team whose serviceFormId is formID.
	RevisitPlansFor(ctx context.Context, team, formID string) ([]*sync.Record, error)
	// FirstClaim returns, among the live receipts of every team other than except whose photo is
	// sha256, the one created first (ties: the smaller id), or nil when there is none.
	FirstClaim(ctx context.Context, sha256 string, except sync.RecordKey) (*sync.Record, error)
}

// RecordReader is what StoreLookup reads: sync.RecordStore has it.
type RecordReader interface {
	GetMany(ctx context.Context, keys []sync.RecordKey) (map[sync.RecordKey]*sync.Record, error)
	Changes(ctx context.Context, q sync.ChangeQuery) ([]*sync.Record, error)
}

// StoreLookup implements Lookup over a record store: Record with GetMany, the others by paging
// through Changes of one collection with the visibility tokens that reach every candidate (the
// team's leader for revisit plans, the admin role for receipts of every team), filtering in Go.
// That reads every revisit plan of a team on each approval of a form that is not completed, and
// every receipt on each new receipt image: fine for a team's volume (thousands of records); a
// store with an index on the photo hash can implement FirstClaim in one query when it grows.
type StoreLookup struct {
	store RecordReader
	page  int
}

// NewStoreLookup returns a Lookup reading records from store.
func NewStoreLookup(store RecordReader) *StoreLookup { return &StoreLookup{store: store, page: 500} }

// Record implements Lookup.
func (l *StoreLookup) Record(ctx context.Context, collection, id string) (*sync.Record, error) {
	key := sync.RecordKey{Collection: collection, ID: id}
	got, err := l.store.GetMany(ctx, []sync.RecordKey{key})
	if err != nil {
		return nil, fmt.Errorf("look up %s %s: %w", collection, id, err)
	}
	if rec := got[key]; rec != nil && !rec.Deleted {
		return rec, nil
	}
	return nil, nil
}

// RevisitPlansFor implements Lookup.
func (l *StoreLookup) RevisitPlansFor(ctx context.Context, team, formID string) ([]*sync.Record, error) {
	tokens := tokensOf(domain.CollRevisitPlans, domain.RecordMeta{Team: team}, "team:")
	var out []*sync.Record
	err := l.scan(ctx, domain.CollRevisitPlans, tokens, func(r *sync.Record) {
		if r.Team == team && r.Fields["serviceFormId"] == formID {
			out = append(out, r)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("look up revisit plans of service form %s: %w", formID, err)
	}
	return out, nil
}

// PhotoClaims is what a record store offers when it can find the records that claim a photo
// directly (sync/mongostore.Records.Claims): live records of collections referring to the photo
// h, earliest created first (ties by id), at most limit.
type PhotoClaims interface {
	Claims(ctx context.Context, h string, collections []string, limit int) ([]sync.PhotoClaim, error)
}

// FirstClaim implements Lookup: through the store's PhotoClaims when it has them, otherwise by
// reading every receipt.
func (l *StoreLookup) FirstClaim(ctx context.Context, sha256 string, except sync.RecordKey) (*sync.Record, error) {
	if pc, ok := l.store.(PhotoClaims); ok {
		return l.firstClaimIndexed(ctx, pc, sha256, except)
	}
	tokens := tokensOf(domain.CollReceipts, domain.RecordMeta{}, "role:")
	var first *sync.Record
	err := l.scan(ctx, domain.CollReceipts, tokens, func(r *sync.Record) {
		if r.ID == except.ID || r.Fields["photo"] != sha256 {
			return
		}
		if first == nil || claimedBefore(r, first) {
			first = r
		}
	})
	if err != nil {
		return nil, fmt.Errorf("look up the first claim of a receipt image: %w", err)
	}
	return first, nil
}

// firstClaimIndexed is FirstClaim on a store with PhotoClaims: the first of the photo's claims
// among receipts that is not except, checked against the record itself.
func (l *StoreLookup) firstClaimIndexed(ctx context.Context, pc PhotoClaims, sha256 string, except sync.RecordKey) (*sync.Record, error) {
	claims, err := pc.Claims(ctx, sha256, []string{domain.CollReceipts}, 3)
	if err != nil {
		return nil, fmt.Errorf("look up the first claim of a receipt image: %w", err)
	}
	var keys []sync.RecordKey
	for _, c := range claims {
		if c.Key.ID != except.ID {
			keys = append(keys, c.Key)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	got, err := l.store.GetMany(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up the first claim of a receipt image: %w", err)
	}
	var first *sync.Record
	for _, k := range keys {
		if r := got[k]; r != nil && !r.Deleted && r.Fields["photo"] == sha256 && (first == nil || claimedBefore(r, first)) {
			first = r
		}
	}
	return first, nil
}

// claimedBefore reports whether receipt a was created before b (ties: the smaller id), the order
// of domain.FirstClaims.
func claimedBefore(a, b *sync.Record) bool {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

// scan calls fn with every live record of collection visible to tokens, in pages.
func (l *StoreLookup) scan(ctx context.Context, collection string, tokens []string, fn func(*sync.Record)) error {
	if len(tokens) == 0 {
		return fmt.Errorf("no visibility token reaches every %s: %w", collection, domain.ErrUnavailable)
	}
	after := int64(0)
	for {
		page, err := l.store.Changes(ctx, sync.ChangeQuery{Tokens: tokens, Collection: collection, After: after,
			Through: math.MaxInt64, Limit: l.page, SkipDeleted: true})
		if err != nil {
			return err
		}
		for _, r := range page {
			if !r.Deleted {
				fn(r)
			}
			after = r.Seq
		}
		if len(page) < l.page {
			return nil
		}
	}
}

// tokensOf returns the audience tokens of a record of collection described by meta that start
// with prefix: the tokens that reach every record of a team ("team:") or of every team ("role:").
func tokensOf(collection string, meta domain.RecordMeta, prefix string) []string {
	var out []string
	for _, t := range domain.Audience(collection, meta) {
		if strings.HasPrefix(t, prefix) {
			out = append(out, t)
		}
	}
	return out
}
