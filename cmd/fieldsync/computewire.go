package main

import (
	"context"
	"time"

	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
)

// newPolicies is the policy service on the document store.
func newPolicies(store *mongostore.Store, now func() time.Time) *compute.Policies {
	return compute.NewPolicies(compute.PolicyConfig{Store: mongostore.NewPolicies(store),
		Audit: mongostore.NewAuditLog(store), Now: now})
}

// startRules seeds the policy service (seeding the default policy on an empty database: every
// instance may, the first insert wins) and the rules engine's worker on the document store and
// the engine. The worker is started by serve (runRules).
func (a *app) startRules(ctx context.Context) error {
	if err := a.policies.Seed(ctx); err != nil {
		return err
	}
	a.rules = compute.New(compute.Config{
		Records:   mongostore.NewRecords(a.store),
		Sequencer: mongostore.NewSequencer(a.store, time.Now),
		Writer:    a.engine,
		Store:     mongostore.NewCompute(a.store),
		Policies:  a.policies,
		Users:     mongostore.NewAccounts(a.store),
		Audit:     mongostore.NewAuditLog(a.store),
		Logger:    a.log,
		Steps:     []compute.Step{compute.ReimbursementStep()}, // R11–R14, R16: reimbursements
		Now:       a.now(),                                     // the dev clock when on (devclock.go)
	})
	return nil
}
