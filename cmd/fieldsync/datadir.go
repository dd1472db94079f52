package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errLegacyDataDir is returned at start when the data directory was written by the release that
// kept its documents in an embedded FerretDB (<data dir>/db/) and has no fieldsync.db yet.
var errLegacyDataDir = errors.New("data directory of the FerretDB-based release")

// checkLegacyDataDir refuses a data directory whose documents are still in the FerretDB-based
// release's <data dir>/db/ and not yet converted to <data dir>/fieldsync.db, with the command
// that converts it (docs/moving-data.md). Errors: errLegacyDataDir.
func checkLegacyDataDir(dataDir string) error {
	if _, err := os.Stat(filepath.Join(dataDir, documentsFile)); err == nil {
		return nil
	}
	old, _ := filepath.Glob(filepath.Join(dataDir, "db", "*.sqlite"))
	if len(old) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s holds the documents of the FerretDB-based release; convert them once with\n"+
		"  go run -tags ferretdb_no_postgresql ./cmd/fieldsync-convert --data-dir %s\n"+
		"which writes %s and leaves db/ untouched (docs/moving-data.md)",
		errLegacyDataDir, filepath.Join(dataDir, "db"), dataDir, filepath.Join(dataDir, documentsFile))
}
