package storetest

import (
	"context"
	"fmt"
	"os"
	stdsync "sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync/ferretdb"
	"github.com/fieldsync/fieldsync/sync/mongostore"
)

// sharedMongo is the binary's one document server, started on first use.
var sharedMongo struct {
	mu       stdsync.Mutex
	started  bool
	uri      string
	embedded bool
	dir      string        // the embedded FerretDB's data directory ("" for an external server)
	admin    *mongo.Client // drops test databases; one connection, safe on FerretDB
	err      error
}

// mongoServer returns the URI of the shared server, starting the embedded FerretDB on first use
// unless EnvMongoURI is set.
func mongoServer() (uri string, embedded bool, admin *mongo.Client, err error) {
	m := &sharedMongo
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return m.uri, m.embedded, m.admin, m.err
	}
	m.started = true
	m.uri, m.dir, m.err = startMongo()
	m.embedded = m.dir != ""
	if m.err == nil {
		m.admin, m.err = mongo.Connect(options.Client().ApplyURI(m.uri).SetMaxPoolSize(1).
			SetServerSelectionTimeout(mongostore.DefaultServerSelectionTimeout))
	}
	return m.uri, m.embedded, m.admin, m.err
}

// startMongo returns the URI of the server and, for the embedded FerretDB it starts, its data
// directory.
func startMongo() (uri, dir string, err error) {
	if uri := os.Getenv(EnvMongoURI); uri != "" {
		return uri, "", nil
	}
	dir, err = tempDir("ferretdb")
	if err != nil {
		return "", "", fmt.Errorf("ferretdb data dir: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Never stopped: the test binary exits; its directory goes with the next run's removeStale.
	srv, err := ferretdb.Start(ctx, ferretdb.Options{Dir: dir, NoSync: true, Logger: logger})
	if err != nil {
		return "", "", err
	}
	return srv.URI(), dir, nil
}

// MongoConfig returns a Config for a database of the shared server that no other test uses; the
// database is dropped at the test's cleanup. Use it to hand the database to code that opens its
// own Store (the whole app, say); Mongo opens one for you. On FerretDB, keep to one writing
// Store per database at a time (see sync/mongostore).
func MongoConfig(t testing.TB) mongostore.Config {
	t.Helper()
	uri, embedded, admin, err := mongoServer()
	if err != nil {
		t.Fatalf("storetest: document server: %v", err)
	}
	name := uniqueName(t, "t-", 63)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.Database(name).Drop(ctx); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	cfg := mongostore.Config{URI: uri, Database: name, Embedded: embedded, Logger: logger}
	if dir := sharedMongo.dir; dir != "" {
		cfg.IndexIDs = func(ctx context.Context, database string) error { return ferretdb.IndexIDs(ctx, dir, database) }
	}
	return cfg
}

// Mongo opens a Store on a fresh database of the shared server (MongoConfig) and closes it and
// drops the database at the test's cleanup.
func Mongo(t testing.TB) *mongostore.Store {
	t.Helper()
	cfg := MongoConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := mongostore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: open database %s: %v", cfg.Database, err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) }) // runs before the drop
	return st
}
