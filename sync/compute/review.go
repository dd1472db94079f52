package compute

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/schema"
)

// The kinds of review queue items.
const (
	ReviewServiceForm  = "service_form"      // a submitted service form (leader)
	ReviewTripApproval = "trip_approval"     // a trip whose transport waits for approval (leader, R12–R13)
	ReviewPurchase     = "purchase_request"  // a purchase request at the caller's step (R14)
	ReviewDuplicate    = "duplicate_receipt" // a receipt image claimed before (leader, R16)
	ReviewConflict     = "conflict"          // a record with conflicts since its last review (leader)
)

// ReviewItem is one thing waiting for a reviewer: its kind, the record (collection, id, owner),
// since when it waits, and a one-line summary without customer details.
type ReviewItem struct {
	Kind       string
	Collection string
	ID         string
	Owner      string
	Since      time.Time
	Summary    string
}

// ReviewQueue is what waits for one reviewer, oldest first, with the count per kind (every
// kind the caller's role reviews is present, 0 included).
type ReviewQueue struct {
	Items  []ReviewItem
	Counts map[string]int
}

// Reviews computes review queues on request from the records (no stored state).
type Reviews struct {
	records  Records
	policies *Policies
}

// NewReviews returns the review queue service.
func NewReviews(records Records, policies *Policies) *Reviews {
	return &Reviews{records: records, policies: policies}
}

// Queue returns what waits for caller:
//   - a leader (their team): submitted service forms (since submittedAt); trips whose transport
//     mode needs approval and has none (domain.TripLog.AwaitingApproval; since submittedAt,
//     else createdAt); purchase requests at pending_leader (since waitingSince); receipts whose
//     image another receipt claimed first (domain.FirstClaims over every team's live receipts)
//     and that carry no reviewNote yet (since the receipt's createdAt); and records of the
//     team whose conflict log has an entry newer than their reviewedAt (since that entry);
//   - purchasing and gm: the purchase requests of every team waiting for their role.
//
// It reads every record of the team (Records.Changes over the team's tokens) on each call:
// fine at a team's scale (thousands of records). Errors: forbidden for other roles.
func (s *Reviews) Queue(ctx context.Context, caller domain.Principal) (ReviewQueue, error) {
	var kinds []string
	switch caller.Role {
	case domain.RoleLeader:
		if caller.TeamID == "" {
			return ReviewQueue{}, domain.Errorf(domain.CodeForbidden, "a leader without a team reviews nothing")
		}
		kinds = []string{ReviewServiceForm, ReviewTripApproval, ReviewPurchase, ReviewDuplicate, ReviewConflict}
	case domain.RolePurchasing, domain.RoleGM:
		kinds = []string{ReviewPurchase}
	default:
		return ReviewQueue{}, domain.Errorf(domain.CodeForbidden, "a %s reviews nothing", caller.Role)
	}
	h, err := s.policies.History(ctx)
	if err != nil {
		return ReviewQueue{}, err
	}
	var items []ReviewItem
	if caller.Role == domain.RoleLeader {
		items, err = s.leaderItems(ctx, h, caller)
	} else {
		items, err = s.departmentItems(ctx, h, caller)
	}
	if err != nil {
		return ReviewQueue{}, err
	}
	slices.SortFunc(items, func(a, b ReviewItem) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	q := ReviewQueue{Items: items, Counts: map[string]int{}}
	for _, k := range kinds {
		q.Counts[k] = 0
	}
	for _, it := range items {
		q.Counts[it.Kind]++
	}
	return q, nil
}

// scan returns every live record visible to tokens (collection "" for all).
func (s *Reviews) scan(ctx context.Context, tokens []string, collection string) ([]*sync.Record, error) {
	var out []*sync.Record
	after := int64(0)
	for {
		page, err := s.records.Changes(ctx, sync.ChangeQuery{Tokens: tokens, Collection: collection, After: after,
			Through: math.MaxInt64, Limit: pageSize, SkipDeleted: true})
		if err != nil {
			return nil, fmt.Errorf("read the review queue: %w", err)
		}
		for _, r := range page {
			if !r.Deleted {
				out = append(out, r)
			}
		}
		if len(page) < pageSize {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
}

// leaderItems is what waits for a leader.
func (s *Reviews) leaderItems(ctx context.Context, h domain.PolicyHistory, caller domain.Principal) ([]ReviewItem, error) {
	recs, err := s.scan(ctx, TeamTokens(caller.TeamID), "")
	if err != nil {
		return nil, err
	}
	var items []ReviewItem
	var mine []*sync.Record
	for _, rec := range recs {
		if rec.Team != caller.TeamID || !domain.IsSynced(rec.Collection) {
			continue
		}
		if it, ok := conflictItem(rec); ok {
			items = append(items, it)
		}
		switch rec.Collection {
		case domain.CollServiceForms:
			if rec.Fields["status"] == string(domain.FormSubmitted) {
				form, _ := schema.ServiceFormOf(rec, false)
				items = append(items, ReviewItem{Kind: ReviewServiceForm, Collection: rec.Collection, ID: rec.ID,
					Owner: rec.Owner, Since: orCreated(form.SubmittedAt, rec),
					Summary: fmt.Sprintf("售后服务单（%s）/ service form (%s)", form.Outcome.Chinese(), form.Outcome)})
			}
		case domain.CollTripLogs:
			trip, _ := schema.TripLogOf(rec, false)
			p, err := h.At(domain.DateOf(orCreated(trip.StartAt, rec)))
			if err == nil && trip.AwaitingApproval(p) {
				items = append(items, ReviewItem{Kind: ReviewTripApproval, Collection: rec.Collection, ID: rec.ID,
					Owner: rec.Owner, Since: orCreated(trip.SubmittedAt, rec),
					Summary: fmt.Sprintf("出差 %s → %s，%s 待批准 / trip to %s by %s awaits approval",
						trip.Origin, trip.DestinationCity, domain.TransportChinese(trip.TransportMode), trip.DestinationCity, trip.TransportMode)})
			}
		case domain.CollPurchaseRequests:
			if it, ok := purchaseItem(h, rec, domain.RoleLeader); ok {
				items = append(items, it)
			}
		case domain.CollReceipts:
			mine = append(mine, rec)
		}
	}
	if len(mine) > 0 {
		dups, err := s.duplicates(ctx, mine)
		if err != nil {
			return nil, err
		}
		items = append(items, dups...)
	}
	return items, nil
}

// duplicates are the leader's receipts whose image another receipt claimed first (R16), until
// the leader writes a reviewNote on them.
func (s *Reviews) duplicates(ctx context.Context, mine []*sync.Record) ([]ReviewItem, error) {
	all, err := s.scan(ctx, ServerPrincipal.Tokens(), domain.CollReceipts)
	if err != nil {
		return nil, err
	}
	receipts := make([]domain.Receipt, 0, len(all))
	for _, rec := range all {
		r, _ := schema.ReceiptOf(rec, false)
		receipts = append(receipts, r)
	}
	claims := domain.FirstClaims(receipts)
	var items []ReviewItem
	for _, rec := range mine {
		r, _ := schema.ReceiptOf(rec, false)
		first := r.DuplicateOfIn(claims)
		if first == "" || r.ReviewNote != "" {
			continue
		}
		items = append(items, ReviewItem{Kind: ReviewDuplicate, Collection: rec.Collection, ID: rec.ID, Owner: rec.Owner,
			Since: rec.CreatedAt, Summary: fmt.Sprintf("票据 %s 元与 %s 为同一图片 / receipt of %s CNY: same image as receipt %s",
				domain.Yuan(r.AmountFen), first, domain.Yuan(r.AmountFen), first)})
	}
	return items, nil
}

// departmentItems are the purchase requests of every team waiting for caller's role.
func (s *Reviews) departmentItems(ctx context.Context, h domain.PolicyHistory, caller domain.Principal) ([]ReviewItem, error) {
	recs, err := s.scan(ctx, caller.Tokens(), domain.CollPurchaseRequests)
	if err != nil {
		return nil, err
	}
	var items []ReviewItem
	for _, rec := range recs {
		if it, ok := purchaseItem(h, rec, caller.Role); ok {
			items = append(items, it)
		}
	}
	return items, nil
}

// purchaseItem is rec as an item when the request waits for role (its progress under the
// policy of its PolicyDate, R14).
func purchaseItem(h domain.PolicyHistory, rec *sync.Record, role domain.Role) (ReviewItem, bool) {
	pr, _ := schema.PurchaseRequestOf(rec, false)
	p, err := h.At(pr.PolicyDate(rec.CreatedAt))
	if err != nil {
		return ReviewItem{}, false
	}
	status, waiting := pr.Progress(p)
	if !slices.Contains(waiting, role) {
		return ReviewItem{}, false
	}
	return ReviewItem{Kind: ReviewPurchase, Collection: rec.Collection, ID: rec.ID, Owner: rec.Owner,
		Since: orCreated(pr.WaitingSince, rec),
		Summary: fmt.Sprintf("采购申请 %d 项 %s 元，%s / purchase request, %d items, %s CNY, %s",
			len(pr.Items), domain.Yuan(pr.TotalFen()), status.Chinese(), len(pr.Items), domain.Yuan(pr.TotalFen()), status)}, true
}

// conflictItem is rec as an item when its conflict log has an entry newer than its last review
// (reviewedAt; never reviewed: any entry), waiting since the oldest such entry.
func conflictItem(rec *sync.Record) (ReviewItem, bool) {
	if len(rec.Conflicts) == 0 {
		return ReviewItem{}, false
	}
	reviewed, _ := time.Parse(time.RFC3339Nano, text(rec.Fields["reviewedAt"]))
	var since time.Time
	var fields []string
	for _, c := range rec.Conflicts {
		if !c.At.After(reviewed) {
			continue
		}
		if since.IsZero() || c.At.Before(since) {
			since = c.At
		}
		if !slices.Contains(fields, c.Field) {
			fields = append(fields, c.Field)
		}
	}
	if since.IsZero() {
		return ReviewItem{}, false
	}
	slices.Sort(fields)
	return ReviewItem{Kind: ReviewConflict, Collection: rec.Collection, ID: rec.ID, Owner: rec.Owner, Since: since,
		Summary: fmt.Sprintf("冲突字段 / conflicting fields: %s", strings.Join(fields, ", "))}, true
}

// orCreated is t, or the record's creation time when t is zero.
func orCreated(t time.Time, rec *sync.Record) time.Time {
	if t.IsZero() {
		return rec.CreatedAt
	}
	return t
}
