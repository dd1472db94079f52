package dump

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ConvertCommand is the command, run from the source tree, that converts a data directory
// written by the FerretDB-based release (documents in <data dir>/db/) into the embedded SQLite
// store (<data dir>/fieldsync.db); DATA_DIR stands for the data directory. The converter is a
// command of its own (cmd/fieldsync-convert) because the server no longer contains FerretDB.
const ConvertCommand = "go run -tags ferretdb_no_postgresql ./cmd/fieldsync-convert --data-dir DATA_DIR"

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
// found and the exact command (ConvertCommand for dataDir) that converts it.
func LegacyMessage(dataDir string) string {
	return fmt.Sprintf("%s holds the documents of the FerretDB-based release; convert them once with\n  %s\n"+
		"which writes %s and leaves db/ untouched (docs/moving-data.md)", filepath.Join(dataDir, "db"),
		strings.Replace(ConvertCommand, "DATA_DIR", dataDir, 1), filepath.Join(dataDir, "fieldsync.db"))
}
