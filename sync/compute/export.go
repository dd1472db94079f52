package compute

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/schema"
)

// Teams finds a team by id (sync/mongostore.Accounts). Errors: domain.ErrNotFound.
type Teams interface {
	TeamByID(ctx context.Context, id string) (domain.Team, error)
}

// Exports gathers what the HR and finance exports hold (issue 8): a team's monthly assessments
// and its monthly reimbursements, read from what the rules engine computed (the month view of
// Worker.Month, the `reimbursements` and `grade_reviews` records), never recomputed here. The
// server renders them as XLSX or CSV.
type Exports struct {
	w     *Worker
	teams Teams
}

// NewExports returns the export service on the rules engine w.
func NewExports(w *Worker, teams Teams) *Exports { return &Exports{w: w, teams: teams} }

// AssessmentExport is a team's month of assessments: whether the month is closed, the version
// of the policy in force for the month and its incident labels (type → 中文), and one row per
// scored technician (every technician of the team hired by the month's end, and anyone with an
// incident in it), by username.
type AssessmentExport struct {
	Team          domain.Team
	Month         domain.Month
	Closed        bool
	ClosedAt      time.Time
	PolicyVersion int
	Labels        map[string]string
	Rows          []AssessmentRow
}

// AssessmentRow is one technician's month: the account (only ID set when it no longer
// exists), the score as it stands or as the close froze it (R4, R5), and the grade reviews
// (R7) whose run of months includes this one.
type AssessmentRow struct {
	User   domain.User
	Score  domain.Score
	Grades []domain.GradeFlag
}

// ReimbursementExport is a team's reimbursements of a month: every line of every
// reimbursement record of the month (not void), with the version of the policy in force for
// the month (each row keeps its own record's version), ordered by username, date, source.
type ReimbursementExport struct {
	Team          domain.Team
	Month         domain.Month
	PolicyVersion int
	Rows          []ReimbursementRow
}

// ReimbursementRow is one reimbursement line (R11–R16): whose, the day it is for (the
// receipt's date; the trip's start for the per diem and the private-car distance; the purchase
// request's policy date), the trip log or purchase request it belongs to, the line as computed
// (AmountFen in fen, Status paid | held | duplicate, Reason "code: 中文 / English") and the
// policy version it was computed under.
type ReimbursementRow struct {
	User          domain.User
	Date          domain.Date
	Source        sync.RecordKey
	Line          domain.ReimbursementLine
	PolicyVersion int
}

// exportTeam decides which team caller may export: a leader their own (another team's is
// not_found, so that its existence is not revealed); hr and admin the team they name. Errors:
// forbidden for other roles; invalid {"team": "required"}; not_found for an unknown team.
func (e *Exports) exportTeam(ctx context.Context, caller domain.Principal, team string) (domain.Team, error) {
	switch caller.Role {
	case domain.RoleLeader:
		if caller.TeamID == "" {
			return domain.Team{}, domain.Errorf(domain.CodeForbidden, "a leader without a team exports nothing")
		}
		if team != "" && team != caller.TeamID {
			return domain.Team{}, domain.Errorf(domain.CodeNotFound, "no such team")
		}
		team = caller.TeamID
	case domain.RoleHR, domain.RoleAdmin:
		if team == "" {
			return domain.Team{}, domain.Invalid("name the team", map[string]string{"team": "required"})
		}
	default:
		return domain.Team{}, domain.Errorf(domain.CodeForbidden, "a %s may not export a team's month", caller.Role)
	}
	t, err := e.teams.TeamByID(ctx, team)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Team{}, domain.Errorf(domain.CodeNotFound, "no such team")
	}
	return t, err
}

// Assessments returns team's month m for export (see exportTeam for who may; hr sees a month
// once it is closed, as its read grant on assessments says). Errors: forbidden, invalid
// ({"team": "required"}, {"month": "no_policy"}), not_found, unavailable.
func (e *Exports) Assessments(ctx context.Context, caller domain.Principal, team string, m domain.Month) (AssessmentExport, error) {
	t, err := e.exportTeam(ctx, caller, team)
	if err != nil {
		return AssessmentExport{}, err
	}
	w := e.w
	h, err := w.cfg.Policies.History(ctx)
	if err != nil {
		return AssessmentExport{}, err
	}
	p, err := h.ForMonth(m)
	if err != nil {
		return AssessmentExport{}, domain.Invalid("no policy was in force that month", map[string]string{"month": "no_policy"})
	}
	if err := notFuture(m, e.w.cfg.Now()); err != nil {
		return AssessmentExport{}, err
	}
	closes, err := w.cfg.Store.ClosedMonths(ctx, t.ID)
	if err != nil {
		return AssessmentExport{}, err
	}
	v, err := w.view(ctx, h, t.ID, m, indexClosed(closes)[t.ID], w.cfg.Now())
	if err != nil {
		return AssessmentExport{}, err
	}
	if domain.Authorize(caller, domain.ActionRead, domain.CollAssessments, domain.RecordMeta{Team: t.ID, Closed: v.Closed}) != nil {
		return AssessmentExport{}, domain.Errorf(domain.CodeForbidden, "a %s sees a month's assessments once it is closed", caller.Role)
	}
	users, err := e.users(ctx, t.ID)
	if err != nil {
		return AssessmentExport{}, err
	}
	flags, err := e.gradeFlags(ctx, t.ID, m)
	if err != nil {
		return AssessmentExport{}, err
	}
	out := AssessmentExport{Team: t, Month: m, Closed: v.Closed, ClosedAt: v.ClosedAt, PolicyVersion: p.Version,
		Labels: map[string]string{}}
	for typ, it := range p.IncidentTypes {
		out.Labels[typ] = it.Label
	}
	for _, s := range v.Scores {
		id := strings.ToLower(s.TechnicianID)
		out.Rows = append(out.Rows, AssessmentRow{User: userOr(users, s.TechnicianID), Score: s, Grades: flags[id]})
	}
	slices.SortFunc(out.Rows, func(a, b AssessmentRow) int {
		return cmp.Or(cmp.Compare(a.User.Username, b.User.Username), cmp.Compare(a.User.ID, b.User.ID))
	})
	return out, nil
}

// Reimbursements returns team's reimbursement lines of month m for export (see exportTeam for
// who may). Errors: forbidden, invalid ({"team": "required"}, {"month": "no_policy"}),
// not_found, unavailable.
func (e *Exports) Reimbursements(ctx context.Context, caller domain.Principal, team string, m domain.Month) (ReimbursementExport, error) {
	t, err := e.exportTeam(ctx, caller, team)
	if err != nil {
		return ReimbursementExport{}, err
	}
	h, err := e.w.cfg.Policies.History(ctx)
	if err != nil {
		return ReimbursementExport{}, err
	}
	p, err := h.ForMonth(m)
	if err != nil {
		return ReimbursementExport{}, domain.Invalid("no policy was in force that month", map[string]string{"month": "no_policy"})
	}
	if err := notFuture(m, e.w.cfg.Now()); err != nil {
		return ReimbursementExport{}, err
	}
	users, err := e.users(ctx, t.ID)
	if err != nil {
		return ReimbursementExport{}, err
	}
	read := func(coll string) ([]*sync.Record, error) { return e.w.readAll(ctx, teamTokens(t.ID), coll) }
	recs, err := read(domain.CollReimbursements)
	if err != nil {
		return ReimbursementExport{}, err
	}
	dates, err := e.sourceDates(read)
	if err != nil {
		return ReimbursementExport{}, err
	}
	out := ReimbursementExport{Team: t, Month: m, PolicyVersion: p.Version}
	for _, rec := range recs {
		if text(rec.Fields["month"]) != m.String() || rec.Fields["void"] == true {
			continue
		}
		src, _ := rec.Fields["source"].(map[string]any)
		key := sync.RecordKey{Collection: text(src["collection"]), ID: text(src["id"])}
		version, _ := integer(rec.Fields["policyVersion"])
		lines, _ := rec.Fields["lines"].([]any)
		for _, raw := range lines {
			l := lineOf(raw)
			day := dates[key]
			if d, ok := dates[sync.RecordKey{Collection: domain.CollReceipts, ID: l.ReceiptID}]; ok && l.ReceiptID != "" {
				day = d
			}
			out.Rows = append(out.Rows, ReimbursementRow{User: userOr(users, rec.Owner), Date: day, Source: key,
				Line: l, PolicyVersion: version})
		}
	}
	slices.SortStableFunc(out.Rows, func(a, b ReimbursementRow) int {
		return cmp.Or(cmp.Compare(a.User.Username, b.User.Username), cmp.Compare(a.User.ID, b.User.ID),
			a.Date.Compare(b.Date), cmp.Compare(a.Source.Collection, b.Source.Collection), cmp.Compare(a.Source.ID, b.Source.ID))
	})
	return out, nil
}

// users returns team's accounts by lower-case id.
func (e *Exports) users(ctx context.Context, team string) (map[string]domain.User, error) {
	list, err := e.w.cfg.Users.ListUsers(ctx, team)
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.User, len(list))
	for _, u := range list {
		out[strings.ToLower(u.ID)] = u
	}
	return out, nil
}

// userOr is the account of id, or a user with only the id (and it as username) when gone.
func userOr(users map[string]domain.User, id string) domain.User {
	if u, ok := users[strings.ToLower(id)]; ok {
		return u
	}
	return domain.User{ID: id, Username: id, DisplayName: id}
}

// gradeFlags returns team's grade reviews (R7) whose months include m, by lower-case
// technician id.
func (e *Exports) gradeFlags(ctx context.Context, team string, m domain.Month) (map[string][]domain.GradeFlag, error) {
	recs, err := e.w.readAll(ctx, teamTokens(team), domain.CollGradeReviews)
	if err != nil {
		return nil, err
	}
	out := map[string][]domain.GradeFlag{}
	for _, rec := range recs {
		f := domain.GradeFlag{TechnicianID: text(rec.Fields["technicianId"]), From: domain.Grade(text(rec.Fields["from"])),
			To: domain.Grade(text(rec.Fields["to"])), Reason: text(rec.Fields["reason"])}
		for _, s := range texts(rec.Fields["months"]) {
			if month, err := domain.ParseMonth(s); err == nil {
				f.Months = append(f.Months, month)
			}
		}
		totals, _ := rec.Fields["totals"].([]any)
		for _, v := range totals {
			n, _ := integer(v)
			f.Totals = append(f.Totals, n)
		}
		if slices.Contains(f.Months, m) {
			id := strings.ToLower(f.TechnicianID)
			out[id] = append(out[id], f)
		}
	}
	return out, nil
}

// sourceDates maps every trip log, purchase request and receipt of the team to the day a
// reimbursement row of it is for (see ReimbursementRow).
func (e *Exports) sourceDates(read func(string) ([]*sync.Record, error)) (map[sync.RecordKey]domain.Date, error) {
	out := map[sync.RecordKey]domain.Date{}
	for _, coll := range []string{domain.CollTripLogs, domain.CollPurchaseRequests, domain.CollReceipts} {
		recs, err := read(coll)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			var d domain.Date
			switch coll {
			case domain.CollTripLogs:
				trip, _ := schema.TripLogOf(rec, false)
				d = domain.DateOf(rec.CreatedAt)
				if !trip.StartAt.IsZero() {
					d = domain.DateOf(trip.StartAt)
				}
			case domain.CollPurchaseRequests:
				pr, _ := schema.PurchaseRequestOf(rec, false)
				d = pr.PolicyDate(rec.CreatedAt)
			case domain.CollReceipts:
				r, _ := schema.ReceiptOf(rec, false)
				d = r.Date
			}
			out[sync.RecordKey{Collection: coll, ID: rec.ID}] = d
		}
	}
	return out, nil
}

// lineOf reads one stored reimbursement line (reimbursementFields).
func lineOf(raw any) domain.ReimbursementLine {
	m, _ := raw.(map[string]any)
	amount, ok := m["amountFen"].(int64) // as the store gives it back
	if !ok {
		n, _ := integer(m["amountFen"])
		amount = int64(n)
	}
	return domain.ReimbursementLine{Rule: text(m["rule"]), Kind: text(m["kind"]), Description: text(m["description"]),
		AmountFen: amount, Status: domain.LineStatus(text(m["status"])), Reason: text(m["reason"]),
		ReceiptID: text(m["receiptId"]), PhotoSHA256: text(m["photoSha256"])}
}

// notFuture refuses a month that has not begun yet (Asia/Shanghai) at now: nothing to export.
// Errors: invalid {"month": "future"}.
func notFuture(m domain.Month, now time.Time) error {
	if m.After(domain.MonthOf(domain.DateOf(now))) {
		return domain.Invalid("the month has not begun", map[string]string{"month": "future"})
	}
	return nil
}
