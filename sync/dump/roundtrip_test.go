package dump_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/contract"
	"github.com/fieldsync/fieldsync/sync/dump"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/sqlitestore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// msClock is a clock in whole milliseconds (what MongoDB keeps of a time), one millisecond a
// call, so that every time written to either store survives the round trip exactly.
type msClock struct {
	mu stdsync.Mutex
	t  time.Time
}

func (c *msClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// stack is one adapter's store with an engine on it.
type stack struct {
	name  string
	store interface {
		dump.Source
		dump.Sink
	}
	records fsync.RecordStore
	engine  *fsync.Engine
}

var cursorKey = []byte("roundtrip-cursor-key-roundtrip-cursor-key")

func sqliteStack(t *testing.T, clock *msClock) stack {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "fieldsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	recs := sqlitestore.NewRecords(s)
	return stack{name: "sqlite", store: s, records: recs, engine: fsync.New(fsync.Config{Records: recs,
		Sequencer: sqlitestore.NewSequencer(s, clock.now), Log: sqlitestore.NewMutationLog(s), Rules: fsync.DomainRules{},
		Audit: sqlitestore.NewAuditLog(s), CursorKey: cursorKey, Now: clock.now})}
}

func mongoStack(t *testing.T, clock *msClock) stack {
	t.Helper()
	s := storetest.Mongo(t)
	recs := mongostore.NewRecords(s)
	return stack{name: "mongo", store: s, records: recs, engine: fsync.New(fsync.Config{Records: recs,
		Sequencer: mongostore.NewSequencer(s, clock.now), Log: mongostore.NewMutationLog(s), Rules: fsync.DomainRules{},
		Audit: mongostore.NewAuditLog(s), CursorKey: cursorKey, Now: clock.now})}
}

// people of the round trip.
var (
	teamID  = uuid.NewString()
	techID  = uuid.NewString()
	leadID  = uuid.NewString()
	tech    = domain.Principal{UserID: techID, Username: "li.ming", Role: domain.RoleTechnician, TeamID: teamID, DeviceID: "dev-phone"}
	tablet  = domain.Principal{UserID: techID, Username: "li.ming", Role: domain.RoleTechnician, TeamID: teamID, DeviceID: "dev-tablet"}
	leader  = domain.Principal{UserID: leadID, Username: "wang.lead", Role: domain.RoleLeader, TeamID: teamID, DeviceID: "dev-lead"}
	photo   = "7275270766516850000000000000000000000000000000000000000000000001"
	formIDs = []string{"form-1", "form-2", "form-3"}
)

func mut(mid, coll, id string, base int64, fields map[string]any) fsync.Mutation {
	return fsync.Mutation{MutationID: mid, Collection: coll, ID: id, Op: fsync.OpUpsert, BaseVersion: base, Fields: fields,
		ClientTime: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)} // UTC: a dump keeps instants, not zone offsets
}

// fill writes a bit of everything into the sqlite store s: accounts, devices, tokens, signing
// key, policy, compute state, photo metadata and, through the engine, records with an update, a
// merge, a conflict, a tombstone and a photo reference.
func fill(t *testing.T, st stack, s *sqlitestore.Store, clock *msClock) {
	t.Helper()
	ctx := context.Background()
	acc := sqlitestore.NewAccounts(s)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(acc.InsertTeam(ctx, domain.Team{ID: teamID, Name: "售后一组"}, clock.now()))
	hire, _ := domain.ParseDate("2025-03-01")
	must(acc.InsertUser(ctx, domain.User{ID: techID, Username: "li.ming", DisplayName: "李明", Role: domain.RoleTechnician,
		TeamID: teamID, HireDate: hire, MonthlyPayFen: 500000}, "$2a$04$techhash", clock.now()))
	must(acc.InsertUser(ctx, domain.User{ID: leadID, Username: "wang.lead", DisplayName: "王", Role: domain.RoleLeader,
		TeamID: teamID, ProbationPassed: true, Grade: domain.Grade("A")}, "$2a$04$leadhash", clock.now()))
	must(acc.SetTeamLeader(ctx, teamID, "", leadID))
	must(acc.SetPasswordHash(ctx, techID, "$2a$04$techhash2", clock.now()))
	for _, p := range []domain.Principal{tech, tablet, leader} {
		_, err := acc.OpenDevice(ctx, domain.Device{ID: p.DeviceID, UserID: p.UserID, TeamID: teamID, ClientID: "client-" + p.DeviceID,
			Name: "phone", CreatedAt: clock.now(), LastSeenAt: clock.now()})
		must(err)
	}
	must(acc.InsertRefreshToken(ctx, domain.RefreshToken{Hash: "tok-1", UserID: techID, DeviceID: tech.DeviceID,
		State: domain.RefreshActive, IssuedAt: clock.now(), ExpiresAt: clock.now().Add(24 * time.Hour)}))
	_, err := acc.RotateRefreshToken(ctx, "tok-1", clock.now())
	must(err)
	must(acc.RevokeDevice(ctx, tablet.DeviceID, leadID, domain.RevokeByUser, clock.now()))
	must(sqlitestore.NewSyncActivity(s, clock.now).Touch(ctx, tech.DeviceID, compute.ActivityPush))
	_, err = sqlitestore.NewSettings(s).SigningKey(ctx, bytes.Repeat([]byte{7}, 32))
	must(err)
	must(compute.SeedPolicy(ctx, sqlitestore.NewPolicies(s), domain.DefaultPolicy(), clock.now()))
	comp := sqlitestore.NewCompute(s)
	must(comp.SaveCheckpoint(ctx, compute.Checkpoint{Seq: 3, PolicyVersion: 1, R1Through: clock.now(), Baseline: "2026-10"}))
	month, _ := domain.ParseMonth("2026-10")
	day, _ := domain.ParseDate("2026-10-12")
	must(comp.InsertClosedMonth(ctx, compute.ClosedMonth{Team: teamID, Month: month, ClosedAt: clock.now(), ClosedBy: leadID,
		Incidents: []string{"inc-1"}, Done: true, Scores: []domain.Score{{Month: month, TechnicianID: techID, Base: 100,
			Lines: []domain.ScoreLine{{IncidentID: "inc-1", Type: "late", Date: day, Points: -2}}, Deductions: 2, Total: 98, PolicyVersion: 1}}}))
	_, err = sqlitestore.NewBlobs(s).Insert(ctx, blobs.Blob{Hash: photo, Size: 98, ContentType: "image/png", Uploader: techID,
		Team: teamID, CreatedAt: clock.now(), GPS: &blobs.GPS{Lat: 34.75, Lon: 113.62}, IdleSince: clock.now()})
	must(err)
	must(sqlitestore.NewBlobs(s).MarkReferenced(ctx, photo, clock.now()))

	e := st.engine
	var muts []fsync.Mutation
	for i, id := range formIDs {
		muts = append(muts, mut("m-"+id, domain.CollServiceForms, id, 0, map[string]any{"workDone": "换压缩机", "feeCollectedFen": 12000 + i}))
	}
	muts = append(muts, mut("m-trip", domain.CollTripLogs, "trip-1", 0, map[string]any{"purpose": "维修", "origin": "郑州",
		"destinationCity": "郑州市", "startAt": "2026-10-30T09:00:00+08:00", "endAt": "2026-10-30T12:00:00+08:00", "transportMode": "bus"}),
		mut("m-receipt", domain.CollReceipts, "receipt-1", 0, map[string]any{"photo": photo, "amountFen": 200, "date": "2026-10-30",
			"category": "ticket", "tripLogId": "trip-1"}))
	for _, r := range contract.Push(t, e, tech, muts...) {
		contract.WantStatus(t, r, fsync.StatusApplied)
	}
	contract.WantStatus(t, contract.Push(t, e, tech, mut("m-edit", domain.CollServiceForms, "form-1", 1, map[string]any{"workDone": "换电容"}))[0], fsync.StatusApplied)
	contract.WantStatus(t, contract.Push(t, e, tablet, mut("m-merge", domain.CollServiceForms, "form-1", 1, map[string]any{"feeCollectedFen": 9000}))[0], fsync.StatusMerged)
	contract.WantStatus(t, contract.Push(t, e, tablet, mut("m-clash", domain.CollServiceForms, "form-1", 1, map[string]any{"workDone": "清洗"}))[0], fsync.StatusConflict)
	del := fsync.Mutation{MutationID: "m-del", Collection: domain.CollServiceForms, ID: "form-3", Op: fsync.OpDelete, BaseVersion: 1}
	contract.WantStatus(t, contract.Push(t, e, tech, del)[0], fsync.StatusApplied)
}

func dumpOf(t *testing.T, st stack, opt dump.Options) []byte {
	t.Helper()
	opt.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	var buf bytes.Buffer
	if _, err := dump.Write(context.Background(), st.store, &buf, opt); err != nil {
		t.Fatalf("dump %s: %v", st.name, err)
	}
	return buf.Bytes()
}

func restore(t *testing.T, st stack, b []byte, opt dump.RestoreOptions) {
	t.Helper()
	if _, err := dump.Restore(context.Background(), st.store, bytes.NewReader(b), opt); err != nil {
		t.Fatalf("restore into %s: %v", st.name, err)
	}
}

// lineDiff returns the pairs of lines that differ between a and b (a line missing on one side
// is "").
func lineDiff(a, b []byte) [][2]string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out [][2]string
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out = append(out, [2]string{x, y})
		}
	}
	return out
}

func settingValue(t *testing.T, line string) string {
	t.Helper()
	var it dump.Item
	if err := json.Unmarshal([]byte(line), &it); err != nil || it.Setting == nil {
		t.Fatalf("setting line %s: %v", line, err)
	}
	return it.Setting.ID + "=" + string(it.Setting.Value)
}

// pulls is what the technician and the leader pull from scratch, and their final cursors.
func pulls(t *testing.T, st stack) string {
	t.Helper()
	var out []any
	for _, p := range []domain.Principal{tech, leader} {
		changes, cursor := contract.PullAll(t, st.engine, p, "", 2)
		out = append(out, changes, cursor)
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRoundTripSQLiteMongoSQLite: embedded SQLite → dump → MongoDB wire (FerretDB) → dump →
// embedded SQLite. The three stores dump to the same bytes (accounts, audit, policy, compute
// state, photo metadata and photos included), serve the same pulls with the same cursors, and
// the last one goes on where the first stopped: a phone's cursor resumes, a resend is answered
// exactly once, and the next write's sequence number is above every restored one.
func TestRoundTripSQLiteMongoSQLite(t *testing.T) {
	ctx := context.Background()
	clock := &msClock{t: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	a := sqliteStack(t, clock)
	fill(t, a, a.store.(*sqlitestore.Store), clock)

	dumpA := dumpOf(t, a, dump.Options{})
	m := mongoStack(t, clock)
	restore(t, m, dumpA, dump.RestoreOptions{})
	dumpM := dumpOf(t, m, dump.Options{})
	b := sqliteStack(t, clock)
	restore(t, b, dumpM, dump.RestoreOptions{})
	dumpB := dumpOf(t, b, dump.Options{})

	// MongoDB keeps times to the millisecond; every time here is whole milliseconds but the
	// signing key's creation (the settings store's own clock), so that line alone may differ.
	for _, d := range lineDiff(dumpA, dumpM) {
		if !strings.HasPrefix(d[0], `{"kind":"setting"`) || settingValue(t, d[0]) != settingValue(t, d[1]) {
			t.Errorf("the MongoDB store dumps\n%s\nwhere the first SQLite store dumps\n%s", d[1], d[0])
		}
	}
	for _, d := range lineDiff(dumpM, dumpB) {
		t.Errorf("the second SQLite store dumps\n%s\nwhere the MongoDB store dumps\n%s", d[1], d[0])
	}
	pullA := pulls(t, a)
	for _, st := range []stack{m, b} {
		if got := pulls(t, st); got != pullA {
			t.Errorf("%s pulls\n%s\n--- want ---\n%s", st.name, got, pullA)
		}
	}

	// A phone that had pulled everything from the first store resumes on the last one.
	_, cursor := contract.PullAll(t, a.engine, tech, "", 0)
	if changes, _ := contract.PullAll(t, b.engine, tech, cursor, 0); len(changes) != 0 {
		t.Errorf("resumed pull on the restored store: %d changes, want none", len(changes))
	}
	// A resend of an applied mutation is answered from the restored log, without a write.
	res := contract.Push(t, b.engine, tech, mut("m-form-2", domain.CollServiceForms, "form-2", 0, map[string]any{"workDone": "换压缩机", "feeCollectedFen": 12001}))
	if res[0].Status != fsync.StatusApplied || res[0].Version != 1 {
		t.Errorf("resend after the move: %+v, want applied at version 1", res[0])
	}
	contract.WantStatus(t, contract.Push(t, b.engine, tech, mut("m-new", domain.CollServiceForms, "form-2", 1, map[string]any{"workDone": "复查"}))[0], fsync.StatusApplied)
	changes, _ := contract.PullAll(t, b.engine, tech, cursor, 0)
	if len(changes) != 1 || changes[0].ID != "form-2" {
		t.Fatalf("pull after a new write on the restored store: %+v", changes)
	}
	recs, err := b.records.GetMany(ctx, []fsync.RecordKey{{Collection: domain.CollServiceForms, ID: "form-2"}})
	if err != nil {
		t.Fatal(err)
	}
	var maxSeq int64
	if err := a.store.Export(ctx, func(it dump.Item) error {
		if it.Kind == dump.KindRecord {
			maxSeq = max(maxSeq, it.Record.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := recs[fsync.RecordKey{Collection: domain.CollServiceForms, ID: "form-2"}].Seq; got <= maxSeq {
		t.Errorf("new write's seq %d, want above the highest restored %d", got, maxSeq)
	}
}

// TestRoundTripPhotos carries the photo bytes from one object store to another.
func TestRoundTripPhotos(t *testing.T) {
	ctx := context.Background()
	from, to := storetest.ObjectStore(t), storetest.ObjectStore(t)
	big := bytes.Repeat([]byte("photo"), dump.ChunkSize/2) // 2.5 chunks
	if _, err := from.Put(ctx, blobs.OriginalKey(photo), bytes.NewReader(big), int64(len(big)), "image/jpeg", photo); err != nil {
		t.Fatal(err)
	}
	if _, err := from.Put(ctx, blobs.ThumbnailKey(photo, 320), bytes.NewReader([]byte("thumb")), 5, "image/jpeg", ""); err != nil {
		t.Fatal(err)
	}
	clock := &msClock{t: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	a, b := sqliteStack(t, clock), sqliteStack(t, clock)
	d := dumpOf(t, a, dump.Options{Objects: objectstore.DumpObjects{Store: from}})
	restore(t, b, d, dump.RestoreOptions{Objects: objectstore.DumpObjects{Store: to}})
	rc, info, err := to.Get(ctx, blobs.OriginalKey(photo))
	if err != nil {
		t.Fatalf("restored photo: %v", err)
	}
	defer rc.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), big) || info.ContentType != "image/jpeg" || info.SHA256 != photo {
		t.Errorf("restored photo: %d bytes, %+v, %v", got.Len(), info, err)
	}
	if _, err := to.Stat(ctx, blobs.ThumbnailKey(photo, 320)); err == nil {
		t.Errorf("a thumbnail was restored; only originals are dumped")
	}
}
