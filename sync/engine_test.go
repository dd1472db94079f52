package sync_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/contract"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// harness is an engine on a fresh embedded database, with the stores exposed so that tests can
// wrap them (to hold a writer, or to fail a write as a crash would).
type harness struct {
	store   *mongostore.Store
	records *mongostore.Records
	seq     *mongostore.Sequencer
	log     *mongostore.MutationLog
	engine  *sync.Engine
	now     time.Time
}

var cursorKey = []byte("test-cursor-key-test-cursor-key-0123")

func newHarness(t *testing.T) *harness {
	t.Helper()
	st := storetest.Mongo(t)
	h := &harness{store: st, records: mongostore.NewRecords(st), log: mongostore.NewMutationLog(st),
		now: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	h.seq = mongostore.NewSequencer(st, func() time.Time { return h.now })
	h.engine = h.build(h.records, h.log)
	return h
}

// build returns an engine over the harness's stores, with records and log replaceable.
func (h *harness) build(records sync.RecordStore, log sync.MutationLog) *sync.Engine {
	return sync.New(sync.Config{Records: records, Sequencer: h.seq, Log: log, Rules: sync.DomainRules{},
		CursorKey: cursorKey, Now: func() time.Time { return h.now }})
}

var (
	tech   = domain.Principal{UserID: "u-tech", Username: "li", Role: domain.RoleTechnician, TeamID: "t1", DeviceID: "phone-1"}
	tech2  = domain.Principal{UserID: "u-tech2", Username: "wang", Role: domain.RoleTechnician, TeamID: "t1", DeviceID: "phone-2"}
	leader = domain.Principal{UserID: "u-lead", Username: "zhao", Role: domain.RoleLeader, TeamID: "t1", DeviceID: "pc-1"}
	other  = domain.Principal{UserID: "u-other", Username: "sun", Role: domain.RoleLeader, TeamID: "t2", DeviceID: "pc-2"}
)

func upsert(mid, coll, id string, base int64, fields map[string]any) sync.Mutation {
	return sync.Mutation{MutationID: mid, Collection: coll, ID: id, Op: sync.OpUpsert, BaseVersion: base, Fields: fields,
		ClientTime: time.Date(2026, 11, 2, 9, 0, 0, 0, domain.Shanghai)}
}

func del(mid, coll, id string, base int64) sync.Mutation {
	return sync.Mutation{MutationID: mid, Collection: coll, ID: id, Op: sync.OpDelete, BaseVersion: base}
}

func get(t *testing.T, h *harness, coll, id string) *sync.Record {
	t.Helper()
	recs, err := h.records.GetMany(context.Background(), []sync.RecordKey{{Collection: coll, ID: id}})
	if err != nil {
		t.Fatal(err)
	}
	return recs[sync.RecordKey{Collection: coll, ID: id}]
}

func TestPushStatuses(t *testing.T) {
	h := newHarness(t)
	e := h.engine
	r := contract.Push(t, e, tech, upsert("m1", "service_forms", "f1", 0, map[string]any{"workDone": "换压缩机", "outcome": "completed"}))
	contract.WantStatus(t, r[0], sync.StatusApplied)
	if r[0].Version != 1 {
		t.Fatalf("version %d", r[0].Version)
	}
	// Device 2 edits another field from base 1 after device 1 moved to 2: merged.
	contract.WantStatus(t, contract.Push(t, e, tech, upsert("m2", "service_forms", "f1", 1, map[string]any{"workDone": "换压缩机+清洗"}))[0], sync.StatusApplied)
	tech2dev := tech
	tech2dev.DeviceID = "tablet"
	r = contract.Push(t, e, tech2dev, upsert("m3", "service_forms", "f1", 1, map[string]any{"faultCause": "缺氟"}))
	contract.WantStatus(t, r[0], sync.StatusMerged)
	if r[0].Record["workDone"] != "换压缩机+清洗" || r[0].Record["faultCause"] != "缺氟" {
		t.Fatalf("merged record %v", r[0].Record)
	}
	// Same field from an old base: conflict, server value stands, losing value logged.
	r = contract.Push(t, e, tech2dev, upsert("m4", "service_forms", "f1", 1, map[string]any{"workDone": "只清洗"}))
	contract.WantStatus(t, r[0], sync.StatusConflict)
	if len(r[0].Conflicts) != 1 || r[0].Conflicts[0].Field != "workDone" || r[0].Conflicts[0].ClientValue != "只清洗" {
		t.Fatalf("conflicts %+v", r[0].Conflicts)
	}
	rec := get(t, h, "service_forms", "f1")
	if rec.Fields["workDone"] != "换压缩机+清洗" || len(rec.Conflicts) != 1 || rec.Conflicts[0].ClientValue != "只清洗" ||
		rec.Conflicts[0].DeviceID != "tablet" {
		t.Fatalf("stored %v conflicts %+v", rec.Fields, rec.Conflicts)
	}
	// baseVersion 0 on an existing id is a conflict check, not an overwrite.
	r = contract.Push(t, e, tech, upsert("m5", "service_forms", "f1", 0, map[string]any{"faultCause": "电路板"}))
	contract.WantStatus(t, r[0], sync.StatusConflict)
	if get(t, h, "service_forms", "f1").Fields["faultCause"] != "缺氟" {
		t.Fatal("baseVersion 0 overwrote an existing record")
	}
	if rec.Owner != tech.UserID || rec.Team != tech.TeamID {
		t.Fatalf("owner/team stamped %q/%q", rec.Owner, rec.Team)
	}
}

func TestPushRejectsWithoutSinkingTheBatch(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name  string
		m     sync.Mutation
		p     domain.Principal
		code  string
		field string
	}{
		{"unknown collection", upsert("r1", "salaries", "x1", 0, map[string]any{"a": 1}), tech, "invalid", "collection"},
		{"unknown field", upsert("r2", "service_forms", "x2", 0, map[string]any{"bogus": 1}), tech, "invalid", "bogus"},
		{"operator injection", upsert("r3", "service_forms", "x3", 0, map[string]any{"$set": 1}), tech, "invalid", "fields.$set"},
		{"nested operator injection", upsert("r4", "service_forms", "x4", 0, map[string]any{"parts": []any{map[string]any{"$gt": ""}}}), tech, "invalid", "fields.parts[0].$gt"},
		{"dotted name", upsert("r5", "service_forms", "x5", 0, map[string]any{"a.b": 1}), tech, "invalid", `fields."a.b"`},
		{"server field", upsert("r6", "service_forms", "x6", 0, map[string]any{"version": 9}), tech, "invalid", "fields.version"},
		{"review field by technician", upsert("r7", "service_forms", "x7", 0, map[string]any{"reviewNote": "ok"}), tech, "forbidden", "reviewNote"},
		{"computed field", upsert("r8", "service_forms", "x8", 0, map[string]any{"reviewedBy": "me"}), tech, "forbidden", "reviewedBy"},
		{"technician creates a work order", upsert("r9", "work_orders", "x9", 0, map[string]any{"customerName": "张三"}), tech, "forbidden", ""},
		{"future base version", upsert("r10", "service_forms", "x10", 7, map[string]any{"workDone": "x"}), tech, "invalid", "baseVersion"},
	}
	muts := []sync.Mutation{upsert("ok1", "service_forms", "good1", 0, map[string]any{"workDone": "a"})}
	for _, tc := range cases {
		muts = append(muts, tc.m)
	}
	muts = append(muts, upsert("ok2", "service_forms", "good2", 0, map[string]any{"workDone": "b"}))
	res := contract.Push(t, h.engine, tech, muts...)
	contract.WantStatus(t, res[0], sync.StatusApplied)
	contract.WantStatus(t, res[len(res)-1], sync.StatusApplied)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := res[i+1]
			contract.WantStatus(t, r, sync.StatusRejected)
			if r.Error == nil || r.Error.Code != tc.code {
				t.Fatalf("error %+v, want code %s", r.Error, tc.code)
			}
			if tc.field != "" {
				if _, ok := r.Error.Fields[tc.field]; !ok {
					t.Fatalf("error fields %v do not name %s", r.Error.Fields, tc.field)
				}
			}
			if get(t, h, tc.m.Collection, tc.m.ID) != nil {
				t.Fatal("a rejected mutation wrote its record")
			}
		})
	}
}

func TestPushTooLarge(t *testing.T) {
	h := newHarness(t)
	muts := make([]sync.Mutation, sync.DefaultLimits.MaxBatch+1)
	for i := range muts {
		muts[i] = upsert(fmt.Sprintf("m%d", i), "service_forms", fmt.Sprintf("f%d", i), 0, map[string]any{"workDone": "x"})
	}
	_, err := h.engine.Push(context.Background(), tech, "", muts)
	if domain.ErrorCode(err) != domain.CodeTooLarge {
		t.Fatalf("err %v, want too_large", err)
	}
	if get(t, h, "service_forms", "f0") != nil {
		t.Fatal("a too-large batch applied something")
	}
}

func TestResendIsAnsweredWithoutWriting(t *testing.T) {
	h := newHarness(t)
	m := upsert("m1", "service_forms", "f1", 0, map[string]any{"workDone": "a"})
	first := contract.Push(t, h.engine, tech, m)[0]
	before := get(t, h, "service_forms", "f1")
	// Meanwhile another device changes the record; the resend must still answer as the first time.
	contract.Push(t, h.engine, tech2, upsert("x", "service_forms", "other", 0, map[string]any{"workDone": "b"}))
	again := contract.Push(t, h.engine, tech, m, m)
	for _, r := range again {
		if r.Status != first.Status || r.Version != first.Version {
			t.Fatalf("resend answered %+v, first %+v", r, first)
		}
	}
	after := get(t, h, "service_forms", "f1")
	if after.Seq != before.Seq || after.Version != before.Version {
		t.Fatalf("resend wrote: seq %d→%d version %d→%d", before.Seq, after.Seq, before.Version, after.Version)
	}
	// The same key with other content is rejected; another device's same mutation id is not the same key.
	changed := m
	changed.Fields = map[string]any{"workDone": "different"}
	r := contract.Push(t, h.engine, tech, changed)[0]
	if r.Status != sync.StatusRejected || r.Error.Code != sync.CodeKeyReused {
		t.Fatalf("reused key answered %+v", r)
	}
	otherDevice := tech
	otherDevice.DeviceID = "phone-9"
	contract.WantStatus(t, contract.Push(t, h.engine, otherDevice, upsert("m1", "service_forms", "f9", 0, map[string]any{"workDone": "c"}))[0], sync.StatusApplied)
}

// failingLog is the real mutation log with its writes failing, as if the server died right after
// writing the record and before writing the log.
type failingLog struct{ sync.MutationLog }

func (failingLog) PutMany(context.Context, []sync.Receipt) error {
	return errors.New("killed before the mutation log was written")
}

func TestExactlyOnceAcrossACrashBetweenWrites(t *testing.T) {
	h := newHarness(t)
	crashing := h.build(h.records, failingLog{h.log})
	m := upsert("m1", "service_forms", "f1", 0, map[string]any{"workDone": "a"})
	c := upsert("m2", "service_forms", "f2", 0, map[string]any{"workDone": "b"})
	if _, err := crashing.Push(context.Background(), tech, "", []sync.Mutation{m, c}); err == nil {
		t.Fatal("the crash was not reported")
	}
	written := get(t, h, "service_forms", "f1")
	if written == nil || written.Version != 1 {
		t.Fatalf("the record write before the crash is missing: %+v", written)
	}
	// After the restart the phone resends the batch: each mutation is answered as applied once.
	res := contract.Push(t, h.engine, tech, m, c)
	for _, r := range res {
		contract.WantStatus(t, r, sync.StatusApplied)
		if r.Version != 1 {
			t.Fatalf("resend after crash re-applied: %+v", r)
		}
	}
	if again := get(t, h, "service_forms", "f1"); again.Seq != written.Seq {
		t.Fatalf("resend after crash wrote again: seq %d → %d", written.Seq, again.Seq)
	}
	// And now the log has it.
	stored, err := h.log.GetMany(context.Background(), []string{sync.IdempotencyKey(tech.UserID, tech.DeviceID, "m1")})
	if err != nil || len(stored) != 1 {
		t.Fatalf("mutation log after resend: %v %v", stored, err)
	}
}

func TestDeleteAndTombstones(t *testing.T) {
	h := newHarness(t)
	e := h.engine
	contract.Push(t, e, tech, upsert("m1", "service_forms", "f1", 0, map[string]any{"workDone": "a"}),
		upsert("m2", "service_forms", "f2", 0, map[string]any{"workDone": "b"}))
	_, cursor := contract.PullAll(t, e, tech, "", 0)
	contract.WantStatus(t, contract.Push(t, e, tech, del("d1", "service_forms", "f1", 1))[0], sync.StatusApplied)
	// A delete racing an update: the update wins.
	contract.Push(t, e, tech, upsert("m3", "service_forms", "f2", 1, map[string]any{"workDone": "b2"}))
	tablet := tech
	tablet.DeviceID = "tablet"
	r := contract.Push(t, e, tablet, del("d2", "service_forms", "f2", 1))[0]
	contract.WantStatus(t, r, sync.StatusConflict)
	if get(t, h, "service_forms", "f2").Deleted {
		t.Fatal("a delete beat a concurrent update")
	}
	changes, _ := contract.PullAll(t, e, tech, cursor, 0)
	var sawTombstone bool
	for _, c := range changes {
		if c.ID == "f1" && c.Deleted {
			sawTombstone = true
		}
	}
	if !sawTombstone {
		t.Fatalf("incremental pull lacks the tombstone: %+v", changes)
	}
	fresh, _ := contract.PullAll(t, e, tech, "", 0)
	for _, c := range fresh {
		if c.ID == "f1" {
			t.Fatal("a pull from scratch delivered a deleted record")
		}
	}
}
