package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

const latestVersion = 6

// photoRefsVersion is the migration that added record_photos (0003): the upgrade test starts
// one version before it, from a database holding records, and checks the later ones on the way.
const photoRefsVersion = 3

func TestOpenMigratesAndReopenIsNoOp(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	if v, err := s.SchemaVersion(ctx); err != nil || v != latestVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latestVersion)
	}
	put(t, NewRecords(s), rec("forms", "a", 1, "u:1"))
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if v, err := s2.SchemaVersion(ctx); err != nil || v != latestVersion {
		t.Fatalf("SchemaVersion after reopen = %d, %v; want %d", v, err, latestVersion)
	}
	got, err := NewRecords(s2).GetMany(ctx, keysOf("forms", "a"))
	if err != nil || len(got) != 1 {
		t.Fatalf("record after reopen: %v, %v", got, err)
	}
}

func TestOpenUpgradesFromPreviousVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := Open(ctx, path, withVersion(photoRefsVersion-1))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := old.SchemaVersion(ctx); v != photoRefsVersion-1 {
		t.Fatalf("old SchemaVersion = %d, want %d", v, photoRefsVersion-1)
	}
	putV2(t, old, rec("forms", "a", 7, "u:1"))
	if n := indexCount(t, old.reader, "record_photos_claims"); n != 0 {
		t.Fatalf("record_photos_claims exists before its migration")
	}

	s := upgrade(t, ctx, old, path)
	if v, _ := s.SchemaVersion(ctx); v != latestVersion {
		t.Fatalf("SchemaVersion = %d, want %d", v, latestVersion)
	}
	if n := indexCount(t, s.reader, "record_photos_claims"); n != 1 {
		t.Fatalf("record_photos_claims missing after upgrade")
	}
	var users int
	if err := s.reader.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'`).Scan(&users); err != nil || users != 1 {
		t.Fatalf("users table after upgrade: %d, %v", users, err)
	}
	got, err := NewRecords(s).GetMany(ctx, keysOf("forms", "a"))
	if err != nil || len(got) != 1 || got[keysOf("forms", "a")[0]].Seq != 7 {
		t.Fatalf("record lost by the upgrade: %v, %v", got, err)
	}
}

func indexCount(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPragmas(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		sync int // 1 NORMAL, 2 FULL
	}{
		{"default", nil, 1},
		{"full sync", []Option{WithFullSync()}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t, tc.opts...)
			var mode string
			var syncMode, fk, busy int
			for _, db := range []*sql.DB{s.writer, s.reader} {
				if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
					t.Fatalf("journal_mode = %q, %v", mode, err)
				}
				if err := db.QueryRow(`PRAGMA synchronous`).Scan(&syncMode); err != nil || syncMode != tc.sync {
					t.Fatalf("synchronous = %d, %v; want %d", syncMode, err, tc.sync)
				}
				if err := db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
					t.Fatalf("foreign_keys = %d, %v", fk, err)
				}
				if err := db.QueryRow(`PRAGMA busy_timeout`).Scan(&busy); err != nil || busy != 5000 {
					t.Fatalf("busy_timeout = %d, %v", busy, err)
				}
			}
			if _, err := s.reader.Exec(`DELETE FROM records`); err == nil {
				t.Fatal("the reader pool accepted a write")
			}
		})
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	boom := errors.New("boom")
	err := s.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE sequence SET n = 99`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	var n int64
	if err := s.reader.QueryRow(`SELECT n FROM sequence`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("n = %d, %v after rollback; want 0", n, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// upgrade closes old, then reopens its database at path with the current migrations (closed at
// cleanup).
func upgrade(t *testing.T, ctx context.Context, old *Store, path string) *Store {
	t.Helper()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
