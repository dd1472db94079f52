package compute

import (
	"testing"

	"github.com/fieldsync/fieldsync/domain"
)

func TestNoMoneyWithoutTheOwnAuthorsEvidence(t *testing.T) {
	lines := []domain.ReimbursementLine{
		{Rule: "R12", ReceiptID: "r-1", AmountFen: 3500, Status: domain.LinePaid},
		{Rule: "R12", ReceiptID: "r-2", AmountFen: 1200, Status: domain.LinePaid},
		{Rule: "R11", AmountFen: 4000, Status: domain.LinePaid},
	}
	got := holdPendingPhotos(lines, map[string]bool{"r-1": true})
	if got[0].Status != domain.LineHeld || domain.FieldCode(got[0].Reason) != "photo_pending" {
		t.Errorf("a receipt without its photo is paid: %+v", got[0])
	}
	if got[1].Status != domain.LinePaid || got[2].Status != domain.LinePaid {
		t.Errorf("lines with evidence (or none needed) were held: %+v", got[1:])
	}
	receipts := []domain.Receipt{{ID: "a", Owner: "li"}, {ID: "b", Owner: "wang"}}
	if own := ownedBy(receipts, "li"); len(own) != 1 || own[0].ID != "a" {
		t.Errorf("ownedBy = %+v", own)
	}
}
