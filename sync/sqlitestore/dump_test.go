package sqlitestore

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/dump"
)

// TestImportIndexesRecords: restored records are written as a push writes them: their audience
// tokens answer pulls, their photo references answer photo lookups, and the sequence goes on
// above the highest restored number.
func TestImportIndexesRecords(t *testing.T) {
	ctx := context.Background()
	src, _ := openTest(t)
	r1 := rec("receipts", "r1", 1, "user:u1@t1")
	r1.Photos = []string{"aa"}
	put(t, NewRecords(src), r1, rec("forms", "f2", 2, "team:t1:leader"))
	first, release, err := NewSequencer(src, time.Now).Reserve(ctx, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_ = release(ctx)

	var buf bytes.Buffer
	if _, err := dump.Write(ctx, src, &buf, dump.Options{}); err != nil {
		t.Fatal(err)
	}
	dst, _ := openTest(t)
	if _, err := dump.Restore(ctx, dst, &buf, dump.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	recs := NewRecords(dst)
	got, err := recs.Changes(ctx, fsync.ChangeQuery{Tokens: []string{"team:t1:leader"}, Through: 100, Limit: 10})
	if err != nil || len(got) != 1 || got[0].ID != "f2" || got[0].Seq != 2 {
		t.Fatalf("pull by token after restore: %v %v", got, err)
	}
	if ok, err := recs.PhotoVisible(ctx, "aa", []string{"user:u1@t1"}); err != nil || !ok {
		t.Errorf("photo of a restored record: visible %v, %v", ok, err)
	}
	next, _, err := NewSequencer(dst, time.Now).Reserve(ctx, 1, time.Minute)
	if err != nil || next != first+2 {
		t.Errorf("next seq after restore %d (%v), want %d", next, err, first+2)
	}
}

// TestEmptyNoticesEveryKind: a store holding any one kind of item is not empty.
func TestEmptyNoticesEveryKind(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	cases := map[string]func(s *Store) error{
		"record":  func(s *Store) error { put(t, NewRecords(s), rec("forms", "f1", 1, "x")); return nil },
		"team":    func(s *Store) error { return NewAccounts(s).InsertTeam(ctx, domain.Team{ID: "t1", Name: "a"}, at) },
		"audit":   func(s *Store) error { return NewAuditLog(s).Record(ctx, domain.AuditEntry{Action: "login"}) },
		"setting": func(s *Store) error { _, err := NewSettings(s).SigningKey(ctx, []byte("k")); return err },
		"sequence": func(s *Store) error {
			_, _, err := NewSequencer(s, time.Now).Reserve(ctx, 1, time.Minute)
			return err
		},
	}
	for name, fill := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := openTest(t)
			if empty, err := s.Empty(ctx); err != nil || !empty {
				t.Fatalf("fresh store: empty %v, %v", empty, err)
			}
			if err := fill(s); err != nil {
				t.Fatal(err)
			}
			if empty, _ := s.Empty(ctx); empty {
				t.Fatalf("a store with a %s is empty", name)
			}
			_, err := dump.Restore(ctx, s, bytes.NewReader(mustDump(t)), dump.RestoreOptions{})
			if !errors.Is(err, dump.ErrNotEmpty) {
				t.Fatalf("restore into it: %v, want ErrNotEmpty", err)
			}
		})
	}
}

func mustDump(t *testing.T) []byte {
	t.Helper()
	s, _ := openTest(t)
	var buf bytes.Buffer
	if _, err := dump.Write(context.Background(), s, &buf, dump.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
