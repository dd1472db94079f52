// Package sqlitestore is the native SQLite adapter of the sync engine: the record store, the
// sequencer, the mutation log and the tombstone purge of package sync, on one SQLite file
// (modernc.org/sqlite, pure Go).
//
// # Connections
//
// A Store holds two pools on the same file: one writer (*sql.DB limited to one connection, every
// transaction BEGIN IMMEDIATE through _txlock=immediate, so a write never fails halfway with
// SQLITE_BUSY on lock upgrade) and a reader pool for read-only queries, which in WAL mode run
// concurrently with the writer and see the last committed state. With a single writer no
// compare-and-set loop is needed: Records.UpdateMany reads and writes inside one transaction.
//
// # Durability
//
// The database runs with journal_mode=WAL and synchronous=NORMAL. In WAL mode NORMAL syncs the
// WAL at every checkpoint, not at every commit: a committed transaction survives a crash of the
// process (the WAL is in the OS page cache), and a power loss or OS crash can lose the last
// transactions committed before it but never corrupts the database. Pass WithFullSync to
// Open for synchronous=FULL (every commit synced to disk, slower writes).
//
// # Schema
//
// The schema is versioned by the goose migrations in migrations/, embedded and applied by Open.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is one SQLite database: a single-connection writer and a reader pool.
type Store struct {
	writer *sql.DB
	reader *sql.DB
}

// Option changes how Open opens the database.
type Option func(*options)

type options struct {
	synchronous string
	migrateTo   int64 // 0: latest
}

// WithFullSync opens the database with synchronous=FULL: every commit is synced to disk, so not
// even a power loss loses a committed transaction, at the cost of one fsync per write.
func WithFullSync() Option { return func(o *options) { o.synchronous = "FULL" } }

// withVersion migrates only up to version v (tests of upgrades).
func withVersion(v int64) Option { return func(o *options) { o.migrateTo = v } }

func dsn(path string, pragmas []string, txlock bool) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if txlock {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating it if needed) the SQLite database at path and applies the pending
// migrations. It returns an error when the file cannot be opened or a migration fails.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{synchronous: "NORMAL"}
	for _, fn := range opts {
		fn(&o)
	}
	common := []string{"busy_timeout(5000)", "foreign_keys(1)", "synchronous(" + o.synchronous + ")"}
	writer, err := sql.Open("sqlite", dsn(path, append([]string{"journal_mode(WAL)"}, common...), true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := migrate(ctx, writer, o.migrateTo); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("migrate sqlite %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", dsn(path, append(common, "query_only(1)"), false))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("open sqlite reader %s: %w", path, err)
	}
	reader.SetMaxIdleConns(4)
	return &Store{writer: writer, reader: reader}, nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db, fsys)
}

// migrateAttempts bounds how often Open retries the migrations: several processes (the server
// and an admin command) may open a new file at once; each migration runs in its own transaction,
// so the loser of a race rolls back and, on the next attempt, finds it applied.
const migrateAttempts = 5

func migrate(ctx context.Context, db *sql.DB, to int64) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		if to > 0 {
			_, err = p.UpTo(ctx, to)
		} else {
			_, err = p.Up(ctx)
		}
		if err == nil || attempt == migrateAttempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// SchemaVersion returns the version of the last migration applied to the database (0: none).
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := provider(s.writer)
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// Ping checks that both pools reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite writer: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite reader: %w", err)
	}
	return nil
}

// Write runs fn in one BEGIN IMMEDIATE transaction on the writer and commits it when fn returns
// nil (it rolls back and returns fn's error otherwise). Writes are serialized: one at a time.
func (s *Store) Write(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit write: %w", err)
	}
	return nil
}
