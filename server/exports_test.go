package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/server/export"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/schema"
)

// leaderFixture is the account fixture served as in production for the leader's console:
// the team's rules (sync/schema) on every push, the rules engine with the reimbursement step,
// exports and sync health, on a clock the test sets. With photos, records wait for their photos
// (none is ever uploaded): photosPending is stamped.
type leaderFixture struct {
	*fixture
	clk    *testClock
	worker *compute.Worker
	li     domain.User // a technician of team A with a Chinese name and a grade
}

func newLeaderFixture(t *testing.T, photos bool) *leaderFixture {
	t.Helper()
	f := newFixture(t)
	clk := &testClock{now: shanghai(2026, 11, 2, 10, 0)}
	policies := compute.NewPolicies(compute.PolicyConfig{Store: mongostore.NewPolicies(f.store),
		Audit: mongostore.NewAuditLog(f.store), Now: clk.Now, CacheTTL: -1})
	if err := policies.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	records := mongostore.NewRecords(f.store)
	rules := schema.NewRules(schema.Config{Lookup: schema.NewStoreLookup(records), Now: clk.Now,
		Extra: map[string]schema.Hook{domain.CollIncidents: compute.IncidentHook(policies)}})
	if photos {
		rules.Blobs = blobs.Lookup{Meta: mongostore.NewBlobs(f.store), Records: records}
	}
	engine := sync.New(sync.Config{Records: records, Sequencer: mongostore.NewSequencer(f.store, time.Now),
		Log: mongostore.NewMutationLog(f.store), Audit: mongostore.NewAuditLog(f.store), Rules: rules,
		CursorKey: []byte("fixture-cursor-key-0123456789abcdef0123"), Now: clk.Now})
	users := mongostore.NewAccounts(f.store)
	worker := compute.New(compute.Config{Records: records, Sequencer: mongostore.NewSequencer(f.store, time.Now),
		Writer: engine, Store: mongostore.NewCompute(f.store), Policies: policies, Users: users,
		Audit: mongostore.NewAuditLog(f.store), Steps: []compute.Step{compute.ReimbursementStep()}, Now: clk.Now})
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.srv = New(Config{Logger: log, BodyLimit: 1 << 20}, Deps{Accounts: f.svc, LoginLimits: mongostore.NewLimiterStorage(f.store),
		Sync: engine, Policy: policies, Scoring: worker, Exports: compute.NewExports(worker, users),
		SyncHealth: compute.NewSyncHealth(compute.SyncHealthConfig{Activity: mongostore.NewSyncActivity(f.store, clk.Now),
			Records: records, Users: users, Teams: users, Now: clk.Now}),
		SyncActivity: mongostore.NewSyncActivity(f.store, clk.Now)})
	li, err := f.svc.CreateUser(context.Background(), accounts.CommandLine, "", domain.User{Username: "li.ming",
		DisplayName: "李师傅", Role: domain.RoleTechnician, TeamID: f.teamA.ID, HireDate: domain.Date{Year: 2025, Month: 1, Day: 1},
		ProbationPassed: true, Grade: domain.GradeB, MonthlyPayFen: 450_000}, fxPassword)
	if err != nil {
		t.Fatal(err)
	}
	f.sessions["li"], err = f.svc.Login(context.Background(), accounts.LoginInput{Username: "li.ming", Password: fxPassword,
		DeviceID: uuid.NewString(), DeviceName: "Redmi Note"})
	if err != nil {
		t.Fatal(err)
	}
	return &leaderFixture{fixture: f, clk: clk, worker: worker, li: li}
}

// mustPush pushes mutations as who and fails unless every one is applied.
func (f *leaderFixture) mustPush(who string, muts ...map[string]any) {
	f.t.Helper()
	status, _, body := f.call(who, "POST", "/v1/sync/push", map[string]any{"mutations": muts})
	if status != 200 {
		f.t.Fatalf("push as %s: %d %v", who, status, body)
	}
	for _, r := range resultsOf(f.t, body) {
		if r["status"] != "applied" {
			f.t.Fatalf("push as %s: %v", who, r)
		}
	}
}

// october fills October 2026 for 李师傅: two incidents from the leader, a rail trip outside
// the city with its ticket, and a taxi ride without approval; then runs the rules engine.
func (f *leaderFixture) october() {
	f.t.Helper()
	f.mustPush("leaderA",
		mutation("incidents", uuid.NewString(), 0, map[string]any{"technicianId": f.li.ID, "type": "unreachable", "date": "2026-10-10"}),
		mutation("incidents", uuid.NewString(), 0, map[string]any{"technicianId": f.li.ID, "type": "commendation",
			"date": "2026-10-12", "points": 3, "reason": "客户表扬"}))
	rail, taxi := uuid.NewString(), uuid.NewString()
	f.mustPush("li",
		mutation("trip_logs", rail, 0, map[string]any{"purpose": "维修", "origin": "郑州", "destinationCity": "洛阳市",
			"outsideHomeCity": true, "startAt": "2026-10-08T07:00:00+08:00", "endAt": "2026-10-09T20:00:00+08:00",
			"people": []any{f.li.ID}, "transportMode": "high_speed_rail", "submitted": true}),
		mutation("trip_logs", taxi, 0, map[string]any{"purpose": "送件", "origin": "郑州", "destinationCity": "郑州市",
			"startAt": "2026-10-15T13:00:00+08:00", "endAt": "2026-10-15T15:00:00+08:00", "people": []any{f.li.ID},
			"transportMode": "taxi", "submitted": true}),
		mutation("receipts", uuid.NewString(), 0, map[string]any{"photo": photoHash("ticket"), "amountFen": 12050,
			"date": "2026-10-08", "category": "ticket", "tripLogId": rail}),
		mutation("receipts", uuid.NewString(), 0, map[string]any{"photo": photoHash("taxi"), "amountFen": 3500,
			"date": "2026-10-15", "category": "taxi", "tripLogId": taxi}))
	if err := f.worker.RunOnce(context.Background(), f.clk.Now()); err != nil {
		f.t.Fatal(err)
	}
}

// photoHash is a distinct SHA-256 hex per name.
func photoHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// download fetches an export as who and returns the status, headers and raw body.
func (f *leaderFixture) download(who, path string) (int, http.Header, []byte) {
	f.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if tok := f.token(who); tok != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+tok)
	}
	resp, err := f.srv.App().Test(req, -1)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// xlsxRows reads the sheets of an XLSX file.
func xlsxRows(t *testing.T, raw []byte) map[string][][]string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an XLSX file: %v", err)
	}
	defer x.Close()
	out := map[string][][]string{}
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		out[sheet] = rows
	}
	return out
}

// csvRows reads a CSV export, checking the BOM and the CRLF line ends.
func csvRows(t *testing.T, raw []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no UTF-8 BOM: % x", raw[:min(8, len(raw))])
	}
	if header, _, _ := bytes.Cut(raw, []byte("\n")); !bytes.HasSuffix(header, []byte("\r")) {
		t.Fatalf("line ends are not CRLF: %q", header)
	}
	r := csv.NewReader(bytes.NewReader(raw[3:]))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// rowOf returns the first row whose first cell is first.
func rowOf(rows [][]string, first string) []string {
	for _, r := range rows {
		if len(r) > 0 && r[0] == first {
			return r
		}
	}
	return nil
}

var assessmentHeader = []string{"用户名", "姓名", "月份", "基础分", "扣分", "加分", "得分", "扣分明细/事件", "等级", "等级提醒", "月份状态", "政策版本"}

func TestExportAssessments(t *testing.T) {
	f := newLeaderFixture(t, false)
	f.october()
	checkLi := func(t *testing.T, rows [][]string, state string) {
		t.Helper()
		if strings.Join(rows[0], ",") != strings.Join(assessmentHeader, ",") {
			t.Fatalf("header %q", rows[0])
		}
		li := rowOf(rows, "li.ming")
		if li == nil {
			t.Fatalf("no row for li.ming: %q", rows)
		}
		want := []string{"li.ming", "李师傅", "2026-10", "100", "2", "3", "101"}
		if strings.Join(li[:7], ",") != strings.Join(want, ",") {
			t.Errorf("li.ming %q, want %q", li[:7], want)
		}
		if !strings.Contains(li[7], "2026-10-10 工作时间超过12小时无法联系 -2") || !strings.Contains(li[7], "2026-10-12 表扬加分 +3") ||
			!strings.Contains(li[7], "\n") {
			t.Errorf("incidents %q", li[7])
		}
		if li[8] != "B" || li[10] != state || li[11] != "1" {
			t.Errorf("grade, state, version %q", li[8:])
		}
		if techA := rowOf(rows, fixtureUsername("techA")); techA == nil || techA[6] != "100" || techA[7] != "无" {
			t.Errorf("techA %q", techA)
		}
		if rowOf(rows, fixtureUsername("disabled")) != nil {
			t.Errorf("a disabled account is scored")
		}
	}

	t.Run("xlsx", func(t *testing.T) {
		status, h, raw := f.download("leaderA", "/v1/exports/assessments/2026-10.xlsx")
		if status != 200 {
			t.Fatalf("%d %s", status, raw)
		}
		for k, v := range map[string]string{"Content-Type": export.ContentTypeXLSX, "X-Fieldsync-Policy-Version": "1",
			"Cache-Control": "no-store"} {
			if h.Get(k) != v {
				t.Errorf("%s %q, want %q", k, h.Get(k), v)
			}
		}
		if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="assessments-2026-10.xlsx"; filename*=UTF-8''team-a-%E8%80%83%E6%A0%B8-2026-10.xlsx`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		sheets := xlsxRows(t, raw)
		checkLi(t, sheets["月度考核"], "未关账")
		notes := sheets[export.NotesSheet]
		if r := rowOf(notes, "政策版本"); r == nil || r[1] != "1" {
			t.Errorf("notes %q", notes)
		}
	})
	t.Run("csv", func(t *testing.T) {
		status, h, raw := f.download("leaderA", "/v1/exports/assessments/2026-10.csv?team="+f.teamA.ID)
		if status != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("%d %q %s", status, h.Get("Content-Type"), raw)
		}
		rows := csvRows(t, raw)
		checkLi(t, rows, "未关账")
		if last := rows[len(rows)-1]; last[0] != "政策版本" || last[1] != "1" {
			t.Errorf("last row %q", last)
		}
	})
	t.Run("hr exports a closed month only", func(t *testing.T) {
		path := "/v1/exports/assessments/2026-10.xlsx?team=" + f.teamA.ID
		if status, _, raw := f.download("hr", path); status != 403 {
			t.Fatalf("hr, open month: %d %s", status, raw)
		}
		if status, _, body := f.call("leaderA", "POST", "/v1/months/2026-10/close", nil); status != 200 {
			t.Fatalf("close: %d %v", status, body)
		}
		status, _, raw := f.download("hr", path)
		if status != 200 {
			t.Fatalf("hr, closed month: %d %s", status, raw)
		}
		checkLi(t, xlsxRows(t, raw)["月度考核"], "已关账")
	})
}

func TestExportReimbursements(t *testing.T) {
	f := newLeaderFixture(t, false)
	f.october()
	check := func(t *testing.T, rows [][]string) {
		t.Helper()
		want := "用户名,姓名,日期,类别,说明,金额(元),状态,暂扣原因,规则,关联记录,政策版本"
		if strings.Join(rows[0], ",") != want {
			t.Fatalf("header %q", rows[0])
		}
		var li [][]string
		for _, r := range rows[1:] {
			if len(r) > 1 && r[0] == "li.ming" {
				li = append(li, r)
			}
		}
		if len(li) != 4 {
			t.Fatalf("li.ming rows %q", li)
		}
		perDiem, ticket, taxi, total := li[0], li[1], li[2], li[3]
		if perDiem[2] != "2026-10-08" || perDiem[3] != "出差餐费补助" || perDiem[5] != "40.00" || perDiem[6] != "可报销" ||
			perDiem[8] != "R11" || !strings.HasPrefix(perDiem[9], "trip_logs/") || perDiem[10] != "1" {
			t.Errorf("per diem %q", perDiem)
		}
		if ticket[3] != "车票" || ticket[5] != "120.50" || ticket[6] != "可报销" || ticket[1] != "李师傅" {
			t.Errorf("ticket %q", ticket)
		}
		if taxi[2] != "2026-10-15" || taxi[5] != "35.00" || taxi[6] != "暂扣" || taxi[7] == "" || strings.Contains(taxi[7], "/") {
			t.Errorf("taxi %q", taxi)
		}
		if total[3] != "合计" || total[5] != "160.50" || !strings.Contains(total[7], "35.00") {
			t.Errorf("total %q", total)
		}
	}
	t.Run("xlsx", func(t *testing.T) {
		status, h, raw := f.download("leaderA", "/v1/exports/reimbursements/2026-10.xlsx")
		if status != 200 || h.Get("X-Fieldsync-Policy-Version") != "1" {
			t.Fatalf("%d %v %s", status, h, raw)
		}
		check(t, xlsxRows(t, raw)["月度报销"])
	})
	t.Run("csv", func(t *testing.T) {
		status, _, raw := f.download("admin", "/v1/exports/reimbursements/2026-10.csv?team="+f.teamA.ID)
		if status != 200 {
			t.Fatalf("%d %s", status, raw)
		}
		rows := csvRows(t, raw)
		check(t, rows)
		if last := rows[len(rows)-1]; strings.Join(last, ",") != "政策版本,1" {
			t.Errorf("last row %q", last)
		}
	})
	t.Run("another month is empty", func(t *testing.T) {
		status, _, raw := f.download("leaderA", "/v1/exports/reimbursements/2026-09.csv")
		if rows := csvRows(t, raw); status != 200 || rowOf(rows, "li.ming") != nil {
			t.Fatalf("%d %q", status, rows)
		}
	})
}

func TestExportAuthorization(t *testing.T) {
	f := newLeaderFixture(t, false)
	a, b := f.teamA.ID, f.teamB.ID
	cases := []struct {
		name, who, path string
		status          int
		code            string
	}{
		{"leader, own team", "leaderA", "/v1/exports/assessments/2026-10.xlsx", 200, ""},
		{"leader, own team named", "leaderA", "/v1/exports/reimbursements/2026-10.csv?team=" + a, 200, ""},
		{"leader, another team", "leaderB", "/v1/exports/assessments/2026-10.xlsx?team=" + a, 404, "not_found"},
		{"leader, another team's reimbursements", "leaderA", "/v1/exports/reimbursements/2026-10.csv?team=" + b, 404, "not_found"},
		{"technician", "techA", "/v1/exports/assessments/2026-10.xlsx", 403, "forbidden"},
		{"technician, reimbursements", "techA", "/v1/exports/reimbursements/2026-10.csv", 403, "forbidden"},
		{"purchasing", "buyer", "/v1/exports/reimbursements/2026-10.csv?team=" + a, 403, "forbidden"},
		{"gm", "gm", "/v1/exports/assessments/2026-10.csv?team=" + a, 403, "forbidden"},
		{"hr must name the team", "hr", "/v1/exports/reimbursements/2026-10.csv", 400, "invalid"},
		{"hr, reimbursements", "hr", "/v1/exports/reimbursements/2026-10.xlsx?team=" + a, 200, ""},
		{"admin must name the team", "admin", "/v1/exports/assessments/2026-10.xlsx", 400, "invalid"},
		{"admin, unknown team", "admin", "/v1/exports/assessments/2026-10.xlsx?team=" + uuid.NewString(), 404, "not_found"},
		{"admin", "admin", "/v1/exports/assessments/2026-10.xlsx?team=" + b, 200, ""},
		{"no token", "none", "/v1/exports/assessments/2026-10.xlsx", 401, "unauthorized"},
		{"bad month", "leaderA", "/v1/exports/assessments/2026-13.xlsx", 400, "invalid"},
		{"not a month", "leaderA", "/v1/exports/assessments/latest.csv", 400, "invalid"},
		{"before any policy", "leaderA", "/v1/exports/assessments/2025-12.csv", 400, "invalid"},
		{"a month not begun", "leaderA", "/v1/exports/reimbursements/2099-01.csv", 400, "invalid"},
		{"unknown format", "leaderA", "/v1/exports/assessments/2026-10.pdf", 404, "not_found"},
		{"no format", "leaderA", "/v1/exports/assessments/2026-10", 404, "not_found"},
		{"unknown export", "leaderA", "/v1/exports/salaries/2026-10.csv", 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, raw := f.download(tc.who, tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			if tc.code != "" && !strings.Contains(string(raw), `"code":"`+tc.code+`"`) {
				t.Errorf("body %s, want code %s", raw, tc.code)
			}
			if status == 200 && h.Get("Content-Disposition") == "" {
				t.Errorf("no Content-Disposition")
			}
		})
	}
}

func TestExportCSVEscapesFormulas(t *testing.T) {
	var buf bytes.Buffer
	err := export.WriteCSV(&buf, export.Table{Columns: []export.Column{{Title: "姓名"}, {Title: "金额(元)"}},
		Rows: [][]any{{"=HYPERLINK(\"x\")", export.Money(-5)}, {"王五", export.Money(123456)}}, Notes: [][2]string{{"政策版本", "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "\uFEFF姓名,金额(元)\r\n\"'=HYPERLINK(\"\"x\"\")\",-0.05\r\n王五,1234.56\r\n\r\n政策版本,2\r\n"
	if buf.String() != want {
		t.Fatalf("got %q\nwant %q", buf.String(), want)
	}
}
