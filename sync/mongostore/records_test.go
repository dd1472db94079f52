package mongostore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

var (
	recTech   = domain.Principal{UserID: "u-tech", Role: domain.RoleTechnician, TeamID: "t1", DeviceID: "phone-1"}
	recTech2  = domain.Principal{UserID: "u-tech2", Role: domain.RoleTechnician, TeamID: "t1", DeviceID: "phone-2"}
	recLeader = domain.Principal{UserID: "u-lead", Role: domain.RoleLeader, TeamID: "t1", DeviceID: "pc-1"}
	recOther  = domain.Principal{UserID: "u-other", Role: domain.RoleTechnician, TeamID: "t2", DeviceID: "phone-3"}
)

func newRecEngine(st *mongostore.Store, records sync.RecordStore) *sync.Engine {
	return sync.New(sync.Config{Records: records, Sequencer: mongostore.NewSequencer(st, time.Now),
		Log: mongostore.NewMutationLog(st), Rules: sync.DomainRules{}, CursorKey: []byte("records-test-cursor-key-0123456789")})
}

func recMutation(n int, id string, op sync.Op, base int64, fields map[string]any) sync.Mutation {
	return sync.Mutation{MutationID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), Collection: "service_forms", ID: id,
		Op: op, BaseVersion: base, Fields: fields, ClientTime: time.Date(2026, 11, 2, 9, 0, 0, 0, domain.Shanghai)}
}

// recScenario writes, through e, creates by two technicians and two teams, edits, deletes and a
// resend, and returns what each principal pulls in pages of 3 from scratch, and after a cursor
// taken halfway, as "id@version[deleted]" lines.
func recScenario(t *testing.T, e *sync.Engine) map[string][]string {
	t.Helper()
	ctx := context.Background()
	id := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", 1000+i) }
	push := func(p domain.Principal, muts ...sync.Mutation) {
		t.Helper()
		res, err := e.Push(ctx, p, "127.0.0.1", muts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status == sync.StatusRejected {
				t.Fatalf("rejected: %+v", r.Error)
			}
		}
	}
	n := 0
	next := func() int { n++; return n }
	var first []sync.Mutation
	for i := range 10 {
		first = append(first, recMutation(next(), id(i), sync.OpUpsert, 0, map[string]any{"workDone": fmt.Sprint("a", i)}))
	}
	push(recTech, first...)
	push(recTech2, recMutation(next(), id(20), sync.OpUpsert, 0, map[string]any{"workDone": "b"}))
	push(recOther, recMutation(next(), id(30), sync.OpUpsert, 0, map[string]any{"workDone": "other team"}))
	mid := map[string]string{}
	for _, p := range []domain.Principal{recTech, recTech2, recLeader, recOther} {
		_, cur := pullPages(t, e, p, "")
		mid[p.UserID] = cur
	}
	push(recTech, recMutation(next(), id(2), sync.OpUpsert, 1, map[string]any{"workDone": "a2 edited"}),
		recMutation(next(), id(5), sync.OpDelete, 1, nil))
	push(recTech, first[3]) // a resend: nothing written
	push(recTech2, recMutation(next(), id(21), sync.OpUpsert, 0, map[string]any{"workDone": "b2"}))
	push(recTech, recMutation(next(), id(2), sync.OpUpsert, 2, map[string]any{"workDone": "a2 again"}))

	out := map[string][]string{}
	for _, p := range []domain.Principal{recTech, recTech2, recLeader, recOther} {
		all, _ := pullPages(t, e, p, "")
		out[p.UserID+" scratch"] = all
		since, _ := pullPages(t, e, p, mid[p.UserID])
		out[p.UserID+" since"] = since
	}
	return out
}

func pullPages(t *testing.T, e *sync.Engine, p domain.Principal, cursor string) ([]string, string) {
	t.Helper()
	var out []string
	for range 100 {
		page, err := e.Pull(context.Background(), p, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Changes {
			out = append(out, fmt.Sprintf("%s@%d deleted=%v revoked=%v", c.ID[len(c.ID)-4:], c.Version, c.Deleted, c.Revoked))
		}
		cursor = page.Cursor
		if !page.HasMore {
			return out, cursor
		}
	}
	t.Fatal("pull never ended")
	return nil, ""
}

// TestRecordPathsAgree runs one scenario on the change feed (the FerretDB path) and on the
// MongoDB queries (forced on FerretDB) and wants the same pulls, in the same order.
func TestRecordPathsAgree(t *testing.T) {
	feedStore, indexStore := storetest.Mongo(t), storetest.Mongo(t)
	requireFerretDB(t, feedStore)
	feed := recScenario(t, newRecEngine(feedStore, mongostore.NewRecords(feedStore)))
	index := recScenario(t, newRecEngine(indexStore, mongostore.NewIndexRecords(indexStore)))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range index {
			if !yield(k) {
				return
			}
		}
	}) {
		if !slices.Equal(feed[k], index[k]) {
			t.Errorf("%s:\nfeed  %q\nindex %q", k, feed[k], index[k])
		}
	}
	// The team's 12 records, none of team t2 (the tombstone comes on a later page: only the
	// first page of a pull from scratch leaves tombstones out).
	if got := feed["u-lead scratch"]; len(got) != 12 {
		t.Errorf("leader pulled %d changes from scratch, want 12: %q", len(got), got)
	}
	if got := feed["u-other scratch"]; len(got) != 1 {
		t.Errorf("the other team's technician pulled %q, want only their own record", got)
	}
}

// TestOpenBackfillsTheChangeFeed opens, on FerretDB, a database whose records were written
// without the feed (as before it was kept), and wants every record pulled.
func TestOpenBackfillsTheChangeFeed(t *testing.T) {
	var want map[string][]string
	st := openTwice(t, func(st *mongostore.Store) {
		want = recScenario(t, newRecEngine(st, mongostore.NewIndexRecords(st)))
	})
	e := newRecEngine(st, mongostore.NewRecords(st))
	for _, p := range []domain.Principal{recTech, recTech2, recLeader, recOther} {
		got, _ := pullPages(t, e, p, "")
		if !slices.Equal(got, want[p.UserID+" scratch"]) {
			t.Errorf("%s after the backfill:\n got %q\nwant %q", p.UserID, got, want[p.UserID+" scratch"])
		}
	}
}

// photoScenario writes receipts referring to photos through e, and returns what the photo
// queries answer about them, as lines.
func photoScenario(t *testing.T, e *sync.Engine, records *mongostore.Records) []string {
	t.Helper()
	ctx := context.Background()
	h1, h2 := strings.Repeat("a1", 32), strings.Repeat("b2", 32)
	id := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", 2000+i) }
	receipt := func(n int, p domain.Principal, rid string, base int64, photo string) {
		t.Helper()
		m := recMutation(n, rid, sync.OpUpsert, base, map[string]any{"photo": photo})
		m.Collection = "receipts"
		if _, err := e.Push(ctx, p, "", []sync.Mutation{m}); err != nil {
			t.Fatal(err)
		}
	}
	receipt(1, recTech, id(1), 0, h1)
	receipt(2, recTech2, id(2), 0, h1)
	receipt(3, recOther, id(3), 0, h2)
	var out []string
	query := func(stage string) {
		t.Helper()
		for _, h := range []string{h1, h2} {
			refs, err := records.Referring(ctx, h, 10)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := records.Claims(ctx, h, []string{"receipts"}, 10)
			if err != nil {
				t.Fatal(err)
			}
			var claimIDs []string
			for _, c := range claims {
				claimIDs = append(claimIDs, c.Key.ID[len(c.Key.ID)-4:])
			}
			var refIDs []string
			for _, k := range refs {
				refIDs = append(refIDs, k.ID[len(k.ID)-4:])
			}
			slices.Sort(refIDs)
			visible := map[string]bool{}
			for _, p := range []domain.Principal{recTech, recOther} {
				v, err := records.PhotoVisible(ctx, h, p.Tokens())
				if err != nil {
					t.Fatal(err)
				}
				visible[p.UserID] = v
			}
			out = append(out, fmt.Sprintf("%s %s: referring %v claims %v visible %v", stage, h[:2], refIDs, claimIDs, visible))
		}
	}
	query("created")
	receipt(4, recTech, id(1), 1, h2) // the first claim of h1 moves to h2
	m := recMutation(5, id(2), sync.OpDelete, 1, nil)
	m.Collection = "receipts"
	if _, err := e.Push(ctx, recTech2, "", []sync.Mutation{m}); err != nil {
		t.Fatal(err)
	}
	query("changed")
	return out
}

// TestPhotoQueriesAgree asks the photo queries on photo_refs (FerretDB) and on the photos index
// (forced on FerretDB) the same questions, and again after a backfill.
func TestPhotoQueriesAgree(t *testing.T) {
	feedStore, indexStore := storetest.Mongo(t), storetest.Mongo(t)
	requireFerretDB(t, feedStore)
	feedRecs, indexRecs := mongostore.NewRecords(feedStore), mongostore.NewIndexRecords(indexStore)
	feed := photoScenario(t, newRecEngine(feedStore, feedRecs), feedRecs)
	index := photoScenario(t, newRecEngine(indexStore, indexRecs), indexRecs)
	if !slices.Equal(feed, index) {
		t.Fatalf("photo_refs and the photos index disagree:\nfeed  %q\nindex %q", feed, index)
	}
	if !strings.Contains(feed[0], "claims [2001 2002]") || !strings.Contains(feed[3], "claims [2001 2003]") {
		t.Errorf("unexpected claims: %q", feed)
	}
}

// TestLargeBatchOfEdits pushes 150 edits of existing records in one batch: on FerretDB a bulk
// command of ~100 updates or more exhausted FerretDB's SQLite pool and hung the server.
func TestLargeBatchOfEdits(t *testing.T) {
	st := storetest.Mongo(t)
	e := newRecEngine(st, mongostore.NewRecords(st))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n = 150
	var creates, edits []sync.Mutation
	for i := range n {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", 5000+i)
		creates = append(creates, recMutation(i+1, id, sync.OpUpsert, 0, map[string]any{"workDone": "a"}))
		edits = append(edits, recMutation(n+i+1, id, sync.OpUpsert, 1, map[string]any{"workDone": "b"}))
	}
	for _, batch := range [][]sync.Mutation{creates, edits} {
		res, err := e.Push(ctx, recTech, "", batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != sync.StatusApplied {
				t.Fatalf("%s: %s", r.MutationID, r.Status)
			}
		}
	}
	all, _ := pullPages(t, e, recLeader, "")
	if len(all) != n || !strings.HasSuffix(all[0], "@2 deleted=false revoked=false") {
		t.Fatalf("pulled %d changes, first %q; want %d at version 2", len(all), all[0], n)
	}
}

// photoAnswers asks the photo queries of records about the photos of photoScenario.
func photoAnswers(t *testing.T, records *mongostore.Records) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, h := range []string{strings.Repeat("a1", 32), strings.Repeat("b2", 32)} {
		refs, err := records.Referring(ctx, h, 10)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := records.Claims(ctx, h, []string{"receipts"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		visible, err := records.PhotoVisible(ctx, h, recTech.Tokens())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s: referring %d %v claims %v visible %v", h[:2], len(refs), refs, claims, visible))
	}
	return out
}

// TestOpenBackfillsThePhotoIndex opens, on FerretDB, a database whose records were written
// without photo_refs (as before it was kept), and wants the same photo answers.
func TestOpenBackfillsThePhotoIndex(t *testing.T) {
	ctx := context.Background()
	var want []string
	st := openTwice(t, func(st *mongostore.Store) {
		indexRecs := mongostore.NewIndexRecords(st)
		photoScenario(t, newRecEngine(st, indexRecs), indexRecs)
		want = photoAnswers(t, indexRecs)
		// A database from before the photo index: no index documents, no marker.
		if _, err := st.DB().Collection("photo_refs").DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().Collection("sync_meta").DeleteOne(ctx, bson.D{{Key: "_id", Value: "photo_refs_built"}}); err != nil {
			t.Fatal(err)
		}
		if got := photoAnswers(t, mongostore.NewRecords(st)); slices.Equal(got, want) {
			t.Fatalf("without the photo index the FerretDB path still answers %q: the test proves nothing", got)
		}
	})
	if got := photoAnswers(t, mongostore.NewRecords(st)); !slices.Equal(got, want) {
		t.Fatalf("after the backfill:\n got %q\nwant %q", got, want)
	}
}

// openTwice opens a fresh FerretDB database, hands it to before, closes it, opens it again (Open
// runs the backfills) and returns the second store, closed at the test's cleanup.
func openTwice(t *testing.T, before func(st *mongostore.Store)) *mongostore.Store {
	t.Helper()
	cfg := storetest.MongoConfig(t)
	ctx := context.Background()
	st, err := mongostore.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	requireFerretDB(t, st)
	before(st)
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err = mongostore.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st
}
