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
	for i := 0; i < 10; i++ {
		store := storetest.Mongo(t)
		e := sync.New(sync.Config{Records: mongostore.NewRecords(store), Sequencer: mongostore.NewSequencer(store, time.Now),
			Log: mongostore.NewMutationLog(store), Rules: sync.DomainRules{}, Audit: mongostore.NewAuditLog(store), CursorKey: []byte("rxdb-fixture-cursor-key-0123456789abcdef")})
		ctx, cancel := context.WithCancel(context.Background())
		lead := domain.Principal{UserID: "L", Role: domain.RoleLeader, TeamID: "T", DeviceID: "d1"}
		tech := domain.Principal{UserID: "U", Role: domain.RoleTechnician, TeamID: "T", DeviceID: "d2"}
		done := make(chan struct{})
		go func() {
			defer close(done)
			cur := ""
			for ctx.Err() == nil {
				n, _, err := e.LatestCollection(ctx, lead, "service_forms", cur)
				if err == nil {
					cur = n
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		if _, err := e.Push(ctx, lead, "", []sync.Mutation{{MutationID: "m1", Collection: "work_orders", ID: "wo1", Op: sync.OpUpsert, Fields: map[string]any{"customerName": "x"}}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		c1, _, _ := e.LatestCollection(ctx, lead, "service_forms", "")
		if _, err := e.Push(ctx, tech, "", []sync.Mutation{{MutationID: "m2", Collection: "service_forms", ID: "f1", Op: sync.OpUpsert, Fields: map[string]any{"workDone": "x"}}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		a, _ := e.PullCollection(ctx, lead, "service_forms", c1, 10)
		b, _ := e.Pull(ctx, lead, c1, 10)
		if len(a.Changes) != len(b.Changes) {
			bad++
			t.Logf("run %d: collection %d, all %d", i, len(a.Changes), len(b.Changes))
		}
		cancel()
		<-done
	}
	if bad > 0 {
		t.Fatalf("%d bad", bad)
	}
}
