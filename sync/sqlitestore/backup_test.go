package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	stdsync "sync"
	"testing"

	fsync "github.com/fieldsync/fieldsync/sync"
)

// TestBackupWhileWriting backs up while another goroutine keeps pushing: the copy opens, is at
// the latest schema version, and holds a gap-free prefix of the writes (every record it holds
// has all the records written before it), at least those committed before Backup started.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	recs := NewRecords(s)
	for i := int64(1); i <= 20; i++ {
		put(t, recs, rec("forms", fmt.Sprint(i), i, "team:t1"))
	}

	stop := make(chan struct{})
	var wg stdsync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := int64(21); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			put(t, recs, rec("forms", fmt.Sprint(i), i, "team:t1"))
		}
	}()
	path := filepath.Join(t.TempDir(), "backup.db")
	err := s.Backup(ctx, path)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}

	cp, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer cp.Close()
	want, _ := s.SchemaVersion(ctx)
	if got, _ := cp.SchemaVersion(ctx); got != want {
		t.Errorf("copy schema version %d, want %d", got, want)
	}
	got, err := NewRecords(cp).Changes(ctx, fsync.ChangeQuery{Tokens: []string{"team:t1"}, Through: 1 << 40, Limit: 1 << 20})
	if err != nil {
		t.Fatalf("pull the copy: %v", err)
	}
	if len(got) < 20 {
		t.Fatalf("the copy holds %d records, want at least the 20 written before the backup", len(got))
	}
	for i, r := range got {
		if r.Seq != int64(i+1) {
			t.Fatalf("the copy's record %d has seq %d: not a consistent prefix", i, r.Seq)
		}
	}
	t.Logf("the copy holds %d records", len(got))

	if err := s.Backup(ctx, path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Backup over an existing file: %v, want fs.ErrExist", err)
	}
}
