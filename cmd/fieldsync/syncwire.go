package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/schema"
	"github.com/fieldsync/fieldsync/sync/stores"
)

// janitorInterval is how often every instance purges what the retention windows let go.
const janitorInterval = time.Hour

// newEngine builds the sync engine on the document store. The pull cursors are signed with a
// key derived from the token signing key, so every instance signs alike.
func newEngine(docs *stores.Set, signingKey []byte, policies *compute.Policies, now func() time.Time) *sync.Engine {
	mac := hmac.New(sha256.New, signingKey)
	mac.Write([]byte("fieldsync pull cursor v1"))
	return sync.New(sync.Config{
		Records:   docs.Records,
		Sequencer: docs.Sequencer,
		Log:       docs.Log,
		Rules:     newRules(docs, policies, now),
		Audit:     docs.Audit,
		CursorKey: mac.Sum(nil),
		Now:       now, // the dev clock when on (devclock.go): createdAt, updatedAt
	})
}

// newRules are the team's rules as the engine applies them to every write: validation and life
// cycles (sync/schema), photos (R16, photosPending), and the locks of approved records and closed
// months (R5).
func newRules(docs *stores.Set, policies *compute.Policies, now func() time.Time) sync.DomainRules {
	r := schema.NewRules(schema.Config{
		Now:    now, // submittedAt, reviewedAt
		Lookup: schema.NewStoreLookup(docs.Records),
		Extra:  map[string]schema.Hook{domain.CollIncidents: compute.IncidentHook(policies)},
		Policy: func(d domain.Date) domain.Policy {
			p, err := policies.At(context.Background(), d)
			if err != nil {
				return domain.DefaultPolicy()
			}
			return p
		},
	})
	r.Blobs = photoLookup(docs)
	recordLocked, incidentLocked := r.IsLocked, compute.LockedIncidents(docs.Compute, 0)
	r.IsLocked = func(rec *sync.Record) bool { return recordLocked(rec) || incidentLocked(rec) }
	return r
}

// runJanitor purges old tombstones and idempotency keys every janitorInterval until ctx ends,
// under the retention windows of the policy in force. Every instance runs it; both steps are
// idempotent.
func runJanitor(ctx context.Context, docs *stores.Set, log *slog.Logger) {
	day := 24 * time.Hour
	tick := time.NewTicker(janitorInterval)
	defer tick.Stop()
	for {
		now := time.Now()
		policy := domain.DefaultPolicy()
		tombstoneRetention := time.Duration(policy.TombstoneRetentionDays) * day
		mutationLogRetention := time.Duration(policy.MutationLogRetentionDays) * day
		if n, err := sync.PurgeTombstones(ctx, docs.Records, docs.Sequencer, now, tombstoneRetention); err != nil {
			log.Warn("purge tombstones", slog.String("error", err.Error()))
		} else if n > 0 {
			log.Info("purged tombstones", slog.Int64("count", n))
		}
		if _, err := docs.Log.DeleteBefore(ctx, now.Add(-mutationLogRetention)); err != nil {
			log.Warn("purge mutation log", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
