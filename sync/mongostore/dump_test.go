package mongostore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/dump"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// TestDumpRestoreMongo: a database dumped with the plain-query Exporter restores into another
// database that pulls the same records at the same sequence numbers, accounts included; the
// restore refuses a database that is not empty.
func TestDumpRestoreMongo(t *testing.T) {
	ctx := context.Background()
	src := storetest.Mongo(t)
	at := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	recs := mongostore.NewRecords(src)
	next := map[sync.RecordKey]*sync.Record{}
	var keys []sync.RecordKey
	for i, id := range []string{"a", "b"} {
		k := sync.RecordKey{Collection: domain.CollServiceForms, ID: id}
		keys = append(keys, k)
		next[k] = &sync.Record{Collection: k.Collection, ID: id, Owner: "u1", Team: "t1", Audience: []string{"team:t1:leader"},
			Seq: int64(10 + i), CreatedAt: at, UpdatedAt: at, State: sync.State{Version: 1, Fields: map[string]any{"n": int64(i)},
				FieldVersions: map[string]int64{"n": 1}}}
	}
	if err := recs.UpdateMany(ctx, keys, func(map[sync.RecordKey]*sync.Record) (map[sync.RecordKey]*sync.Record, error) {
		return next, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := mongostore.NewAccounts(src).InsertTeam(ctx, domain.Team{ID: "t1", Name: "售后一组"}, at); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	counts, err := dump.Write(ctx, mongostore.NewExporter(src.DB()), &buf, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if counts[dump.KindRecord] != 2 || counts[dump.KindTeam] != 1 {
		t.Errorf("counts %v", counts)
	}
	b := buf.Bytes()
	if _, err := dump.Restore(ctx, src, bytes.NewReader(b), dump.RestoreOptions{}); !errors.Is(err, dump.ErrNotEmpty) {
		t.Errorf("restore into the source: %v, want ErrNotEmpty", err)
	}

	dst := storetest.Mongo(t)
	if empty, err := dst.Empty(ctx); err != nil || !empty {
		t.Fatalf("fresh database: empty %v, %v", empty, err)
	}
	if _, err := dump.Restore(ctx, dst, bytes.NewReader(b), dump.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := mongostore.NewRecords(dst).Changes(ctx, sync.ChangeQuery{Tokens: []string{"team:t1:leader"}, Through: 100, Limit: 10})
	if err != nil || len(got) != 2 || got[0].ID != "a" || got[0].Seq != 10 || got[1].Seq != 11 {
		t.Fatalf("pull after restore: %+v %v", got, err)
	}
	h, err := mongostore.NewSequencer(dst, time.Now).Horizon(ctx)
	if err != nil || h.Allocated != 11 {
		t.Errorf("restored horizon %+v %v, want allocated 11 (the highest restored seq)", h, err)
	}
	if team, err := mongostore.NewAccounts(dst).TeamByName(ctx, "售后一组"); err != nil || team.ID != "t1" {
		t.Errorf("restored team: %+v %v", team, err)
	}
}
