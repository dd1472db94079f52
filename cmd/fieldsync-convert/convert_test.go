//go:build ferretdb_no_postgresql

package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/contract"
	"github.com/fieldsync/fieldsync/sync/dump"
	"github.com/fieldsync/fieldsync/sync/sqlitestore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// The fixture testdata/old-datadir.tar.gz is the db/ of a data directory made by the
// FerretDB-based release (commit 0641e52, built with -tags ferretdb_no_postgresql): `fieldsync
// admin` created team 售后一组 with technician li.ming and leader wang.lead (password "a long
// enough password"); li.ming uploaded one PNG photo and pushed over HTTP two service forms, a
// trip log and a receipt with the photo, edited fx-form-1 twice and deleted fx-form-2; the rules
// worker wrote an assessment. See testdata/README.md.
const (
	fixtureTeam = "32559f45-f8e2-430f-a227-2ea5842fa348"
	fixtureTech = "e497b930-bc0a-457a-8c70-cb1e4c78689a"
	fixturePNG  = "727527076651685e85aaa82751862e80a67b26b835afef8207ef9d1171a3187e"
)

// served is what the old server served li.ming on a pull from scratch (collection, id, version,
// in this order; tombstones are not sent on a first pull), with each record's sequence number in
// the old store. fx-form-2 is a tombstone (version 2, seq 7).
var served = []struct {
	coll, id string
	seq, ver int64
}{
	{"assessments", "bbc3c771-9b4f-5edc-8ce8-542f01b7d853", 1, 1},
	{"trip_logs", "fx-trip-1", 4, 1},
	{"receipts", "fx-receipt-1", 5, 1},
	{"reimbursements", "82ce7cf3-663c-5a93-bc20-e84e10abe55d", 8, 1},
	{"service_forms", "fx-form-1", 9, 3},
}

// oldDataDir unpacks the fixture into a fresh data directory and returns it.
func oldDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open("testdata/old-datadir.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, dir+string(filepath.Separator)) {
			t.Fatalf("fixture entry %q escapes the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o700)
		case tar.TypeReg:
			var b []byte
			if b, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(path, b, 0o600)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// digest is the SHA-256 of every file under dir, by path.
func digest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = fmt.Sprintf("%x", sha256.Sum256(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConvertOldDataDir(t *testing.T) {
	ctx := context.Background()
	dir := oldDataDir(t)
	if !dump.LegacyFerretDir(dir) {
		t.Fatal("LegacyFerretDir is false on the old data directory")
	}
	before := digest(t, filepath.Join(dir, legacyDir))
	counts, err := convert(ctx, dir, "fieldsync", storetest.Logger())
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	t.Logf("converted: %v", counts)
	if after := digest(t, filepath.Join(dir, legacyDir)); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("db/ changed:\nbefore %v\nafter  %v", before, after)
	}
	if dump.LegacyFerretDir(dir) {
		t.Error("LegacyFerretDir is still true after the conversion")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".convert-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	s, err := sqlitestore.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tech := domain.Principal{UserID: fixtureTech, Username: "li.ming", Role: domain.RoleTechnician, TeamID: fixtureTeam, DeviceID: "d"}
	recs := sqlitestore.NewRecords(s)
	engine := fsync.New(fsync.Config{Records: recs, Sequencer: sqlitestore.NewSequencer(s, time.Now),
		Log: sqlitestore.NewMutationLog(s), Rules: fsync.DomainRules{}, CursorKey: []byte("convert-test-cursor-key-0123456789")})
	changes, _ := contract.PullAll(t, engine, tech, "", 0)
	var got []string
	for _, c := range changes {
		k := fsync.RecordKey{Collection: c.Collection, ID: c.ID}
		r, err := recs.GetMany(ctx, []fsync.RecordKey{k})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s/%s seq %d v%d", c.Collection, c.ID, r[k].Seq, c.Version))
	}
	var want []string
	for _, w := range served {
		want = append(want, fmt.Sprintf("%s/%s seq %d v%d", w.coll, w.id, w.seq, w.ver))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the converted store pulls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	k := fsync.RecordKey{Collection: "service_forms", ID: "fx-form-2"}
	if r, err := recs.GetMany(ctx, []fsync.RecordKey{k}); err != nil || r[k] == nil || !r[k].Deleted || r[k].Version != 2 || r[k].Seq != 7 {
		t.Errorf("the tombstone fx-form-2: %+v %v", r[k], err)
	}
	if b, err := sqlitestore.NewBlobs(s).Get(ctx, fixturePNG); err != nil || b.Size != 98 || b.Uploader != fixtureTech {
		t.Errorf("the photo's metadata: %+v %v", b, err)
	}
	if h, err := sqlitestore.NewSequencer(s, time.Now).Horizon(ctx); err != nil || h.Allocated < 9 {
		t.Errorf("converted sequence %+v %v, want at least the highest seq 9", h, err)
	}

	// The accounts came along: li.ming signs in with the old password hash.
	var users accounts.Users = sqlitestore.NewAccounts(s)
	if u, hash, err := users.UserByUsername(ctx, "li.ming"); err != nil || u.ID != fixtureTech || !strings.HasPrefix(hash, "$2") {
		t.Errorf("converted user: %+v %q %v", u, hash, err)
	}

	// A second conversion refuses: fieldsync.db exists.
	if _, err := convert(ctx, dir, "fieldsync", storetest.Logger()); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second conversion: %v, want a refusal", err)
	}
}

// TestConvertRefuses: a directory whose old server still runs (its lock is held), one without
// FerretDB files, and a command line without a data directory are refused, and nothing is
// written.
func TestConvertRefuses(t *testing.T) {
	ctx := context.Background()
	dir := oldDataDir(t)
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	_, err = convert(ctx, dir, "fieldsync", storetest.Logger())
	f.Close()
	if err == nil || !strings.Contains(err.Error(), "stop the old server") {
		t.Errorf("convert while the old server runs: %v", err)
	}
	if _, err := convert(ctx, t.TempDir(), "fieldsync", storetest.Logger()); err == nil || !strings.Contains(err.Error(), "no FerretDB files") {
		t.Errorf("convert an empty directory: %v", err)
	}
	if _, err := convert(ctx, dir, "other", storetest.Logger()); err == nil || !strings.Contains(err.Error(), `no database "other"`) {
		t.Errorf("convert a database the old server did not write: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, storeFile)); !os.IsNotExist(err) {
		t.Errorf("a refused conversion left %s: %v", storeFile, err)
	}
	if err := run(ctx, nil, io.Discard, io.Discard); err == nil {
		t.Error("run without --data-dir succeeded")
	}
}
