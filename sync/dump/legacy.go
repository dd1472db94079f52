package dump

import (
	"os"
	"path/filepath"
)

// ConvertCommand is the command that converts a data directory written by the FerretDB-based
// release (documents in <data dir>/db/) into the embedded SQLite store (<data dir>/fieldsync.db).
// The server prints it when LegacyFerretDir holds at start.
const ConvertCommand = "fieldsync-convert --data-dir DIR"

// LegacyFerretDir reports whether dataDir was written by the FerretDB-based release and not yet
// converted: <dataDir>/db holds FerretDB's SQLite files (*.sqlite) and <dataDir>/fieldsync.db
// does not exist.
func LegacyFerretDir(dataDir string) bool {
	if _, err := os.Lstat(filepath.Join(dataDir, "fieldsync.db")); err == nil || !os.IsNotExist(err) {
		return false
	}
	files, err := filepath.Glob(filepath.Join(dataDir, "db", "*.sqlite"))
	return err == nil && len(files) > 0
}
