package compute

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// Step is a further rule the worker runs in every pass, after the scores, under the same lease
// and checkpoint: the way to add computed collections (reimbursements, petty cash) without a
// second worker. Run gets the records of Collections that changed since the last pass and
// returns the computed records to write (WriteAsServer as ServerPrincipal: records whose fields
// are unchanged are not rewritten, so a step may simply return everything it derives from what
// changed). It must be deterministic and idempotent: a failed pass is retried from the same
// checkpoint, and its changes are given to every step again.
type Step struct {
	Name        string
	Collections []string
	Run         func(ctx context.Context, in StepInput) ([]sync.ServerWrite, error)
}

// StepInput is what a step gets in one pass.
type StepInput struct {
	// Now is the pass's instant; History the policy versions; Users every account.
	Now     time.Time
	History domain.PolicyHistory
	Users   []domain.User
	// Changed are the records of the step's Collections written since the last pass (tombstones
	// included), in commit order.
	Changed []*sync.Record
	// Read returns every live record of collection that a principal holding tokens may read
	// (e.g. TeamTokens(team) for a team's records).
	Read func(ctx context.Context, tokens []string, collection string) ([]*sync.Record, error)
	// MonthClosed reports whether team's month is closed (R5).
	MonthClosed func(ctx context.Context, team string, m domain.Month) (bool, error)
}

// TeamTokens are the visibility tokens that read every record of team (its leader's).
func TeamTokens(team string) []string { return teamTokens(team) }

// runSteps gives each step the changes of its collections in (after, through].
func (w *Worker) runSteps(ctx context.Context, h domain.PolicyHistory, users []domain.User, after, through int64, now time.Time) error {
	if len(w.cfg.Steps) == 0 {
		return nil
	}
	changes := map[string][]*sync.Record{}
	for _, st := range w.cfg.Steps {
		for _, c := range st.Collections {
			if _, done := changes[c]; done {
				continue
			}
			recs, err := w.read(ctx, ServerPrincipal.Tokens(), c, after, through, true)
			if err != nil {
				return err
			}
			changes[c] = recs
		}
	}
	in := StepInput{Now: now, History: h, Users: users, Read: w.readAll,
		MonthClosed: func(ctx context.Context, team string, m domain.Month) (bool, error) {
			return MonthClosed(ctx, w.cfg.Store, team, m)
		}}
	for _, st := range w.cfg.Steps {
		in.Changed = nil
		for _, c := range st.Collections {
			in.Changed = append(in.Changed, changes[c]...)
		}
		slices.SortFunc(in.Changed, func(a, b *sync.Record) int { return cmp.Compare(a.Seq, b.Seq) })
		writes, err := st.Run(ctx, in)
		if err != nil {
			return fmt.Errorf("rule %s: %w", st.Name, err)
		}
		if _, err := w.write(ctx, writes); err != nil {
			return fmt.Errorf("rule %s: %w", st.Name, err)
		}
	}
	return nil
}
