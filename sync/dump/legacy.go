package dump

import (
	"fmt"
	"os"
	"path/filepath"
)

// ConvertCommand is the command that converts a data directory written by the FerretDB-based
// release (documents in <data dir>/db/) into the embedded SQLite store (<data dir>/fieldsync.db);
// DATA_DIR stands for the data directory. The converter is a separate binary, built with
// ConvertBuild, because the server no longer contains FerretDB.
const ConvertCommand = "fieldsync-convert --data-dir DATA_DIR"

// ConvertBuild builds the converter from the source tree.
const ConvertBuild = "go build -tags ferretdb_no_postgresql ./cmd/fieldsync-convert"

// LegacyFerretDir reports whether dataDir was written by the FerretDB-based release and not yet
// converted: <dataDir>/db holds FerretDB's SQLite files (*.sqlite) and <dataDir>/fieldsync.db
// does not exist.
func LegacyFerretDir(dataDir string) bool {
	if _, err := os.Lstat(filepath.Join(dataDir, "fieldsync.db")); !os.IsNotExist(err) {
		return false
	}
	files, err := filepath.Glob(filepath.Join(dataDir, "db", "*.sqlite"))
	return err == nil && len(files) > 0
}

// LegacyMessage is what the server says when it refuses to start on such a dataDir: what it
// found and the exact commands that convert it.
func LegacyMessage(dataDir string) string {
	return fmt.Sprintf("%s was written by the FerretDB-based release (documents in %s); this release keeps "+
		"them in %s. Stop the server, then convert the directory (db/ is left untouched): %s && ./fieldsync-convert --data-dir %s",
		dataDir, filepath.Join(dataDir, "db"), filepath.Join(dataDir, "fieldsync.db"), ConvertBuild, dataDir)
}
