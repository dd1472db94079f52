package compute_test

import (
	"context"
	"fmt"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// clock is the server's clock in a test: the engine stamps records with it (the receipt time of
// R1) and the worker's endpoints read it.
type clock struct {
	mu  stdsync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// rig is the real engine and the rules engine on a fresh embedded database, with two teams: A
// (a leader, two technicians) and B (a leader, one technician), and hr.
type rig struct {
	t        *testing.T
	store    *mongostore.Store
	records  *mongostore.Records
	engine   *sync.Engine
	state    *mongostore.Compute
	accounts *mongostore.Accounts
	policies *compute.Policies
	clock    *clock
	teamA    string
	teamB    string
	leaderA  domain.Principal
	leaderB  domain.Principal
	tech1    domain.Principal
	tech2    domain.Principal
	techB    domain.Principal
	hr       domain.Principal
}

// at is a Shanghai wall-clock instant.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, domain.Shanghai)
}

func newRig(t *testing.T) *rig {
	t.Helper()
	st := storetest.Mongo(t)
	r := &rig{t: t, store: st, records: mongostore.NewRecords(st), state: mongostore.NewCompute(st),
		accounts: mongostore.NewAccounts(st), clock: &clock{now: at(2026, 3, 2, 9, 0)},
		teamA: uuid.NewString(), teamB: uuid.NewString()}
	r.engine = sync.New(sync.Config{Records: r.records, Sequencer: mongostore.NewSequencer(st, time.Now),
		Log: mongostore.NewMutationLog(st), Rules: sync.DomainRules{IsLocked: compute.LockedIncidents(r.state, 0)},
		CursorKey: []byte("compute-test-cursor-key-0123456789abcdef"), Now: r.clock.Now})
	r.policies = compute.NewPolicies(compute.PolicyConfig{Store: mongostore.NewPolicies(st), Now: r.clock.Now, CacheTTL: -1})
	if err := r.policies.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.leaderA = r.user("leader.a", domain.RoleLeader, r.teamA, domain.User{})
	r.leaderB = r.user("leader.b", domain.RoleLeader, r.teamB, domain.User{})
	r.tech1 = r.user("tech.one", domain.RoleTechnician, r.teamA, domain.User{})
	r.tech2 = r.user("tech.two", domain.RoleTechnician, r.teamA, domain.User{})
	r.techB = r.user("tech.b", domain.RoleTechnician, r.teamB, domain.User{})
	r.hr = r.user("hr.one", domain.RoleHR, "", domain.User{})
	return r
}

// user stores a user (extra carries hire date, grade, pay) and returns its principal.
func (r *rig) user(name string, role domain.Role, team string, extra domain.User) domain.Principal {
	r.t.Helper()
	u := extra
	u.ID, u.Username, u.Role, u.TeamID = uuid.NewString(), name, role, team
	u, err := domain.NewUser(u)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.accounts.InsertUser(context.Background(), u, "x", time.Now()); err != nil {
		r.t.Fatal(err)
	}
	return domain.PrincipalOf(u, "device-"+name)
}

// worker returns a new worker on the rig's database (each is what one server instance runs).
func (r *rig) worker() *compute.Worker { return r.workerOn(r.state) }

// workerOn returns a new worker keeping its state in store.
func (r *rig) workerOn(store compute.Store, steps ...compute.Step) *compute.Worker {
	return compute.New(compute.Config{Records: r.records, Sequencer: mongostore.NewSequencer(r.store, time.Now),
		Writer: r.engine, Store: store, Policies: r.policies, Users: r.accounts, Now: r.clock.Now, Steps: steps})
}

// noLease is the rig's state store with a lease that every worker always gets: what two
// instances do when the lease fails them (a pause longer than its lifetime).
type noLease struct{ *mongostore.Compute }

func (noLease) AcquireLease(context.Context, string, time.Time, time.Duration) (bool, error) {
	return true, nil
}
func (noLease) ReleaseLease(context.Context, string) error { return nil }

// runAt runs one pass of w at now (the clock too).
func (r *rig) runAt(w *compute.Worker, now time.Time) {
	r.t.Helper()
	r.clock.Set(now)
	if err := w.RunOnce(context.Background(), now); err != nil {
		r.t.Fatalf("pass at %s: %v", now, err)
	}
}

// push pushes one upsert as p at the clock's time and returns its result.
func (r *rig) push(p domain.Principal, collection, id string, base int64, fields map[string]any, clientTime time.Time) sync.Result {
	r.t.Helper()
	res, err := r.engine.Push(context.Background(), p, "127.0.0.1", []sync.Mutation{{MutationID: uuid.NewString(),
		Collection: collection, ID: id, Op: sync.OpUpsert, BaseVersion: base, Fields: fields, ClientTime: clientTime}})
	if err != nil {
		r.t.Fatalf("push: %v", err)
	}
	return res[0]
}

// incident records an incident as leader and checks it was applied.
func (r *rig) incident(leader, tech domain.Principal, typ string, date string, extra map[string]any) string {
	r.t.Helper()
	id := uuid.NewString()
	fields := map[string]any{"technicianId": tech.UserID, "type": typ, "date": date}
	for k, v := range extra {
		fields[k] = v
	}
	if res := r.push(leader, domain.CollIncidents, id, 0, fields, r.clock.Now()); res.Status != sync.StatusApplied {
		r.t.Fatalf("incident not applied: %+v", res)
	}
	return id
}

// pull returns the live records of collection p pulls, by id.
func (r *rig) pull(p domain.Principal, collection string) map[string]map[string]any {
	r.t.Helper()
	out := map[string]map[string]any{}
	cursor := ""
	for {
		page, err := r.engine.PullCollection(context.Background(), p, collection, cursor, 1000)
		if err != nil {
			r.t.Fatalf("pull %s: %v", collection, err)
		}
		for _, c := range page.Changes {
			if c.Revoked || c.Deleted {
				delete(out, c.ID)
				continue
			}
			out[c.ID] = c.Record
		}
		cursor = page.Cursor
		if !page.HasMore {
			return out
		}
	}
}

// assessment returns p's view of tech's assessment of month m (nil when p cannot see it).
func (r *rig) assessment(p domain.Principal, tech domain.Principal, m string) map[string]any {
	r.t.Helper()
	month, _ := domain.ParseMonth(m)
	return r.pull(p, domain.CollAssessments)[compute.AssessmentID(tech.UserID, month)]
}

// missedOf returns tech's missed-weekly-report incidents among pulled incidents.
func missedOf(incidents map[string]map[string]any, tech domain.Principal) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, rec := range incidents {
		if rec["type"] == domain.IncidentMissedWeeklyReport && rec["technicianId"] == tech.UserID {
			out[id] = rec
		}
	}
	return out
}

// report pushes tech's weekly report for the week of monday at the clock's time, with the
// phone's clock saying clientTime.
func (r *rig) report(tech domain.Principal, monday string, clientTime time.Time) {
	r.t.Helper()
	res := r.push(tech, domain.CollWeeklyReports, uuid.NewString(), 0, map[string]any{"weekStart": monday,
		"workCompleted": "3 单", "nextWeekPlan": "回访"}, clientTime)
	if res.Status != sync.StatusApplied {
		r.t.Fatalf("report not applied: %+v", res)
	}
}

// num reads a JSON number of a pulled record as an int.
func num(t *testing.T, v any) int {
	t.Helper()
	switch x := v.(type) {
	case int64:
		return int(x)
	case int:
		return x
	case float64:
		return int(x)
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

func str(v any) string { return fmt.Sprint(v) }
