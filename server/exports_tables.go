package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/server/export"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// The exports' words: every header and label HR and finance read is Chinese.
const (
	monthClosedZh = "已关账"
	monthOpenZh   = "未关账"
	policyZh      = "政策版本"
)

// lineStatusZh names a reimbursement line's status.
var lineStatusZh = map[domain.LineStatus]string{
	domain.LinePaid:      "可报销",
	domain.LineHeld:      "暂扣",
	domain.LineDuplicate: "重复票据",
}

// lineKindZh names the reimbursement line kinds that are not receipt categories (domain.Kind*);
// a receipt's line is named by its category (domain.ReceiptCategory.Chinese).
var lineKindZh = map[string]string{
	domain.KindPerDiem:    "出差餐费补助",
	domain.KindPrivateCar: "私车里程补助",
	domain.KindFare:       "车票",
}

// exportNotes are the notes every export ends with; the policy version comes last.
func exportNotes(team domain.Team, m domain.Month, now time.Time, extra [][2]string, version int) [][2]string {
	notes := [][2]string{{"团队", team.Name}, {"月份", m.String()},
		{"导出时间", now.In(domain.Shanghai).Format("2006-01-02 15:04:05") + " (Asia/Shanghai)"}}
	notes = append(notes, extra...)
	return append(notes, [2]string{policyZh, strconv.Itoa(version)})
}

// assessmentTable is the monthly assessment for HR: one row per technician.
func assessmentTable(x compute.AssessmentExport, now time.Time) export.Table {
	state := monthOpenZh
	if x.Closed {
		state = monthClosedZh
	}
	t := export.Table{Sheet: "月度考核", Columns: []export.Column{
		{Title: "用户名", Width: 16}, {Title: "姓名", Width: 12}, {Title: "月份", Width: 9}, {Title: "基础分", Width: 7},
		{Title: "扣分", Width: 6}, {Title: "加分", Width: 6}, {Title: "得分", Width: 6}, {Title: "扣分明细/事件", Width: 48},
		{Title: "等级", Width: 6}, {Title: "等级提醒", Width: 40}, {Title: "月份状态", Width: 9}, {Title: policyZh, Width: 9},
	}}
	for _, r := range x.Rows {
		s := r.Score
		t.Rows = append(t.Rows, []any{r.User.Username, r.User.DisplayName, x.Month.String(), s.Base, s.Deductions,
			s.Additions, s.Total, incidentLines(s, x.Labels), gradeZh(r.User), gradeReminders(r.Grades), state, s.PolicyVersion})
	}
	var extra [][2]string
	extra = append(extra, [2]string{"月份状态", state})
	if x.Closed {
		extra = append(extra, [2]string{"关账时间", x.ClosedAt.In(domain.Shanghai).Format("2006-01-02 15:04")})
	}
	t.Notes = exportNotes(x.Team, x.Month, now, extra, x.PolicyVersion)
	return t
}

// incidentLines lists a score's incidents, one per line: "2026-10-10 未按时提交周总结 -2", with
// （调整 2026-09） for an adjustment of a closed month and （已豁免，不计分） for a waived one.
func incidentLines(s domain.Score, labels map[string]string) string {
	if len(s.Lines) == 0 {
		return "无"
	}
	lines := make([]string, 0, len(s.Lines))
	for _, l := range s.Lines {
		label := labels[l.Type]
		if label == "" {
			label = l.Type
		}
		line := fmt.Sprintf("%s %s %+d", l.Date, label, l.Points)
		if l.Adjustment && l.AdjustmentOf != nil {
			line += "（调整 " + l.AdjustmentOf.String() + "）"
		}
		if l.Waived {
			line += "（已豁免，不计分）"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// gradeZh is a member's grade: A, B, C, or 试用期 before one.
func gradeZh(u domain.User) string {
	if u.Grade == "" {
		return "试用期"
	}
	return string(u.Grade)
}

// gradeReminders describes the grade reviews (R7) of a row, one per line.
func gradeReminders(flags []domain.GradeFlag) string {
	lines := make([]string, 0, len(flags))
	for _, f := range flags {
		months := make([]string, len(f.Months))
		for i, m := range f.Months {
			months[i] = m.String()
			if i < len(f.Totals) {
				months[i] += " " + strconv.Itoa(f.Totals[i]) + "分"
			}
		}
		line := fmt.Sprintf("连续%d个月低于标准（%s）：建议由 %s 级降为 %s 级", len(f.Months), strings.Join(months, "，"), f.From, f.To)
		if f.From == f.To {
			line = fmt.Sprintf("连续%d个月低于标准（%s）：已是最低等级 %s", len(f.Months), strings.Join(months, "，"), f.From)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// reimbursementTable is the monthly reimbursement for finance: one row per line, and after each
// person's lines a 合计 row with what is payable (可报销) and, in 暂扣原因, what is held.
func reimbursementTable(x compute.ReimbursementExport, now time.Time) export.Table {
	t := export.Table{Sheet: "月度报销", Columns: []export.Column{
		{Title: "用户名", Width: 16}, {Title: "姓名", Width: 12}, {Title: "日期", Width: 11}, {Title: "类别", Width: 12},
		{Title: "说明", Width: 40}, {Title: "金额(元)", Width: 10}, {Title: "状态", Width: 8}, {Title: "暂扣原因", Width: 30},
		{Title: "规则", Width: 6}, {Title: "关联记录", Width: 48}, {Title: policyZh, Width: 9},
	}}
	var paid, held int64
	total := func(u domain.User) {
		reason := ""
		if held > 0 {
			reason = "另有暂扣 " + export.Money(held).String() + " 元"
		}
		t.Rows = append(t.Rows, []any{u.Username, u.DisplayName, "", "合计", "", export.Money(paid), lineStatusZh[domain.LinePaid],
			reason, "", "", ""})
		paid, held = 0, 0
	}
	for i, r := range x.Rows {
		l := r.Line
		kind := lineKindZh[l.Kind]
		if kind == "" {
			kind = domain.ReceiptCategory(l.Kind).Chinese()
		}
		date := ""
		if !r.Date.IsZero() {
			date = r.Date.String()
		}
		t.Rows = append(t.Rows, []any{r.User.Username, r.User.DisplayName, date, kind, descriptionZh(l.Description),
			export.Money(l.AmountFen), lineStatusZh[l.Status], reasonZh(l.Reason), l.Rule,
			r.Source.Collection + "/" + r.Source.ID, r.PolicyVersion})
		switch l.Status {
		case domain.LinePaid:
			paid += l.AmountFen
		case domain.LineHeld:
			held += l.AmountFen
		}
		if i == len(x.Rows)-1 || x.Rows[i+1].User.ID != r.User.ID {
			total(r.User)
		}
	}
	t.Notes = exportNotes(x.Team, x.Month, now, nil, x.PolicyVersion)
	return t
}

// descriptionZh keeps the Chinese half of a line's "中文 / English" description.
func descriptionZh(d string) string {
	zh, _, _ := strings.Cut(d, " / ")
	return zh
}

// reasonZh keeps the Chinese of a FieldMessage reason ("code: 中文 / English").
func reasonZh(r string) string {
	if r == "" {
		return ""
	}
	_, text, found := strings.Cut(r, ": ")
	if !found {
		return r
	}
	zh, _, _ := strings.Cut(text, " / ")
	return zh
}
