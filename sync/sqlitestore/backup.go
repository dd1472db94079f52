package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Backup writes a consistent copy of the database to path with VACUUM INTO, while the store
// keeps serving: the copy is one read transaction's snapshot (it sees every commit before it
// and none after), compacted, and opens as a database of the same schema version. It is a
// reader of its own (WAL), so writers are not blocked. It refuses a path that exists (an error wrapping
// fs.ErrExist) and removes a partial copy when it fails.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup to %s: %w", path, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// The reader pool is query_only, which VACUUM INTO refuses: the copy runs on a connection
	// of its own to the same file.
	var file string
	if err := s.reader.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return fmt.Errorf("backup: locate the database: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(file, []string{"busy_timeout(5000)"}, false))
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", file, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}
