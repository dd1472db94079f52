package sync_test

import (
	"context"
	"fmt"
	"slices"
	stdsync "sync"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/contract"
)

// holdingRecords is the real record store, except that UpdateMany waits for release after
// signalling held: a writer that has allocated its sequence number but not committed yet.
type holdingRecords struct {
	sync.RecordStore
	held, release chan struct{}
}

func (h holdingRecords) UpdateMany(ctx context.Context, keys []sync.RecordKey,
	fn func(map[sync.RecordKey]*sync.Record) (map[sync.RecordKey]*sync.Record, error)) error {
	close(h.held)
	<-h.release
	return h.RecordStore.UpdateMany(ctx, keys, fn)
}

func ids(changes []sync.Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.ID)
	}
	return out
}

func TestPullIsGapFree(t *testing.T) {
	h := newHarness(t)
	contract.Push(t, h.engine, tech, upsert("m0", "service_forms", "first", 0, map[string]any{"workDone": "a"}))
	_, cursor := contract.PullAll(t, h.engine, tech, "", 0)

	slow := holdingRecords{RecordStore: h.records, held: make(chan struct{}), release: make(chan struct{})}
	slowEngine := h.build(slow, h.log)
	done := make(chan error)
	go func() {
		_, err := slowEngine.Push(context.Background(), tech, "", []sync.Mutation{
			upsert("m1", "service_forms", "slow", 0, map[string]any{"workDone": "b"})})
		done <- err
	}()
	<-slow.held // the slow writer holds a lower sequence number, uncommitted
	contract.Push(t, h.engine, tech, upsert("m2", "service_forms", "fast", 0, map[string]any{"workDone": "c"}))

	changes, held := contract.PullAll(t, h.engine, tech, cursor, 0)
	if len(changes) != 0 {
		t.Fatalf("pull passed an uncommitted lower sequence number: got %v", ids(changes))
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	changes, _ = contract.PullAll(t, h.engine, tech, held, 0)
	if got := ids(changes); !slices.Equal(got, []string{"slow", "fast"}) {
		t.Fatalf("after the slow commit got %v, want [slow fast] in commit order", got)
	}
}

func TestAbandonedReservationDoesNotBlockForever(t *testing.T) {
	h := newHarness(t)
	if _, _, err := h.seq.Reserve(context.Background(), 1, time.Minute); err != nil { // never released: a crashed writer
		t.Fatal(err)
	}
	contract.Push(t, h.engine, tech, upsert("m1", "service_forms", "f1", 0, map[string]any{"workDone": "a"}))
	if changes, _ := contract.PullAll(t, h.engine, tech, "", 0); len(changes) != 0 {
		t.Fatalf("delivered past a live reservation: %v", ids(changes))
	}
	h.now = h.now.Add(2 * time.Minute) // the lease has passed
	if changes, _ := contract.PullAll(t, h.engine, tech, "", 0); !slices.Equal(ids(changes), []string{"f1"}) {
		t.Fatalf("after the lease: %v", ids(changes))
	}
}

func TestPullPagesHaveNoDuplicates(t *testing.T) {
	h := newHarness(t)
	var muts []sync.Mutation
	var want []string
	for i := range 25 { // one batch: all share one timestamp
		id := fmt.Sprintf("f%02d", i)
		muts = append(muts, upsert("m"+id, "service_forms", id, 0, map[string]any{"workDone": id}))
		want = append(want, id)
	}
	contract.Push(t, h.engine, tech, muts...)
	for _, limit := range []int{1, 5, 7, 24, 25, 26, 1000} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			changes, cursor := contract.PullAll(t, h.engine, tech, "", limit)
			if got := ids(changes); !slices.Equal(got, want) {
				t.Fatalf("got %v", got)
			}
			if more, _ := contract.PullAll(t, h.engine, tech, cursor, limit); len(more) != 0 {
				t.Fatalf("the final cursor repeats %v", ids(more))
			}
		})
	}
	page, err := h.engine.Pull(context.Background(), tech, "", 25)
	if err != nil || page.HasMore || len(page.Changes) != 25 {
		t.Fatalf("a boundary exactly at the limit: hasMore=%v n=%d err=%v", page.HasMore, len(page.Changes), err)
	}
}

func TestScopeChangesArriveAndRevoke(t *testing.T) {
	h := newHarness(t)
	e := h.engine
	wo := func(mid string, base int64, assignees ...string) sync.Mutation {
		list := []any{}
		for _, a := range assignees {
			list = append(list, a)
		}
		return upsert(mid, "work_orders", "wo1", base, map[string]any{"customerName": "张三", "customerPhone": "13800138000",
			"serviceType": "paid", "assignees": list})
	}
	_, techCursor := contract.PullAll(t, e, tech, "", 0)
	contract.WantStatus(t, contract.Push(t, e, leader, wo("w1", 0, tech2.UserID))[0], sync.StatusApplied)
	if changes, c := contract.PullAll(t, e, tech, techCursor, 0); len(changes) != 0 {
		t.Fatalf("technician sees a work order of somebody else: %v", ids(changes))
	} else {
		techCursor = c
	}
	contract.Push(t, e, leader, wo("w2", 1, tech2.UserID, tech.UserID))
	changes, techCursor := contract.PullAll(t, e, tech, techCursor, 0)
	if len(changes) != 1 || changes[0].Revoked || changes[0].Record["customerName"] != "张三" {
		t.Fatalf("assigned work order did not arrive whole: %+v", changes)
	}
	contract.Push(t, e, leader, wo("w3", 2, tech2.UserID))
	changes, _ = contract.PullAll(t, e, tech, techCursor, 0)
	if len(changes) != 1 || !changes[0].Revoked || changes[0].Record != nil {
		t.Fatalf("taken-away work order: %+v", changes)
	}
	if changes, _ := contract.PullAll(t, e, other, "", 0); len(changes) != 0 {
		t.Fatalf("another team's leader sees %v", ids(changes))
	}
	if changes, _ := contract.PullAll(t, e, tech2, "", 0); len(changes) != 1 || changes[0].Record["customerPhone"] != "13800138000" {
		t.Fatalf("assignee view %+v", changes)
	}
}

func TestCursorErrors(t *testing.T) {
	h := newHarness(t)
	contract.Push(t, h.engine, tech, upsert("m1", "service_forms", "f1", 0, map[string]any{"workDone": "a"}))
	_, mine := contract.PullAll(t, h.engine, tech, "", 0)
	cases := []struct {
		name   string
		cursor string
		code   domain.Code
	}{
		{"malformed", "not-a-cursor", domain.CodeInvalid},
		{"truncated", mine[:len(mine)-2], domain.CodeInvalid},
		{"another user's", func() string { _, c := contract.PullAll(t, h.engine, tech2, "", 0); return c }(), domain.CodeInvalid},
		{"signed with another key", sync.EncodeCursor([]byte("another-key-another-key-another-key"), tech.UserID, 1), domain.CodeInvalid},
		{"from the future", sync.EncodeCursor(cursorKey, tech.UserID, 1_000_000), domain.CodeInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.engine.Pull(context.Background(), tech, tc.cursor, 0)
			if domain.ErrorCode(err) != tc.code || domain.ErrorFields(err)["cursor"] == "" {
				t.Fatalf("err %v, want %s naming the cursor", err, tc.code)
			}
		})
	}
	if _, err := h.engine.Pull(context.Background(), tech, mine, 0); err != nil {
		t.Fatalf("own cursor: %v", err)
	}
}

func TestCursorOlderThanRetentionAsksForResync(t *testing.T) {
	h := newHarness(t)
	e := h.engine
	contract.Push(t, e, tech, upsert("m1", "service_forms", "f1", 0, map[string]any{"workDone": "a"}),
		upsert("m2", "service_forms", "f2", 0, map[string]any{"workDone": "b"}))
	_, old := contract.PullAll(t, e, tech, "", 0)
	contract.Push(t, e, tech, del("d1", "service_forms", "f1", 1))
	_, recent := contract.PullAll(t, e, tech, old, 0)
	contract.Push(t, e, tech, upsert("m3", "service_forms", "f3", 0, map[string]any{"workDone": "c"}))
	h.now = h.now.Add(91 * 24 * time.Hour)
	n, err := sync.PurgeTombstones(context.Background(), h.records, h.seq, h.now, 90*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	if _, err := e.Pull(context.Background(), tech, old, 0); domain.ErrorCode(err) != domain.CodeResync {
		t.Fatalf("a cursor from before the purged delete: %v, want resync_required", err)
	}
	if changes, _ := contract.PullAll(t, e, tech, recent, 0); !slices.Equal(ids(changes), []string{"f3"}) {
		t.Fatalf("a cursor after the purge point: %v", ids(changes))
	}
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	h := newHarness(t)
	contract.Push(t, h.engine, tech, upsert("m0", "service_forms", "f1", 0, map[string]any{"workDone": "start"}))
	// Two "instances" (engines over the same store) and several devices edit different fields
	// of one record from the same base at once: compare-and-set must keep every edit.
	engines := []*sync.Engine{h.engine, h.build(h.records, h.log)}
	fields := []string{"workDone", "faultCause", "note", "extraWorkReason", "takeBackReceiptNo", "satisfaction"}
	var wg stdsync.WaitGroup
	for i, f := range fields {
		wg.Go(func() {
			p := tech
			p.DeviceID = fmt.Sprintf("dev-%d", i)
			if _, err := engines[i%2].Push(context.Background(), p, "", []sync.Mutation{
				upsert(fmt.Sprintf("c%d", i), "service_forms", "f1", 1, map[string]any{f: "v-" + f})}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rec := get(t, h, "service_forms", "f1")
	for _, f := range fields {
		if rec.Fields[f] != "v-"+f {
			t.Errorf("lost the edit of %s: %v", f, rec.Fields)
		}
	}
	if rec.Version != int64(1+len(fields)) {
		t.Errorf("version %d, want %d", rec.Version, 1+len(fields))
	}
}
