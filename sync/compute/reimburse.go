package compute

import (
	"context"
	"slices"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/schema"
)

// ReimbursementID returns the id of the reimbursement of the trip log or purchase request
// collection/id: domain.DerivedID("reimbursement", collection, id).
func ReimbursementID(collection, id string) string {
	return domain.DerivedID("reimbursement", collection, id)
}

// ReimbursementStep is the worker step that keeps the `reimbursements` collection (R11–R14,
// R16) up to date: one record per trip log and per purchase request (id ReimbursementID, owner
// the source's author, team its team) with the fields
//
//	source {collection, id}; month "YYYY-MM" (the trip's end, else its start; the purchase
//	request's submission, else its creation; Asia/Shanghai); lines [domain.ReimbursementLine as
//	JSON]; paidFen, heldFen, duplicateFen (sums of the lines by status); policyVersion (the
//	version the lines were computed under: the trip's start, the request's PolicyDate);
//	void true when the source was deleted (every amount 0: WriteAsServer never deletes).
//
// A pass recomputes every trip and purchase request of each team that a changed trip log,
// receipt or purchase request belongs to, and of each team holding a receipt of the same image
// as a changed receipt (R16: domain.FirstClaims over every live receipt of every team, so that
// the same image is paid once whoever claims it again). Unchanged records are not rewritten.
// Reading every receipt of every team on a pass with receipt changes is fine at the product's
// scale (a few teams, thousands of receipts a year); a store index on the photo hash is the
// way to grow.
func ReimbursementStep() Step {
	return Step{Name: "reimbursements",
		Collections: []string{domain.CollTripLogs, domain.CollReceipts, domain.CollPurchaseRequests},
		Run:         runReimbursements}
}

// runReimbursements is ReimbursementStep's Run.
func runReimbursements(ctx context.Context, in StepInput) ([]sync.ServerWrite, error) {
	if len(in.Changed) == 0 {
		return nil, nil
	}
	allReceipts, err := in.Read(ctx, ServerPrincipal.Tokens(), domain.CollReceipts)
	photoPending := map[string]bool{} // receipts whose image the server does not have yet
	if err != nil {
		return nil, err
	}
	receipts := make([]domain.Receipt, 0, len(allReceipts))
	for _, rec := range allReceipts {
		r, _ := schema.ReceiptOf(rec, false)
		receipts = append(receipts, r)
		if pending, _ := rec.Fields[sync.FieldPhotosPending].([]any); len(pending) > 0 {
			photoPending[rec.ID] = true
		}
	}
	claims := domain.FirstClaims(receipts)
	teams := affectedTeams(in.Changed, receipts)
	var writes []sync.ServerWrite
	for _, team := range slices.Sorted(func(yield func(string) bool) {
		for t := range teams {
			if !yield(t) {
				return
			}
		}
	}) {
		w, err := teamReimbursements(ctx, in, team, receipts, claims, photoPending)
		if err != nil {
			return nil, err
		}
		writes = append(writes, w...)
	}
	return writes, nil
}

// affectedTeams returns the teams whose reimbursements a pass recomputes: those of the changed
// records, and those holding a receipt of an image a changed receipt holds (or held: the
// tombstone keeps its fields).
func affectedTeams(changed []*sync.Record, receipts []domain.Receipt) map[string]bool {
	teams := map[string]bool{}
	photos := map[string]bool{}
	for _, rec := range changed {
		if rec.Team != "" {
			teams[rec.Team] = true
		}
		if rec.Collection == domain.CollReceipts {
			if h, _ := rec.Fields["photo"].(string); h != "" {
				photos[h] = true
			}
		}
	}
	for _, r := range receipts {
		if photos[r.Photo] && r.Team != "" {
			teams[r.Team] = true
		}
	}
	return teams
}

// teamReimbursements computes every reimbursement of team, and voids those whose source is gone.
func teamReimbursements(ctx context.Context, in StepInput, team string, receipts []domain.Receipt,
	claims map[string]domain.Claim, photoPending map[string]bool) ([]sync.ServerWrite, error) {
	tokens := TeamTokens(team)
	trips, err := in.Read(ctx, tokens, domain.CollTripLogs)
	if err != nil {
		return nil, err
	}
	requests, err := in.Read(ctx, tokens, domain.CollPurchaseRequests)
	if err != nil {
		return nil, err
	}
	existing, err := in.Read(ctx, tokens, domain.CollReimbursements)
	if err != nil {
		return nil, err
	}
	var mine []domain.Receipt
	for _, r := range receipts {
		if r.Team == team {
			mine = append(mine, r)
		}
	}
	live := map[string]bool{}
	var writes []sync.ServerWrite
	for _, rec := range trips {
		trip, _ := schema.TripLogOf(rec, false)
		day := domain.DateOf(rec.CreatedAt)
		if !trip.StartAt.IsZero() {
			day = domain.DateOf(trip.StartAt)
		}
		p, err := in.History.At(day)
		if err != nil {
			continue // no policy in force on the trip's start: nothing to compute under
		}
		month := day
		if !trip.EndAt.IsZero() {
			month = domain.DateOf(trip.EndAt)
		}
		lines := holdPendingPhotos(domain.TripReimbursement(p, trip, ownedBy(mine, rec.Owner), claims), photoPending)
		writes = append(writes, reimbursementWrite(rec, domain.MonthOf(month), lines, p.Version))
		live[ReimbursementID(rec.Collection, rec.ID)] = true
	}
	for _, rec := range requests {
		pr, _ := schema.PurchaseRequestOf(rec, false)
		day := pr.PolicyDate(rec.CreatedAt)
		p, err := in.History.At(day)
		if err != nil {
			continue
		}
		lines := holdPendingPhotos(domain.PurchaseReimbursement(p, pr, ownedBy(mine, rec.Owner), claims), photoPending)
		writes = append(writes, reimbursementWrite(rec, domain.MonthOf(day), lines, p.Version))
		live[ReimbursementID(rec.Collection, rec.ID)] = true
	}
	for _, rec := range existing {
		if live[rec.ID] || rec.Fields["void"] == true {
			continue
		}
		f := map[string]any{"source": rec.Fields["source"], "month": rec.Fields["month"], "lines": []any{},
			"paidFen": int64(0), "heldFen": int64(0), "duplicateFen": int64(0),
			"policyVersion": rec.Fields["policyVersion"], "void": true}
		writes = append(writes, sync.ServerWrite{Collection: domain.CollReimbursements, ID: rec.ID,
			Owner: rec.Owner, Team: rec.Team, Fields: f})
	}
	return writes, nil
}

// ownedBy keeps the receipts of one author: a trip or purchase pays only its own author's
// receipts, whatever another receipt's link says.
func ownedBy(receipts []domain.Receipt, owner string) []domain.Receipt {
	var out []domain.Receipt
	for _, r := range receipts {
		if r.Owner == owner {
			out = append(out, r)
		}
	}
	return out
}

// holdPendingPhotos holds every paid line whose receipt image has not reached the server: no
// money without the evidence.
func holdPendingPhotos(lines []domain.ReimbursementLine, pending map[string]bool) []domain.ReimbursementLine {
	for i, l := range lines {
		if l.ReceiptID != "" && pending[l.ReceiptID] && l.Status == domain.LinePaid {
			lines[i].Status = domain.LineHeld
			lines[i].Reason = domain.FieldMessage("photo_pending", "票据照片尚未上传", "the receipt's photo has not been uploaded yet")
		}
	}
	return lines
}

// reimbursementWrite is the record of source's reimbursement.
func reimbursementWrite(source *sync.Record, month domain.Month, lines []domain.ReimbursementLine, version int) sync.ServerWrite {
	return sync.ServerWrite{Collection: domain.CollReimbursements, ID: ReimbursementID(source.Collection, source.ID),
		Owner: source.Owner, Team: source.Team, Fields: reimbursementFields(source, month, lines, version)}
}

// reimbursementFields is the field set of a reimbursement record (ReimbursementStep); numbers
// are int64, as the store gives them back, so that a rerun compares equal.
func reimbursementFields(source *sync.Record, month domain.Month, lines []domain.ReimbursementLine, version int) map[string]any {
	out := make([]any, 0, len(lines))
	var held, dup int64
	for _, l := range lines {
		line := map[string]any{"rule": l.Rule, "kind": l.Kind, "description": l.Description,
			"amountFen": l.AmountFen, "status": string(l.Status)}
		for k, v := range map[string]string{"reason": l.Reason, "receiptId": l.ReceiptID, "photoSha256": l.PhotoSHA256} {
			if v != "" {
				line[k] = v
			}
		}
		switch l.Status {
		case domain.LineHeld:
			held += l.AmountFen
		case domain.LineDuplicate:
			dup += l.AmountFen
		}
		out = append(out, line)
	}
	return map[string]any{"source": map[string]any{"collection": source.Collection, "id": source.ID},
		"month": month.String(), "lines": out, "paidFen": domain.PaidFen(lines), "heldFen": held,
		"duplicateFen": dup, "policyVersion": int64(version)}
}
