package domain

// Policy is one version of the team's rules as numbers (SPEC.md: "Keep every number above in a
// versioned policy document with an effective date, and compute each month under the policy in
// force that month"). Money is integer fen, durations are whole hours or days, clock times are
// "HH:MM" in Asia/Shanghai. DefaultPolicy holds the seed's numbers; admins add versions
// (PUT /v1/policy). No rule reads a number from anywhere else.
type Policy struct {
	// Version numbers the versions, 1, 2, ...; EffectiveFrom is the first civil date
	// (Asia/Shanghai) it governs. A month is computed under the version in force on its first day.
	Version       int    `json:"version"`
	EffectiveFrom Date   `json:"effectiveFrom"`
	Note          string `json:"note,omitempty"`

	// Scoring 考核 (R1–R5).
	BaseScore int `json:"baseScore"` // R4: the month starts here (100); not capped
	// IncidentTypes are the scored event types (R1–R4; the rest of 考核办法 is data, not code).
	IncidentTypes map[string]IncidentType `json:"incidentTypes"`
	// WorkdayStart and WorkdayEnd bound working hours (the seed: 8:30–17:30).
	WorkdayStart string `json:"workdayStart"`
	WorkdayEnd   string `json:"workdayEnd"`
	// WeeklyReportWeekday (0 = Sunday … 6 = Saturday) and WeeklyReportDeadline ("17:30") are when
	// the week's report is due (R1).
	WeeklyReportWeekday  int    `json:"weeklyReportWeekday"`
	WeeklyReportDeadline string `json:"weeklyReportDeadline"`
	// UnreachableHours is how long within working hours a member may be unreachable (R2).
	UnreachableHours int `json:"unreachableHours"`
	// MonthCloseDay is the day of the next month by which the month's assessment is due to HR (R5).
	MonthCloseDay int `json:"monthCloseDay"`

	// Grades and pay 薪资等级 (R6–R7).
	PayBands map[Grade]PayBand `json:"payBands"`
	// DowngradeBelow and DowngradeRun: DowngradeRun consecutive closed months scoring below
	// DowngradeBelow flag a downgrade by one grade (R7).
	DowngradeBelow int `json:"downgradeBelow"`
	DowngradeRun   int `json:"downgradeRun"`

	// Year-end bonus 年终奖 (R8–R10).
	BonusTenureYears int `json:"bonusTenureYears"` // R8: whole years of service at year end
	BonusThreshold   int `json:"bonusThreshold"`   // R10: every closed month >= this ...
	BonusMultiplier  int `json:"bonusMultiplier"`  // ... pays this many monthly pays (2),
	BonusReduced     int `json:"bonusReduced"`     // otherwise this many (1)

	// Travel and reimbursement 报销 (R11–R13).
	HomeCity          string   `json:"homeCity"`          // 郑州市
	PerDiemFen        int64    `json:"perDiemFen"`        // R11: per person per calendar day outside the home city
	DefaultTransport  []string `json:"defaultTransport"`  // R12: paid at receipts without approval
	ApprovalTransport []string `json:"approvalTransport"` // R12–R13: held until the leader approves
	// PrivateCarFenPerKm is HR's private-car rate (R13). The seed gives no number: 0 means "not
	// set", and private-car lines are held with that reason until HR sets one.
	PrivateCarFenPerKm int64 `json:"privateCarFenPerKm"`

	// Purchases 采购 (R14): a line item at or above this needs the full approval chain.
	PurchaseThresholdFen int64 `json:"purchaseThresholdFen"`
	// Petty cash 备用金 (R15): the leader's float each month.
	PettyCashFloatFen int64 `json:"pettyCashFloatFen"`

	// Retention and limits.
	TombstoneRetentionDays   int   `json:"tombstoneRetentionDays"`   // deleted records stay pullable this long
	MutationLogRetentionDays int   `json:"mutationLogRetentionDays"` // idempotency keys are kept this long
	OrphanPhotoRetentionDays int   `json:"orphanPhotoRetentionDays"` // a photo no record refers to is removed after this
	MaxPhotoBytes            int64 `json:"maxPhotoBytes"`            // one photo upload
	RefreshTokenDays         int   `json:"refreshTokenDays"`         // a device stays signed in this long unused
}

// IncidentType is one kind of scored event: its default points (negative for deductions), whether
// the leader sets the points case by case (commendations), and whether it is a major loss that
// cancels the year-end bonus (R9).
type IncidentType struct {
	Points       int    `json:"points"`
	LeaderPoints bool   `json:"leaderPoints,omitempty"`
	MajorLoss    bool   `json:"majorLoss,omitempty"`
	Label        string `json:"label"`
}

// PayBand is a grade's monthly pay range in fen, assessment pay included (R6).
type PayBand struct {
	MinFen int64 `json:"minFen"`
	MaxFen int64 `json:"maxFen"`
}

// The incident types the SPEC names; policies may add more.
const (
	IncidentMissedWeeklyReport = "missed_weekly_report" // R1, created by the server
	IncidentUnreachable        = "unreachable"          // R2
	IncidentLeftPost           = "left_post"            // R3
	IncidentCommendation       = "commendation"         // R4: an addition with a reason
	IncidentMajorLoss          = "major_loss"           // R9: 重大损失
)

// The transport modes of a trip log (SPEC.md 4).
const (
	TransportBus           = "bus"
	TransportCoach         = "coach"
	TransportTrain         = "train"
	TransportHighSpeedRail = "high_speed_rail"
	TransportTaxi          = "taxi"
	TransportCompanyCar    = "company_car"
	TransportPrivateCar    = "private_car"
)

// DefaultPolicy is version 1: the seed's numbers (SPEC.md R1–R18), effective from 2026-01-01.
func DefaultPolicy() Policy {
	return Policy{
		Version:       1,
		EffectiveFrom: Date{Year: 2026, Month: 1, Day: 1},
		Note:          "售后小组管理制度 (seed)",
		BaseScore:     100,
		IncidentTypes: map[string]IncidentType{
			IncidentMissedWeeklyReport: {Points: -2, Label: "未按时提交周总结"},
			IncidentUnreachable:        {Points: -2, Label: "工作时间超过12小时无法联系"},
			IncidentLeftPost:           {Points: -5, Label: "服务期间擅离岗位"},
			IncidentCommendation:       {LeaderPoints: true, Label: "表扬加分"},
			IncidentMajorLoss:          {MajorLoss: true, Label: "给公司造成重大损失"},
		},
		WorkdayStart:         "08:30",
		WorkdayEnd:           "17:30",
		WeeklyReportWeekday:  6,
		WeeklyReportDeadline: "17:30",
		UnreachableHours:     12,
		MonthCloseDay:        5,
		PayBands: map[Grade]PayBand{
			GradeA: {MinFen: 500_000, MaxFen: 600_000},
			GradeB: {MinFen: 400_000, MaxFen: 500_000},
			GradeC: {MinFen: 300_000, MaxFen: 400_000},
		},
		DowngradeBelow:           90,
		DowngradeRun:             2,
		BonusTenureYears:         1,
		BonusThreshold:           90,
		BonusMultiplier:          2,
		BonusReduced:             1,
		HomeCity:                 "郑州市",
		PerDiemFen:               2_000,
		DefaultTransport:         []string{TransportBus, TransportCoach, TransportTrain, TransportHighSpeedRail},
		ApprovalTransport:        []string{TransportTaxi, TransportCompanyCar, TransportPrivateCar},
		PrivateCarFenPerKm:       0,
		PurchaseThresholdFen:     50_000,
		PettyCashFloatFen:        500_000,
		TombstoneRetentionDays:   90,
		MutationLogRetentionDays: 90,
		OrphanPhotoRetentionDays: 30,
		MaxPhotoBytes:            15 << 20,
		RefreshTokenDays:         30,
	}
}
