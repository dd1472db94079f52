package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// report prints the month as the team lived it: per technician the score with its incidents,
// the grade flag, reimbursements with the held items, sync statistics; the petty cash; the
// checks. Scores and money are the server's (they passed the checks when no failure is listed).
func (s *sim) report(w io.Writer, e *expectation, st *serverState, failures []failure, elapsed time.Duration) {
	fmt.Fprintf(w, "\nfieldsim: team %s, %d technicians, %s – %s (Asia/Shanghai), seed %d, run %s, %s\n\n",
		s.teamID, len(s.techs), s.start.Format(time.DateOnly), s.end.AddDate(0, 0, -1).Format(time.DateOnly),
		s.cfg.Seed, s.runID, elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "leader: %s (password %q): sign in to the console to review the month\n\n", s.leader.user.Username, s.leader.password)
	for _, t := range s.techs {
		fmt.Fprintf(w, "%s (%s, grade %s, %d device(s))\n", t.name, t.user.Username, t.user.Grade, len(t.phones))
		for _, m := range s.months() {
			id := domain.DerivedID("assessment", t.user.ID, m.String())
			got := st.team[recKey{"assessments", id}]
			state := "missing"
			total := int64(0)
			if got != nil {
				state, total = str(got.server["state"]), num(got.server["total"])
			}
			fmt.Fprintf(w, "  score %s: %d (%s)", m, total, state)
			var lines []string
			for _, l := range e.scores[t.user.ID][m] {
				lines = append(lines, fmt.Sprintf("%s %s %+d", l.Date, l.Type, l.Points))
			}
			sort.Strings(lines)
			if len(lines) > 0 {
				fmt.Fprintf(w, ": %s", strings.Join(lines, "; "))
			}
			fmt.Fprintln(w)
		}
		grade := "no downgrade flag"
		if e.flagged[t.user.ID] {
			grade = "FLAGGED for a downgrade (R7)"
		}
		fmt.Fprintf(w, "  grade: %s\n", grade)
		var paid, held, dup int64
		var items []string
		for _, m := range e.money {
			if m.Owner == t.user.ID {
				paid, held, dup = paid+m.Paid, held+m.Held, dup+m.Dup
				items = append(items, m.HeldItems...)
			}
		}
		fmt.Fprintf(w, "  reimbursement: paid %s CNY, held %s CNY, duplicates %s CNY\n", domain.Yuan(paid), domain.Yuan(held), domain.Yuan(dup))
		if len(items) > 0 {
			counts := map[string]int{}
			for _, it := range items {
				_, reason, _ := strings.Cut(it, " ")
				counts[reason]++
			}
			var parts []string
			for r, n := range counts {
				parts = append(parts, fmt.Sprintf("%d× %s", n, r))
			}
			sort.Strings(parts)
			fmt.Fprintf(w, "  held items: %s\n", strings.Join(parts, ", "))
		}
		st := t.stats
		fmt.Fprintf(w, "  sync: pushed %d (resent %d), applied %d, merged %d, conflicts %d, rejected %d; photos uploaded %d (%.1f MB, %d resumed), deduplicated %d; pull pages %d\n\n",
			st.Pushed, st.Resent, st.Applied, st.Merged, st.Conflicts, st.Rejected, st.Uploaded,
			float64(st.UploadedBytes)/(1<<20), st.Resumed, st.Deduplicated, st.PullPages)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "member\tpushed\tresent\tmerged\tconflicts\trejected\tphotos\tdedup\tpull pages")
	for _, m := range []*member{s.leader, s.purchasing, s.gm} {
		st := m.stats
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", m.name, st.Pushed, st.Resent, st.Merged, st.Conflicts, st.Rejected,
			st.Uploaded, st.Deduplicated, st.PullPages)
	}
	tw.Flush()
	for _, m := range s.months() {
		fmt.Fprintf(w, "petty cash %s: balance %s CNY (%d payouts recorded, %d refused beyond the balance)\n", m,
			domain.Yuan(st.petty[m]), countPayouts(s.ledger.payouts, m), countPayouts(s.ledger.refused, m))
	}
	if s.cutUpload != nil {
		fmt.Fprintf(w, "resumable upload: %d-byte receipt cut off half-way, resumed at offset %d\n", s.cutUpload.Size, s.resumedAt)
	}
	fmt.Fprintf(w, "mutations: %d sent, %d resent after a dropped answer; records: %d\n", len(s.ledger.order), s.ledger.resends, len(s.ledger.records))
	if len(failures) == 0 {
		fmt.Fprintln(w, "CHECKS PASSED: every change on the server exactly once or logged as a conflict; every device's pull matches the server; scores, reimbursements and petty cash match the simulator's own computation")
		return
	}
	fmt.Fprintf(w, "CHECKS FAILED (%d):\n", len(failures))
	for _, f := range failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
}

func countPayouts(ps []payoutEvent, m domain.Month) int {
	n := 0
	for _, p := range ps {
		if strings.HasPrefix(p.date, m.String()) {
			n++
		}
	}
	return n
}
