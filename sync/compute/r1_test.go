package compute_test

import (
	"context"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// TestR1ExactlyOnceAcrossInstancesAndCatchUp: the server was down for three Saturdays; two
// instances come back at once. Every missed week gets exactly one −2 per technician, whoever
// writes it, and neither a rerun of the same weeks nor a leader's delete brings a second one.
func TestR1ExactlyOnceAcrossInstancesAndCatchUp(t *testing.T) {
	r := newRig(t)
	a, b := r.worker(), r.worker()
	r.runAt(a, at(2026, 3, 2, 9, 0)) // first pass ever: nothing owed before it

	r.clock.Set(at(2026, 3, 6, 10, 0))
	r.report(r.tech1, "2026-03-02", r.clock.Now()) // tech1 reports the first week on time, then nothing

	back := at(2026, 3, 23, 9, 0) // down over the deadlines of 7, 14 and 21 March
	r.clock.Set(back)
	var wg stdsync.WaitGroup
	for _, w := range []*compute.Worker{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.RunOnce(context.Background(), back); err != nil {
				t.Errorf("pass: %v", err)
			}
		}()
	}
	wg.Wait()
	r.runAt(b, back)
	r.runAt(a, back.Add(time.Hour))

	weeks := map[string]string{"2026-03-02": "2026-03-07", "2026-03-09": "2026-03-14", "2026-03-16": "2026-03-21"}
	want := map[domain.Principal][]string{
		r.tech1: {"2026-03-09", "2026-03-16"},
		r.tech2: {"2026-03-02", "2026-03-09", "2026-03-16"},
		r.techB: {"2026-03-02", "2026-03-09", "2026-03-16"},
	}
	check := func(t *testing.T, deleted string) {
		t.Helper()
		incidents := r.pull(compute.ServerPrincipal, domain.CollIncidents)
		for tech, mondays := range want {
			got := missedOf(incidents, tech)
			n := len(mondays)
			if deleted != "" && tech == r.tech2 {
				n--
			}
			if len(got) != n {
				t.Fatalf("%s: %d missed-report incidents, want %d: %v", tech.Username, len(got), n, got)
			}
			for _, monday := range mondays {
				wk, _ := domain.ParseWeek(monday)
				id := domain.R1IncidentID(tech.UserID, wk)
				if id == deleted {
					continue
				}
				inc, ok := got[id]
				if !ok {
					t.Fatalf("%s: no incident %s for the week of %s", tech.Username, id, monday)
				}
				if num(t, inc["points"]) != -2 || inc["date"] != weeks[monday] || num(t, inc["version"]) != 1 ||
					inc["owner"] != domain.IncidentByServer || inc["team"] != tech.TeamID {
					t.Errorf("%s week %s: %v", tech.Username, monday, inc)
				}
			}
		}
	}
	check(t, "")

	// A rerun of the same weeks (the checkpoint set back, as after a crash) writes nothing new.
	rewind := func() {
		cp, err := r.state.Checkpoint(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cp.R1Through = at(2026, 3, 1, 0, 0)
		if err := r.state.SaveCheckpoint(context.Background(), cp); err != nil {
			t.Fatal(err)
		}
	}
	rewind()
	r.runAt(b, back.Add(2*time.Hour))
	check(t, "")

	// Even two instances writing at the same time without the lease write each incident once.
	rewind()
	both := []*compute.Worker{r.workerOn(noLease{r.state}), r.workerOn(noLease{r.state})}
	for _, w := range both {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.RunOnce(context.Background(), back.Add(2*time.Hour)); err != nil {
				t.Errorf("pass without the lease: %v", err)
			}
		}()
	}
	wg.Wait()
	check(t, "")

	// The leader deletes one (a mistake); a rerun does not bring it back.
	wk, _ := domain.ParseWeek("2026-03-09")
	gone := domain.R1IncidentID(r.tech2.UserID, wk)
	res, err := r.engine.Push(context.Background(), r.leaderA, "", []sync.Mutation{{MutationID: uuid.NewString(),
		Collection: domain.CollIncidents, ID: gone, Op: sync.OpDelete, BaseVersion: 1}})
	if err != nil || res[0].Status != sync.StatusApplied {
		t.Fatalf("delete: %v %+v", err, res)
	}
	rewind()
	r.runAt(a, back.Add(3*time.Hour))
	check(t, gone)

	// The incidents count in March: tech2 has 100 − 2 × 2 left.
	if s := r.assessment(r.tech2, r.tech2, "2026-03"); s == nil || num(t, s["total"]) != 96 {
		t.Errorf("tech2's March: %v", s)
	}
}

// TestR1ServerReceiptTimeDecides: phones whose clock is in UTC push reports around the
// Saturday 17:30 (Asia/Shanghai) deadline; the server's receipt time decides, never the phone's
// clientTime (docs/rules.md).
func TestR1ServerReceiptTimeDecides(t *testing.T) {
	r := newRig(t)
	w := r.worker()
	r.runAt(w, at(2026, 3, 2, 9, 0))
	cases := []struct {
		name       string
		received   time.Time // the server's clock when the push arrives
		clientTime time.Time // the phone's clock, in UTC
		missed     bool
		reason     string
	}{
		{"received 17:29 is on time", at(2026, 3, 7, 17, 29), time.Date(2026, 3, 7, 9, 29, 0, 0, time.UTC), false, ""},
		{"received at 17:30:00 exactly is on time", at(2026, 3, 7, 17, 30), time.Date(2026, 3, 7, 9, 30, 0, 0, time.UTC), false, ""},
		{"received 17:31 is late", at(2026, 3, 7, 17, 31), time.Date(2026, 3, 7, 9, 31, 0, 0, time.UTC), true,
			"received 2026-03-07 17:31"},
		{"phone says 17:00 but clock set back: received 17:31 is late", at(2026, 3, 7, 17, 31),
			time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), true, "received 2026-03-07 17:31"},
		{"written on Saturday without signal, synced Sunday, is late", at(2026, 3, 8, 10, 0),
			time.Date(2026, 3, 7, 8, 0, 0, 0, time.UTC), true, "received 2026-03-08 10:00"},
	}
	techs := make([]domain.Principal, len(cases))
	for i := range cases {
		techs[i] = r.user("case.tech."+string(rune('a'+i)), domain.RoleTechnician, r.teamA, domain.User{})
	}
	for i, tc := range cases { // in order of arrival
		r.clock.Set(tc.received)
		r.report(techs[i], "2026-03-02", tc.clientTime)
	}
	r.runAt(w, at(2026, 3, 8, 12, 0))
	incidents := r.pull(compute.ServerPrincipal, domain.CollIncidents)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := missedOf(incidents, techs[i])
			if (len(got) == 1) != tc.missed || len(got) > 1 {
				t.Fatalf("missed-report incidents: %v, want missed=%v", got, tc.missed)
			}
			for _, inc := range got {
				if !strings.Contains(str(inc["reason"]), tc.reason) || inc["date"] != "2026-03-07" {
					t.Errorf("incident %v, want a reason with %q", inc, tc.reason)
				}
			}
		})
	}
}
