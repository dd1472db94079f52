// Package contract is one behavioural suite that every store adapter must pass: the same
// scenarios, through the real sync engine, wanting the same answers from each adapter.
package contract

import (
	"context"
	"fmt"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// Stores is one adapter's set of stores, fresh and empty for each scenario.
type Stores struct {
	Records   fsync.RecordStore
	Sequencer fsync.Sequencer
	Log       fsync.MutationLog
	// The rest are optional; a scenario is skipped without the stores it needs.
	Users         accounts.Users
	Teams         accounts.Teams
	Devices       accounts.Devices
	RefreshTokens accounts.RefreshTokens
	Settings      accounts.Settings
	Audit         accounts.AuditLog
	Compute       compute.Store
}

var cursorKey = []byte("contract-cursor-key-contract-cursor-key-01")

var (
	tech   = domain.Principal{UserID: "u-tech", Username: "li", Role: domain.RoleTechnician, TeamID: "t1", DeviceID: "phone-1"}
	tablet = domain.Principal{UserID: "u-tech", Username: "li", Role: domain.RoleTechnician, TeamID: "t1", DeviceID: "tablet"}
)

const coll = domain.CollServiceForms

// A Scenario is one behavioural check of an adapter's stores.
type Scenario func(t *testing.T, open func(t *testing.T) Stores)

// Scenarios are every scenario, by subtest name, in the order Run runs them.
var Scenarios = []struct {
	Name string
	Run  Scenario
}{
	{"PushPullResume", PushPullResume},
	{"ExactlyOnce", ExactlyOnce},
	{"FieldMergeAndConflict", FieldMergeAndConflict},
	{"GapFreeConcurrentPull", GapFreeConcurrentPull},
	{"Tombstone", Tombstone},
	{"UsersAndTeams", UsersAndTeams},
	{"SetTeamLeaderIsCompareAndSet", SetTeamLeaderIsCompareAndSet},
	{"DevicesAndRefreshTokens", DevicesAndRefreshTokens},
	{"AuditLogPagesNewestFirst", AuditLogPagesNewestFirst},
	{"SigningKeyIsSharedByEveryInstance", SigningKeyIsSharedByEveryInstance},
	{"ComputeLease", ComputeLease},
	{"ClosedMonths", ClosedMonths},
}

// Run runs every scenario against stores from open, a fresh set per subtest.
func Run(t *testing.T, open func(t *testing.T) Stores) {
	for _, sc := range Scenarios {
		t.Run(sc.Name, func(t *testing.T) { sc.Run(t, open) })
	}
}

// openFor opens stores from open and skips the scenario, saying why, unless has holds for them.
func openFor(t *testing.T, open func(t *testing.T) Stores, why string, has func(s Stores) bool) Stores {
	t.Helper()
	s := open(t)
	if !has(s) {
		t.Skip(why)
	}
	return s
}

func engine(s Stores) *fsync.Engine {
	return fsync.New(fsync.Config{Records: s.Records, Sequencer: s.Sequencer, Log: s.Log,
		Rules: fsync.DomainRules{}, CursorKey: cursorKey})
}

func upsert(mid, id string, base int64, fields map[string]any) fsync.Mutation {
	return fsync.Mutation{MutationID: mid, Collection: coll, ID: id, Op: fsync.OpUpsert, BaseVersion: base,
		Fields: fields, ClientTime: time.Date(2026, 11, 2, 9, 0, 0, 0, domain.Shanghai)}
}

func del(mid, id string, base int64) fsync.Mutation {
	return fsync.Mutation{MutationID: mid, Collection: coll, ID: id, Op: fsync.OpDelete, BaseVersion: base}
}

// Push pushes muts as p through e and fails t unless there is one result a mutation.
func Push(t *testing.T, e *fsync.Engine, p domain.Principal, muts ...fsync.Mutation) []fsync.Result {
	t.Helper()
	res, err := e.Push(context.Background(), p, "127.0.0.1", muts)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if len(res) != len(muts) {
		t.Fatalf("%d results for %d mutations", len(res), len(muts))
	}
	return res
}

// WantStatus fails t unless r has the status want.
func WantStatus(t *testing.T, r fsync.Result, want fsync.Status) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("mutation %s: status %s, want %s (%+v)", r.MutationID, r.Status, want, r)
	}
}

// PullAll pulls every page from cursor (pages of limit; 0 is the engine's default) and returns
// the changes and the final cursor; it fails t when a page is above limit or the pull never ends.
func PullAll(t *testing.T, e *fsync.Engine, p domain.Principal, cursor string, limit int) ([]fsync.Change, string) {
	t.Helper()
	var all []fsync.Change
	for range 10000 {
		page, err := e.Pull(context.Background(), p, cursor, limit)
		if err != nil {
			t.Fatalf("pull: %v", err)
		}
		if limit > 0 && len(page.Changes) > limit {
			t.Fatalf("page of %d above limit %d", len(page.Changes), limit)
		}
		all = append(all, page.Changes...)
		cursor = page.Cursor
		if !page.HasMore {
			return all, cursor
		}
	}
	t.Fatal("pull never ended")
	return nil, ""
}

func get(t *testing.T, s Stores, id string) *fsync.Record {
	t.Helper()
	k := fsync.RecordKey{Collection: coll, ID: id}
	recs, err := s.Records.GetMany(context.Background(), []fsync.RecordKey{k})
	if err != nil {
		t.Fatal(err)
	}
	return recs[k]
}

// PushPullResume: a push then paged pulls return every record once, in push order, and the
// cursor resumes with only what came after it.
func PushPullResume(t *testing.T, open func(t *testing.T) Stores) {
	s := open(t)
	e := engine(s)
	var ids []string
	var muts []fsync.Mutation
	for i := range 5 {
		id := fmt.Sprintf("f%d", i)
		ids = append(ids, id)
		muts = append(muts, upsert("m"+id, id, 0, map[string]any{"workDone": "w" + id}))
	}
	for _, r := range Push(t, e, tech, muts...) {
		WantStatus(t, r, fsync.StatusApplied)
	}
	changes, cursor := PullAll(t, e, tech, "", 2)
	if len(changes) != len(ids) {
		t.Fatalf("pulled %d changes, want %d: %+v", len(changes), len(ids), changes)
	}
	for i, c := range changes {
		if c.ID != ids[i] || c.Version != 1 || c.Deleted {
			t.Fatalf("change %d = %+v, want %s v1", i, c, ids[i])
		}
	}
	if again, _ := PullAll(t, e, tech, cursor, 2); len(again) != 0 {
		t.Fatalf("pull from the final cursor returned %d changes", len(again))
	}
	Push(t, e, tech, upsert("mf5", "f5", 0, map[string]any{"workDone": "w5"}),
		upsert("mf1b", "f1", 1, map[string]any{"workDone": "w1b"}))
	next, _ := PullAll(t, e, tech, cursor, 2)
	if len(next) != 2 || next[0].ID != "f5" || next[1].ID != "f1" || next[1].Version != 2 {
		t.Fatalf("resumed pull = %+v, want f5 v1, f1 v2", next)
	}
}

// ExactlyOnce: resending a batch answers as the first time and writes nothing.
func ExactlyOnce(t *testing.T, open func(t *testing.T) Stores) {
	s := open(t)
	e := engine(s)
	a := upsert("m1", "f1", 0, map[string]any{"workDone": "a"})
	b := upsert("m2", "f2", 0, map[string]any{"workDone": "b"})
	first := Push(t, e, tech, a, b)
	before1, before2 := get(t, s, "f1"), get(t, s, "f2")
	again := Push(t, e, tech, a, b)
	for i, r := range again {
		if r.Status != first[i].Status || r.Version != first[i].Version {
			t.Fatalf("resend answered %+v, first %+v", r, first[i])
		}
	}
	after1, after2 := get(t, s, "f1"), get(t, s, "f2")
	if after1.Seq != before1.Seq || after1.Version != before1.Version ||
		after2.Seq != before2.Seq || after2.Version != before2.Version {
		t.Fatalf("resend wrote: f1 seq %d→%d v%d→%d, f2 seq %d→%d v%d→%d", before1.Seq, after1.Seq,
			before1.Version, after1.Version, before2.Seq, after2.Seq, before2.Version, after2.Version)
	}
	if changes, _ := PullAll(t, e, tech, "", 0); len(changes) != 2 {
		t.Fatalf("pulled %d changes after resend, want 2", len(changes))
	}
	changed := a
	changed.Fields = map[string]any{"workDone": "different"}
	if r := Push(t, e, tech, changed)[0]; r.Status != fsync.StatusRejected || r.Error == nil ||
		r.Error.Code != fsync.CodeKeyReused {
		t.Fatalf("reused key answered %+v", r)
	}
}

// FieldMergeAndConflict: two devices editing from the same base merge on different fields and
// conflict on the same field, the server value standing and the losing value logged.
func FieldMergeAndConflict(t *testing.T, open func(t *testing.T) Stores) {
	s := open(t)
	e := engine(s)
	WantStatus(t, Push(t, e, tech, upsert("m1", "f1", 0, map[string]any{"workDone": "换压缩机", "outcome": "completed"}))[0],
		fsync.StatusApplied)
	WantStatus(t, Push(t, e, tech, upsert("m2", "f1", 1, map[string]any{"workDone": "换压缩机+清洗"}))[0], fsync.StatusApplied)
	r := Push(t, e, tablet, upsert("m3", "f1", 1, map[string]any{"faultCause": "缺氟"}))[0]
	WantStatus(t, r, fsync.StatusMerged)
	if r.Record["workDone"] != "换压缩机+清洗" || r.Record["faultCause"] != "缺氟" {
		t.Fatalf("merged record %v", r.Record)
	}
	r = Push(t, e, tablet, upsert("m4", "f1", 1, map[string]any{"workDone": "只清洗"}))[0]
	WantStatus(t, r, fsync.StatusConflict)
	if len(r.Conflicts) != 1 || r.Conflicts[0].Field != "workDone" || r.Conflicts[0].ClientValue != "只清洗" {
		t.Fatalf("conflicts %+v", r.Conflicts)
	}
	rec := get(t, s, "f1")
	if rec.Fields["workDone"] != "换压缩机+清洗" || rec.Fields["faultCause"] != "缺氟" || len(rec.Conflicts) != 1 ||
		rec.Conflicts[0].ClientValue != "只清洗" || rec.Conflicts[0].DeviceID != "tablet" {
		t.Fatalf("stored %v conflicts %+v", rec.Fields, rec.Conflicts)
	}
	if rec.Owner != tech.UserID || rec.Team != tech.TeamID {
		t.Fatalf("owner/team %q/%q", rec.Owner, rec.Team)
	}
}

// GapFreeConcurrentPull: while several devices push, one puller keeps pulling from its cursor;
// it sees every record exactly once and never a seq lower than one it saw before.
func GapFreeConcurrentPull(t *testing.T, open func(t *testing.T) Stores) {
	s := open(t)
	e := engine(s)
	const writers, perWriter = 4, 10
	var wg stdsync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := tech
			p.DeviceID = fmt.Sprintf("phone-w%d", w)
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", w, i)
				res, err := e.Push(context.Background(), p, "127.0.0.1",
					[]fsync.Mutation{upsert(uuid.NewString(), id, 0, map[string]any{"workDone": id})})
				if err != nil {
					errs <- err
					return
				}
				if res[0].Status != fsync.StatusApplied {
					errs <- fmt.Errorf("%s: %s %+v", id, res[0].Status, res[0].Error)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]bool{}
	var order []string
	cursor := ""
	deadline := time.Now().Add(60 * time.Second)
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		changes, next := PullAll(t, e, tech, cursor, 3)
		cursor = next
		for _, c := range changes {
			if seen[c.ID] {
				t.Fatalf("record %s pulled twice", c.ID)
			}
			seen[c.ID] = true
			order = append(order, c.ID)
		}
		if finished {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writers still running after 60s; saw %d", len(seen))
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != writers*perWriter {
		t.Fatalf("saw %d records, want %d", len(seen), writers*perWriter)
	}
	last := int64(0)
	for _, id := range order {
		rec := get(t, s, id)
		if rec.Seq <= last {
			t.Fatalf("seq went backwards at %s: %d after %d", id, rec.Seq, last)
		}
		last = rec.Seq
	}
}

// Tombstone: a delete is pulled as a deletion; a delete racing an update loses.
func Tombstone(t *testing.T, open func(t *testing.T) Stores) {
	s := open(t)
	e := engine(s)
	Push(t, e, tech, upsert("m1", "f1", 0, map[string]any{"workDone": "a"}),
		upsert("m2", "f2", 0, map[string]any{"workDone": "b"}))
	_, cursor := PullAll(t, e, tech, "", 0)
	WantStatus(t, Push(t, e, tech, del("d1", "f1", 1))[0], fsync.StatusApplied)
	Push(t, e, tech, upsert("m3", "f2", 1, map[string]any{"workDone": "b2"}))
	WantStatus(t, Push(t, e, tablet, del("d2", "f2", 1))[0], fsync.StatusConflict)
	if get(t, s, "f2").Deleted {
		t.Fatal("a delete beat a concurrent update")
	}
	changes, _ := PullAll(t, e, tech, cursor, 0)
	var tomb bool
	for _, c := range changes {
		if c.ID == "f1" {
			tomb = c.Deleted
		}
	}
	if !tomb {
		t.Fatalf("no tombstone for f1 in %+v", changes)
	}
	if rec := get(t, s, "f1"); rec == nil || !rec.Deleted {
		t.Fatalf("stored f1 %+v, want a tombstone", rec)
	}
}
