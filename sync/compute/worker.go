package compute

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// Defaults of Config.
const (
	DefaultInterval = 5 * time.Second // Run's period
	leaseTTL        = 2 * time.Minute // a pass, a close or a bonus run finishes well within it
	leaseWait       = 15 * time.Second
	pageSize        = 500 // records per read
	writeBatch      = 200 // records per WriteAsServer
)

// Config wires a Worker. Every field but Audit and Logger is required (Interval and Now have
// defaults).
type Config struct {
	Records   Records
	Sequencer Sequencer
	Writer    Writer
	Store     Store
	Policies  *Policies
	Users     Users
	Audit     Auditor
	Logger    *slog.Logger
	Steps     []Step           // further rules run in every pass (steps.go)
	Interval  time.Duration    // Run's period; 0 takes DefaultInterval
	Now       func() time.Time // the clock of Run and of the endpoints; nil takes time.Now
}

// Worker keeps the computed collections up to date from the synced records (issue 5): the
// assessments (R1–R5), R1's missed-report incidents, closes (R5), grade reviews (R6–R7) and
// year-end bonuses (R8–R10). Every instance may run one: a pass, a close and a bonus run each
// hold the one lease in the database (Store.AcquireLease), so that two instances never compute
// from different snapshots at once, and every write is idempotent (deterministic ids, unchanged
// records not rewritten, R1's incidents insert-if-absent), so that a rerun writes nothing new.
type Worker struct {
	cfg Config
	id  string
	n   atomic.Int64
	mu  stdsync.Mutex // one pass, close or bonus run at a time in this process
	log *slog.Logger
}

// New returns a worker.
func New(cfg Config) *Worker {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Worker{cfg: cfg, id: uuid.NewString(), log: log}
}

// Run runs a pass every Interval until ctx ends. Failures are logged and retried on the next
// tick (the checkpoint only moves once a pass succeeded).
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		if err := w.RunOnce(ctx, w.cfg.Now()); err != nil && ctx.Err() == nil {
			w.log.Warn("compute pass failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce runs one pass at now (the instant that decides which weekly-report deadlines have
// passed, and the current month): R1 for every deadline since the last one judged, unfinished
// closes, and the assessments of every technician whose incidents changed since the checkpoint
// (or of every technician, after a new policy version or in a new month). It returns nil without
// doing anything while another instance holds the lease.
func (w *Worker) RunOnce(ctx context.Context, now time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	release, ok, err := w.lease(ctx, func() time.Time { return now }, false)
	if err != nil || !ok {
		return err
	}
	defer release()
	return w.pass(ctx, now)
}

// lease takes the database lease with a token of its own; with wait, it retries for up to
// leaseWait. It returns a release function when taken.
func (w *Worker) lease(ctx context.Context, now func() time.Time, wait bool) (func(), bool, error) {
	token := fmt.Sprintf("%s/%d", w.id, w.n.Add(1))
	deadline := time.Now().Add(leaseWait)
	for {
		ok, err := w.cfg.Store.AcquireLease(ctx, token, now(), leaseTTL)
		if err != nil {
			return nil, false, err
		}
		if ok {
			return func() {
				if err := w.cfg.Store.ReleaseLease(context.WithoutCancel(ctx), token); err != nil {
					w.log.Warn("release the compute lease", slog.String("error", err.Error()))
				}
			}, true, nil
		}
		if !wait || time.Now().After(deadline) {
			return nil, false, nil
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitLease is lease with waiting, for the endpoints: busy after leaseWait is unavailable.
func (w *Worker) waitLease(ctx context.Context) (func(), error) {
	release, ok, err := w.lease(ctx, w.cfg.Now, true)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, domain.Errorf(domain.CodeUnavailable, "the rules engine is busy: try again in a moment")
	}
	return release, nil
}

// pass is one run of the worker under the lease.
func (w *Worker) pass(ctx context.Context, now time.Time) error {
	h, err := w.cfg.Policies.fresh(ctx)
	if err != nil || len(h) == 0 {
		return err
	}
	cp, err := w.cfg.Store.Checkpoint(ctx)
	if err != nil {
		return err
	}
	users, err := w.cfg.Users.ListUsers(ctx, "")
	if err != nil {
		return err
	}
	if err := w.missedReports(ctx, h, users, &cp, now); err != nil {
		return err
	}
	if err := w.cfg.Store.SaveCheckpoint(ctx, cp); err != nil {
		return err
	}
	if err := w.finishCloses(ctx, h); err != nil {
		return err
	}
	hz, err := w.cfg.Sequencer.Horizon(ctx)
	if err != nil {
		return err
	}
	if err := w.rescore(ctx, h, users, &cp, hz.Stable, now); err != nil {
		return err
	}
	if err := w.runSteps(ctx, h, users, cp.Seq, hz.Stable, now); err != nil {
		return err
	}
	cp.Seq = max(cp.Seq, hz.Stable)
	return w.cfg.Store.SaveCheckpoint(ctx, cp)
}

// read returns every record of collection visible to tokens with After < Seq <= through, in Seq
// order, page by page; tombstones only when withDeleted.
func (w *Worker) read(ctx context.Context, tokens []string, collection string, after, through int64, withDeleted bool) ([]*sync.Record, error) {
	var out []*sync.Record
	for after < through {
		page, err := w.cfg.Records.Changes(ctx, sync.ChangeQuery{Tokens: tokens, Collection: collection, After: after,
			Through: through, Limit: pageSize, SkipDeleted: !withDeleted})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].Seq
	}
	return out, nil
}

// readAll returns every live record of collection visible to tokens.
func (w *Worker) readAll(ctx context.Context, tokens []string, collection string) ([]*sync.Record, error) {
	return w.read(ctx, tokens, collection, 0, math.MaxInt64, false)
}

// write writes records as the server, in batches.
func (w *Worker) write(ctx context.Context, writes []sync.ServerWrite) (int, error) {
	total := 0
	for len(writes) > 0 {
		n := min(len(writes), writeBatch)
		written, err := w.cfg.Writer.WriteAsServer(ctx, ServerPrincipal, writes[:n])
		total += written
		if err != nil {
			return total, err
		}
		writes = writes[n:]
	}
	return total, nil
}

// audit records e when an auditor is configured.
func (w *Worker) audit(ctx context.Context, e domain.AuditEntry) error {
	if w.cfg.Audit == nil {
		return nil
	}
	return w.cfg.Audit.Record(ctx, e)
}

// technicians returns the users who are scored: technicians, not disabled, in a team.
func technicians(users []domain.User) []domain.User {
	var out []domain.User
	for _, u := range users {
		if u.Role == domain.RoleTechnician && !u.Disabled && u.TeamID != "" {
			out = append(out, u)
		}
	}
	return out
}

// hiredBy reports whether u was hired on or before d (a zero hire date counts as always).
func hiredBy(u domain.User, d domain.Date) bool { return u.HireDate.IsZero() || !u.HireDate.After(d) }
