package main

import (
	"errors"
	"fmt"

	"github.com/fieldsync/fieldsync/sync/dump"
)

// errLegacyDataDir is returned at start when the data directory was written by the release that
// kept its documents in an embedded FerretDB (<data dir>/db/) and has no fieldsync.db yet.
var errLegacyDataDir = errors.New("data directory of the FerretDB-based release")

// checkLegacyDataDir refuses a data directory whose documents are still in the FerretDB-based
// release's <data dir>/db/ and not yet converted to <data dir>/fieldsync.db, with the command
// that converts it (docs/moving-data.md). Errors: errLegacyDataDir.
func checkLegacyDataDir(dataDir string) error {
	if !dump.LegacyFerretDir(dataDir) {
		return nil
	}
	return fmt.Errorf("%w: %s", errLegacyDataDir, dump.LegacyMessage(dataDir))
}
