package dump_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldsync/fieldsync/sync/dump"
)

func TestLegacyFerretDir(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  bool
	}{
		{"empty", nil, false},
		{"FerretDB files", []string{"db/fieldsync.sqlite", "db/fieldsync.sqlite-wal"}, true},
		{"converted", []string{"db/fieldsync.sqlite", "fieldsync.db"}, false},
		{"new store only", []string{"fieldsync.db", "fieldsync.db-wal"}, false},
		{"db without FerretDB files", []string{"db/notes.txt"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				p := filepath.Join(dir, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := dump.LegacyFerretDir(dir); got != tc.want {
				t.Errorf("LegacyFerretDir = %v, want %v", got, tc.want)
			}
		})
	}
	if msg := dump.LegacyMessage("/srv/data"); !strings.Contains(msg, "go run -tags ferretdb_no_postgresql ./cmd/fieldsync-convert --data-dir /srv/data\n") {
		t.Errorf("LegacyMessage: %s", msg)
	}
}
