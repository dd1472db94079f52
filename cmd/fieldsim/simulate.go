package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/fieldsync/fieldsync/domain"
)

// Result is what a simulation found: the broken invariants (none: it passed) and the numbers
// the report shows.
type Result struct {
	Failures                  []failure
	Elapsed                   time.Duration
	Start                     time.Time // first simulated day
	End                       time.Time // the day after the last
	Mutations, Resent, Photos int
}

// progressTo returns the progress callback: a bar on w when show, else nothing.
func progressTo(w io.Writer, show bool) func(done, total int) {
	if !show {
		return func(int, int) {}
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("simulated days"),
				progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true), progressbar.OptionClearOnFinish())
		}
		_ = bar.Set(done)
		if done == total {
			_ = bar.Finish()
		}
	}
}

// Simulate runs the team's period against cfg.URL, checks the invariants and writes the report
// to out. An error means the simulation could not run (the server refused a set-up step, went
// away...); broken invariants are in Result.Failures.
func Simulate(ctx context.Context, cfg Config, out io.Writer, progress func(done, total int)) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	began := time.Now()
	if cfg.RunID == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		cfg.RunID = hex.EncodeToString(b[:])
	}
	h := fnv.New64a()
	h.Write([]byte(cfg.RunID))
	s := &sim{cfg: cfg, hc: &http.Client{Timeout: 2 * time.Minute}, ledger: newLedger(), policies: map[string]domain.Policy{},
		rng: mrand.New(mrand.NewPCG(cfg.Seed, 1)), ids: mrand.New(mrand.NewPCG(cfg.Seed, h.Sum64())), runID: cfg.RunID,
		progress: progress}
	s.admin = newClient(cfg.URL, s.hc, cfg.AdminUser, cfg.AdminPassword, "fieldsim-admin-"+cfg.RunID)
	if err := s.admin.login(ctx); err != nil {
		return Result{}, fmt.Errorf("sign in as the admin %q: %w", cfg.AdminUser, err)
	}
	if err := s.period(ctx); err != nil {
		return Result{}, err
	}
	var err error
	if s.photos, err = newPhotoFactory(cfg.Seed, cfg.PhotoMinBytes, cfg.PhotoMaxBytes, s.ids); err != nil {
		return Result{}, err
	}
	if err := s.setup(ctx); err != nil {
		return Result{}, err
	}
	// The first set of the clock: on a fresh server the rules worker's first pass happens now.
	if err := s.setClock(ctx, s.start); err != nil {
		return Result{}, err
	}
	if s.firstPass.IsZero() {
		s.firstPass = s.start
	}
	sc := newScenario(s)
	days := int(s.end.Sub(s.start).Hours()/24 + 0.5)
	progress(0, days+1)
	for i := range days {
		if err := sc.day(ctx, s.start.AddDate(0, 0, i)); err != nil {
			return Result{}, fmt.Errorf("day %s: %w", s.start.AddDate(0, 0, i).Format(time.DateOnly), err)
		}
		progress(i+1, days+1)
	}
	if err := sc.finish(ctx); err != nil {
		return Result{}, fmt.Errorf("the end of the period: %w", err)
	}
	e, err := s.expect(ctx)
	if err != nil {
		return Result{}, err
	}
	st, err := s.readServer(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("read the server's state: %w", err)
	}
	var phones []*phone
	for _, m := range s.everyone() {
		phones = append(phones, m.phones...)
	}
	failures := check(s.ledger, e, st, phones)
	progress(days+1, days+1)
	res := Result{Failures: failures, Elapsed: time.Since(began), Start: s.start, End: s.end, Mutations: len(s.ledger.order),
		Resent: s.ledger.resends}
	for _, m := range s.everyone() {
		res.Photos += m.stats.Uploaded
	}
	s.report(out, e, st, failures, res.Elapsed)
	return res, nil
}

// period decides the simulated days. The default is the previous calendar month in
// Asia/Shanghai; when the server's dev clock was already set past its start (an earlier run),
// the first whole month after the server's clock instead, because the clock only moves forward.
func (s *sim) period(ctx context.Context) error {
	now, set, err := s.serverClock(ctx)
	if err != nil {
		return err
	}
	if set {
		s.clock, s.firstPass = now, now
	}
	if s.cfg.Start != "" {
		d, err := domain.ParseDate(s.cfg.Start)
		if err != nil {
			return fmt.Errorf("start %q: want YYYY-MM-DD", s.cfg.Start)
		}
		s.start = d.Start()
		if set && now.After(s.start) {
			return fmt.Errorf("the server's dev clock is already at %s, after the start %s: it only moves forward "+
				"(choose a later start, or run against a fresh data directory)", now.In(domain.Shanghai).Format(time.RFC3339), d)
		}
	} else {
		m := domain.MonthOf(domain.DateOf(time.Now())).Prev()
		if set && now.After(m.First().Start()) {
			m = domain.MonthOf(domain.DateOf(now)).Next()
		}
		s.start = m.First().Start()
	}
	if s.cfg.Days > 0 {
		s.end = s.start.AddDate(0, 0, s.cfg.Days)
	} else {
		s.end = domain.MonthOf(domain.DateOf(s.start)).Next().First().Start()
	}
	return nil
}
