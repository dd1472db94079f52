package domain

// Chinese names of the codes the team sees in summaries (the review queue, docs/rules.md); the
// codes themselves stay in the wire format. An unknown code names itself.

var transportChinese = map[string]string{
	TransportBus: "公交", TransportCoach: "长途客车", TransportTrain: "火车", TransportHighSpeedRail: "高铁",
	TransportTaxi: "出租车", TransportCompanyCar: "公司车辆", TransportPrivateCar: "私车",
}

// TransportChinese names a trip's transport mode (the Transport* constants) in Chinese.
func TransportChinese(mode string) string { return orCode(transportChinese[mode], mode) }

var outcomeChinese = map[Outcome]string{OutcomeCompleted: "已修好", OutcomeIncomplete: "未完成，需再次上门",
	OutcomeTakenBack: "带回维修"}

// Chinese names the outcome of a visit in Chinese.
func (o Outcome) Chinese() string { return orCode(outcomeChinese[o], string(o)) }

var purchaseStatusChinese = map[PurchaseStatus]string{
	PurchaseDraft: "草稿", PurchasePendingLeader: "待组长审批", PurchasePendingPurchasing: "待采购部审批",
	PurchasePendingGM: "待总经办审批", PurchasePendingSignoff: "待采购部签字", PurchasePayable: "可报销",
	PurchaseRejected: "已驳回",
}

// Chinese names a purchase request's status in Chinese.
func (s PurchaseStatus) Chinese() string { return orCode(purchaseStatusChinese[s], string(s)) }

var receiptCategoryChinese = map[ReceiptCategory]string{ReceiptFuel: "油费", ReceiptToll: "过路费", ReceiptTicket: "车票",
	ReceiptTaxi: "出租车", ReceiptParts: "配件", ReceiptMeal: "餐费", ReceiptOther: "其他"}

// Chinese names a receipt category in Chinese.
func (c ReceiptCategory) Chinese() string { return orCode(receiptCategoryChinese[c], string(c)) }

func orCode(name, code string) string {
	if name == "" {
		return code
	}
	return name
}
