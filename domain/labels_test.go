package domain

import "testing"

func TestChineseNames(t *testing.T) {
	for _, mode := range TransportModes {
		if TransportChinese(mode) == mode {
			t.Errorf("transport mode %s has no Chinese name", mode)
		}
	}
	cases := []struct{ name, got, want string }{
		{"outcome", OutcomeTakenBack.Chinese(), "带回维修"},
		{"purchase status", PurchasePendingLeader.Chinese(), "待组长审批"},
		{"transport", TransportChinese(TransportHighSpeedRail), "高铁"},
		{"receipt category", ReceiptToll.Chinese(), "过路费"},
		{"unknown code names itself", TransportChinese("boat"), "boat"},
		{"unknown status names itself", PurchaseStatus("lost").Chinese(), "lost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	for _, s := range []PurchaseStatus{PurchaseDraft, PurchasePendingLeader, PurchasePendingPurchasing, PurchasePendingGM,
		PurchasePendingSignoff, PurchasePayable, PurchaseRejected} {
		if s.Chinese() == string(s) {
			t.Errorf("purchase status %s has no Chinese name", s)
		}
	}
}
