package server

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/server/export"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// ExportService is what the export endpoints need (compute.Exports).
type ExportService interface {
	Assessments(ctx context.Context, caller domain.Principal, team string, m domain.Month) (compute.AssessmentExport, error)
	Reimbursements(ctx context.Context, caller domain.Principal, team string, m domain.Month) (compute.ReimbursementExport, error)
}

// The exports (issue 8): kind → how the table is made.
const (
	exportAssessments    = "assessments"
	exportReimbursements = "reimbursements"
)

// exportRoutes registers GET /v1/exports/{assessments|reimbursements}/{YYYY-MM}.{xlsx|csv}.
func (s *Server) exportRoutes() {
	s.app.Get("/v1/exports/:kind/:file", s.requireAuth, s.export)
}

// exportFormat is one file format of the exports.
type exportFormat struct {
	contentType string
	write       func(w *bufio.Writer, t export.Table) error
}

var exportFormats = map[string]exportFormat{
	"xlsx": {export.ContentTypeXLSX, func(w *bufio.Writer, t export.Table) error { return export.WriteXLSX(w, t) }},
	"csv":  {export.ContentTypeCSV, func(w *bufio.Writer, t export.Table) error { return export.WriteCSV(w, t) }},
}

// export handles GET /v1/exports/:kind/:month.:format[?team=<team id>] (bearer auth):
//
//   - assessments: one row per technician of the team for the month (用户名, 姓名, 月份, 基础分,
//     扣分, 加分, 得分, 扣分明细/事件 with one incident per line, 等级, 等级提醒 (R7), 月份状态
//     已关账/未关账, 政策版本), as the month stands or as its close froze it;
//   - reimbursements: one row per reimbursement line of the month (用户名, 姓名, 日期, 类别, 说明,
//     金额(元) with two decimals, 状态 可报销/暂扣/重复票据, 暂扣原因, 规则, 关联记录
//     collection/id, 政策版本) and after each person's lines a 合计 row of what is payable.
//
// XLSX (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) has a second sheet
// 说明 (team, month, export time, 政策版本); CSV (text/csv; charset=utf-8, UTF-8 with BOM, CRLF)
// ends with those lines after a blank row. Headers: Content-Disposition attachment with
// filename="<kind>-<YYYY-MM>.<format>" and, RFC 5987 UTF-8 encoded, filename* =
// "<team name>-<考核|报销>-<YYYY-MM>.<format>",
// X-Fieldsync-Policy-Version (the policy in force for the month), Cache-Control: no-store. The
// body streams. Who: the team's leader (their own team; team may be left out); hr (assessments
// of closed months only) and admin, naming the team. Errors: 400 {"month": "month" |
// "no_policy"}, {"team": "required"}; 403 other roles; 404 unknown kind or format, unknown team,
// or another team's (a leader).
func (s *Server) export(c *fiber.Ctx) error {
	kind := c.Params("kind")
	monthText, ext, _ := strings.Cut(c.Params("file"), ".")
	format, ok := exportFormats[ext]
	if !ok || (kind != exportAssessments && kind != exportReimbursements) {
		return domain.Errorf(domain.CodeNotFound, "no such export")
	}
	m, err := domain.ParseMonth(monthText)
	if err != nil || m.IsZero() {
		return domain.Invalid("invalid month", map[string]string{"month": "month"})
	}
	ctx, p, team := c.UserContext(), principalOf(c), c.Query("team")
	now := time.Now()
	var table export.Table
	var title string
	var version int
	var teamName string
	switch kind {
	case exportAssessments:
		x, err := s.deps.Exports.Assessments(ctx, p, team, m)
		if err != nil {
			return err
		}
		table, title, version, teamName = assessmentTable(x, now), "考核", x.PolicyVersion, x.Team.Name
	case exportReimbursements:
		x, err := s.deps.Exports.Reimbursements(ctx, p, team, m)
		if err != nil {
			return err
		}
		table, title, version, teamName = reimbursementTable(x, now), "报销", x.PolicyVersion, x.Team.Name
	}
	name := fmt.Sprintf("%s-%s.%s", kind, m, ext)
	local := fmt.Sprintf("%s-%s-%s.%s", teamName, title, m, ext)
	c.Set(fiber.HeaderContentType, format.contentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, rfc5987(local)))
	c.Set("X-Fieldsync-Policy-Version", strconv.Itoa(version))
	c.Set(fiber.HeaderCacheControl, "no-store")
	rid, log := strings.Clone(requestIDOf(c)), s.cfg.Logger
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// The status is sent by now: a failure can only cut the file short, and is logged.
		if err := format.write(w, table); err != nil {
			log.Warn("export cut short", slog.String("requestId", rid), slog.String("error", err.Error()))
			return
		}
		if err := w.Flush(); err != nil {
			log.Warn("export cut short", slog.String("requestId", rid), slog.String("error", err.Error()))
		}
	})
	return nil
}

// rfc5987 percent-encodes s for a filename* parameter (RFC 5987 attr-char kept as is); path
// separators and quotes become '_'.
func rfc5987(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == '/' || c == '\\' || c == '"':
			b.WriteByte('_')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("!#$&+-.^_`|~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
