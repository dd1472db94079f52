package ferretdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses; registers "sqlite"
)

// sqliteIDExpr is the expression FerretDB v1's SQLite backend filters on for a query whose
// filter is exactly {_id: <string or ObjectID>} (backends/sqlite/metadata.IDColumn): the one
// filter it pushes down to SQL.
const sqliteIDExpr = `_ferretdb_sjson->'$._id'`

// idIndexSuffix names the indexes IndexIDs creates: "<table>" + idIndexSuffix.
const idIndexSuffix = "_fieldsync_id"

// IndexIDs makes `_id` lookups indexed in database: for every collection of it, it creates (once)
// a SQLite index on the exact expression FerretDB v1 queries `_id` equality with.
//
// Why: FerretDB v1 creates its unique `_id` index on the expression `_ferretdb_sjson->"_id"` but
// queries `_ferretdb_sjson->'$._id' = ?`; SQLite matches index expressions by their parse
// tree, so it never uses that index and every `_id` lookup reads the whole table (measured:
// ~15 ms a lookup at 5,000 documents, ~1 ms with this index). The extra index is invisible to
// FerretDB (it keeps its own index list), costs one index entry per document, and is dropped
// with the collection's table. Call it after the collections exist (mongostore.Open does, through
// mongostore.Config.IndexIDs); collections created later get theirs at the next call. It is
// idempotent and safe while FerretDB runs (SQLite WAL, busy timeout). A database without a
// file yet is left alone. Errors: the SQLite file cannot be opened or an index not created.
func (s *Server) IndexIDs(ctx context.Context, database string) error {
	return IndexIDs(ctx, s.dir, database)
}

// IndexIDs is Server.IndexIDs for the FerretDB data directory dir (the Options.Dir of a server
// that may or may not be running in this process).
func IndexIDs(ctx context.Context, dir, database string) error {
	if database == "" || strings.ContainsAny(database, `/\?#`) {
		return fmt.Errorf("index _id of database %q: invalid name", database)
	}
	file := filepath.Join(dir, database+".sqlite")
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("index _id of database %s: %w", database, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return fmt.Errorf("index _id of database %s: list collections: %w", database, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("index _id of database %s: list collections: %w", database, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index _id of database %s: list collections: %w", database, err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, t+idIndexSuffix, t, sqliteIDExpr)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index _id of %s.%s: %w", database, t, err)
		}
	}
	return nil
}
