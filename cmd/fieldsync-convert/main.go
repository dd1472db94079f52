//go:build ferretdb_no_postgresql

// Command fieldsync-convert converts a data directory written by the FerretDB-based release of
// fieldsync (documents in <data dir>/db/, FerretDB's SQLite files) into the embedded SQLite
// store of this release (<data dir>/fieldsync.db):
//
//	go run -tags ferretdb_no_postgresql ./cmd/fieldsync-convert --data-dir DIR
//
// It copies db/ to a temporary directory, starts FerretDB in-process on the copy, reads every
// collection with plain queries (mongostore.Exporter) and restores the dump into a new
// fieldsync.db (sync/dump), so db/ is left exactly as it was. It refuses a directory that already
// has a fieldsync.db, one without FerretDB files, and one whose server is still running (the
// old release's lock on fieldsync.lock). Photos (objects/) are kept as they are: both releases
// store them the same way. It is a separate command because the server binary no longer
// contains FerretDB.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync/dump"
	"github.com/fieldsync/fieldsync/sync/ferretdb"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/sqlitestore"
)

// Names in the data directory, as the server uses them.
const (
	storeFile = "fieldsync.db"   // the embedded SQLite store of this release
	legacyDir = "db"             // the FerretDB release's SQLite files
	lockFile  = "fieldsync.lock" // the FerretDB release's data-directory lock
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fieldsync-convert:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("fieldsync-convert", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dataDir := fl.String("data-dir", "", "the data directory of the FerretDB-based release (holds db/)")
	database := fl.String("mongo-db", "fieldsync", "the database name the old server used (FIELDSYNC_MONGO_DB)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || fl.NArg() > 0 {
		fl.Usage()
		return errors.New("usage: fieldsync-convert --data-dir DIR [--mongo-db NAME]")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	counts, err := convert(ctx, *dataDir, *database, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "converted %s into %s: %v\n", filepath.Join(*dataDir, legacyDir), filepath.Join(*dataDir, storeFile), counts)
	return nil
}

// convert restores the FerretDB database named database under dataDir/db into a new
// dataDir/fieldsync.db and returns the dump's counts. The new file appears only once complete.
func convert(ctx context.Context, dataDir, database string, log *slog.Logger) (dump.Counts, error) {
	target := filepath.Join(dataDir, storeFile)
	if _, err := os.Lstat(target); err == nil {
		return nil, fmt.Errorf("%s exists: this directory is converted already (remove it to convert again)", target)
	}
	if !dump.LegacyFerretDir(dataDir) {
		return nil, fmt.Errorf("%s holds no FerretDB files (*.sqlite): not a data directory of the FerretDB release", filepath.Join(dataDir, legacyDir))
	}
	unlock, err := lockOld(dataDir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	tmp, err := os.MkdirTemp(dataDir, ".convert-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	copyDir := filepath.Join(tmp, legacyDir)
	if err := os.CopyFS(copyDir, os.DirFS(filepath.Join(dataDir, legacyDir))); err != nil {
		return nil, fmt.Errorf("copy %s: %w", legacyDir, err)
	}
	srv, err := ferretdb.Start(ctx, ferretdb.Options{Dir: copyDir, NoSync: true, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("start FerretDB on a copy of %s: %w", legacyDir, err)
	}
	defer func() { _ = srv.Stop(context.Background()) }()
	// One connection: FerretDB v1 is not safe with more (INFRA.md).
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()).SetMaxPoolSize(1).
		SetServerSelectionTimeout(mongostore.DefaultServerSelectionTimeout))
	if err != nil {
		return nil, fmt.Errorf("connect to FerretDB: %w", err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	if err := hasDatabase(ctx, client, database); err != nil {
		return nil, err
	}

	partial := filepath.Join(tmp, storeFile)
	store, err := sqlitestore.Open(ctx, partial, sqlitestore.WithFullSync())
	if err != nil {
		return nil, err
	}
	counts, err := pipe(ctx, mongostore.NewExporter(client.Database(database)), store)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(partial, target); err != nil {
		return nil, fmt.Errorf("move the new store into place: %w", err)
	}
	return counts, nil
}

// pipe streams the dump of src into dst.
func pipe(ctx context.Context, src dump.Source, dst dump.Sink) (dump.Counts, error) {
	pr, pw := io.Pipe()
	written := make(chan error, 1)
	go func() {
		_, err := dump.Write(ctx, src, pw, dump.Options{Now: func() time.Time { return time.Now().UTC() }})
		pw.CloseWithError(err)
		written <- err
	}()
	counts, err := dump.Restore(ctx, dst, pr, dump.RestoreOptions{})
	_ = pr.CloseWithError(errors.New("restore stopped"))
	if werr := <-written; werr != nil {
		return nil, fmt.Errorf("read the old data: %w", werr)
	}
	if err != nil {
		return nil, fmt.Errorf("write the new store: %w", err)
	}
	return counts, nil
}

// hasDatabase refuses a database name that the old server did not write.
func hasDatabase(ctx context.Context, client *mongo.Client, database string) error {
	names, err := client.ListDatabaseNames(ctx, map[string]any{})
	if err != nil {
		return fmt.Errorf("list FerretDB databases: %w", err)
	}
	for _, n := range names {
		if n == database {
			return nil
		}
	}
	return fmt.Errorf("no database %q in %s (found %v): pass --mongo-db", database, legacyDir, names)
}

// lockOld takes the old release's lock on the data directory, so that a server still running
// on it is noticed (and cannot write while db/ is copied).
func lockOld(dataDir string) (func(), error) {
	path := filepath.Join(dataDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is locked: stop the old server first", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil
}
