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
	"github.com/fieldsync/fieldsync/sync/mongostore"
)

// janitorInterval is how often every instance purges what the retention windows let go.
const janitorInterval = time.Hour

// newEngine builds the sync engine on the document store. The pull cursors are signed with a
// key derived from the token signing key, so every instance signs alike.
func newEngine(store *mongostore.Store, signingKey []byte) *sync.Engine {
	mac := hmac.New(sha256.New, signingKey)
	mac.Write([]byte("fieldsync pull cursor v1"))
	return sync.New(sync.Config{
		Records:   mongostore.NewRecords(store),
		Sequencer: mongostore.NewSequencer(store, time.Now),
		Log:       mongostore.NewMutationLog(store),
		Rules: sync.DomainRules{Blobs: photoLookup(store),
			IsLocked: compute.LockedIncidents(mongostore.NewCompute(store), 0)}, // R5: incidents frozen by a close
		Audit:     mongostore.NewAuditLog(store),
		CursorKey: mac.Sum(nil),
	})
}

// runJanitor purges old tombstones and idempotency keys every janitorInterval until ctx ends,
// under the retention windows of the policy in force. Every instance runs it; both steps are
// idempotent.
func runJanitor(ctx context.Context, store *mongostore.Store, log *slog.Logger) {
	day := 24 * time.Hour
	records, seq, mutations := mongostore.NewRecords(store), mongostore.NewSequencer(store, time.Now), mongostore.NewMutationLog(store)
	tick := time.NewTicker(janitorInterval)
	defer tick.Stop()
	for {
		now := time.Now()
		policy := domain.DefaultPolicy()
		tombstoneRetention := time.Duration(policy.TombstoneRetentionDays) * day
		mutationLogRetention := time.Duration(policy.MutationLogRetentionDays) * day
		if n, err := sync.PurgeTombstones(ctx, records, seq, now, tombstoneRetention); err != nil {
			log.Warn("purge tombstones", slog.String("error", err.Error()))
		} else if n > 0 {
			log.Info("purged tombstones", slog.Int64("count", n))
		}
		if _, err := mutations.DeleteBefore(ctx, now.Add(-mutationLogRetention)); err != nil {
			log.Warn("purge mutation log", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
