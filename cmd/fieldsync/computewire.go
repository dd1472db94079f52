package main

import (
	"context"
	"time"

	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/stores"
)

// newPolicies is the policy service on the document store.
func newPolicies(docs *stores.Set, now func() time.Time) *compute.Policies {
	return compute.NewPolicies(compute.PolicyConfig{Store: docs.Policies, Audit: docs.Audit, Now: now})
}

// startRules seeds the policy service (seeding the default policy on an empty database: every
// instance may, the first insert wins) and the rules engine's worker on the document store and
// the engine. The worker is started by serve (runRules).
func (a *app) startRules(ctx context.Context) error {
	if err := a.policies.Seed(ctx); err != nil {
		return err
	}
	a.rules = compute.New(compute.Config{
		Records:   a.docs.Records,
		Sequencer: a.docs.Sequencer,
		Writer:    a.engine,
		Store:     a.docs.Compute,
		Policies:  a.policies,
		Users:     a.docs.Accounts,
		Audit:     a.docs.Audit,
		Logger:    a.log,
		Steps:     []compute.Step{compute.ReimbursementStep()}, // R11–R14, R16: reimbursements
		Now:       a.now(),                                     // the dev clock when on (devclock.go)
	})
	return nil
}
