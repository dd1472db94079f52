package server

import (
	"context"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

func TestZZRepro(t *testing.T) {
	bad := 0
	for i := 0; i < 20; i++ {
		store := storetest.Mongo(t)
		e := sync.New(sync.Config{Records: mongostore.NewRecords(store), Sequencer: mongostore.NewSequencer(store, time.Now),
			Log: mongostore.NewMutationLog(store), Rules: sync.DomainRules{}, CursorKey: []byte("rxdb-fixture-cursor-key-0123456789abcdef")})
		ctx := context.Background()
		lead := domain.Principal{UserID: "L", Role: domain.RoleLeader, TeamID: "T", DeviceID: "d1"}
		tech := domain.Principal{UserID: "U", Role: domain.RoleTechnician, TeamID: "T", DeviceID: "d2"}
		if _, err := e.Push(ctx, lead, "", []sync.Mutation{{MutationID: "m1", Collection: "work_orders", ID: "wo1", Op: sync.OpUpsert, Fields: map[string]any{"customerName": "x"}}}); err != nil {
			t.Fatal(err)
		}
		c1, _, _ := e.LatestCollection(ctx, lead, "service_forms", "")
		if _, err := e.Push(ctx, tech, "", []sync.Mutation{{MutationID: "m2", Collection: "service_forms", ID: "f1", Op: sync.OpUpsert, Fields: map[string]any{"workDone": "x"}}}); err != nil {
			t.Fatal(err)
		}
		a, _ := e.PullCollection(ctx, lead, "service_forms", c1, 10)
		b, _ := e.Pull(ctx, lead, c1, 10)
		if len(a.Changes) != len(b.Changes) {
			bad++
			t.Logf("run %d: collection %d, all %d", i, len(a.Changes), len(b.Changes))
		}
	}
	if bad > 0 {
		t.Fatalf("%d bad", bad)
	}
}
