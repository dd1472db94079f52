// Package mongostore is the MongoDB adapter: it connects with mongo-driver v2, detects FerretDB,
// creates the declared indexes and translates driver errors into domain errors (Translate).
//
// Against FerretDB (embedded or external) the client always uses a connection pool of ONE
// connection: FerretDB v1 loses updates when several connections write concurrently ($inc and
// {_id, version} compare-and-set both fail under 8 writers), and serializing every operation on
// one connection makes them all land. It follows that one fieldsync process must own a FerretDB
// database; two processes (or two Stores) writing the same FerretDB database are not safe.
// What only MongoDB offers (transactions, change streams) is not used here; see INFRA.md.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/fieldsync/fieldsync/domain"
)

// Timeouts applied when the URI does not set its own (serverSelectionTimeoutMS,
// connectTimeoutMS). Server selection also bounds the wait for a pooled connection, which with
// FerretDB's pool of one is where a burst of pushes queues: 10 s rather than the driver's 30 s,
// so that an outage surfaces as 503 unavailable; /readyz bounds its own ping to a few seconds.
const (
	DefaultServerSelectionTimeout = 10 * time.Second
	DefaultConnectTimeout         = 2 * time.Second
)

// driverDefaultPoolSize is mongo-driver's maxPoolSize when neither the URI nor the options set it.
const driverDefaultPoolSize = 100

// Config says where the documents live.
type Config struct {
	// URI is a MongoDB connection string, e.g. "mongodb://127.0.0.1:27017/?replicaSet=rs0". Required.
	URI string
	// Database is the database name. Required.
	Database string
	// Embedded marks the URI as this process's own embedded FerretDB: FerretDB is then expected
	// and no warning is logged about it.
	Embedded bool
	// Logger receives the warning about an external FerretDB; slog.Default() when nil.
	Logger *slog.Logger
	// IndexIDs, when set, is called by Open once every collection exists, with the database
	// name: the embedded FerretDB's ferretdb.Server.IndexIDs, which makes its `_id` lookups
	// indexed (FerretDB v1 never uses its own `_id` index).
	IndexIDs func(ctx context.Context, database string) error
}

// Store is a connected MongoDB (or FerretDB) database with its indexes in place. It is safe for
// concurrent use.
type Store struct {
	client      *mongo.Client
	db          *mongo.Database
	ferret      bool
	maxPoolSize uint64
	// writeMu serializes the record store's read-modify-write on FerretDB, where a
	// compare-and-set filter other than _id alone would read the whole table (Records). Sound
	// because on FerretDB this Store is the database's only writer (see Open).
	writeMu stdsync.Mutex
	open    *atomic.Int64 // connections currently open in the pool
}

// Open connects to cfg.URI, detects FerretDB (buildInfo answers with ferretdbVersion) and then
// forces a pool of one connection, pings, and creates the indexes declared in indexes.go
// (idempotent). ctx bounds the whole call. Errors: domain.ErrInvalid for a missing URI or
// database or a malformed URI; domain.ErrUnavailable when the server cannot be reached; an
// internal error when an index cannot be created (e.g. same name, other keys).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URI == "" || cfg.Database == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "open mongo: URI and database are required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	opts := options.Client().ApplyURI(cfg.URI)
	if err := opts.Validate(); err != nil {
		return nil, &domain.Error{Code: domain.CodeInvalid, Message: "open mongo: malformed URI", Err: err}
	}
	if opts.ServerSelectionTimeout == nil {
		opts.SetServerSelectionTimeout(DefaultServerSelectionTimeout)
	}
	if opts.ConnectTimeout == nil {
		opts.SetConnectTimeout(DefaultConnectTimeout)
	}
	if cfg.Embedded {
		opts.SetMaxPoolSize(1) // known FerretDB: start serialized, no reconnect needed
	}

	s, err := connect(opts, cfg.Database)
	if err != nil {
		return nil, err
	}
	// The first contact fails fast when nobody answers (the operations' server selection waits
	// longer: it also bounds queueing for a pooled connection).
	probeCtx, cancel := context.WithTimeout(ctx, DefaultConnectTimeout+time.Second)
	s.ferret, err = isFerretDB(probeCtx, s.client)
	cancel()
	if err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	if s.ferret && !cfg.Embedded {
		logger.Warn("mongostore: the external URI is a FerretDB server; using one connection "+
			"(FerretDB v1 loses concurrent updates); no other process may write this database",
			"hosts", strings.Join(opts.Hosts, ","), "database", cfg.Database)
	}
	if s.ferret && s.maxPoolSize != 1 {
		_ = s.Close(ctx)
		if s, err = connect(opts.SetMaxPoolSize(1), cfg.Database); err != nil {
			return nil, err
		}
		s.ferret = true
	}
	if !s.ferret && cfg.Embedded {
		logger.Warn("mongostore: URI marked embedded is not FerretDB", "database", cfg.Database)
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	if err := s.ensureCollections(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	if cfg.IndexIDs != nil {
		if err := cfg.IndexIDs(ctx, cfg.Database); err != nil {
			_ = s.Close(context.Background())
			return nil, fmt.Errorf("open mongo: %w", err)
		}
	}
	if s.ferret {
		if err := NewRecords(s).backfill(ctx); err != nil {
			_ = s.Close(context.Background())
			return nil, err
		}
	}
	return s, nil
}

// connect creates the client with a pool monitor that counts open connections. mongo.Connect
// does not dial in driver v2; the first operation does.
func connect(opts *options.ClientOptions, database string) (*Store, error) {
	open := new(atomic.Int64)
	opts.SetPoolMonitor(&event.PoolMonitor{Event: func(e *event.PoolEvent) {
		switch e.Type {
		case event.ConnectionCreated:
			open.Add(1)
		case event.ConnectionClosed:
			open.Add(-1)
		}
	}})
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, Translate(err, "connect to mongo")
	}
	size := uint64(driverDefaultPoolSize)
	if opts.MaxPoolSize != nil && *opts.MaxPoolSize > 0 {
		size = *opts.MaxPoolSize
	}
	return &Store{client: client, db: client.Database(database), maxPoolSize: size, open: open}, nil
}

// isFerretDB runs buildInfo and reports whether it names a FerretDB version.
func isFerretDB(ctx context.Context, client *mongo.Client) (bool, error) {
	raw, err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Raw()
	if err != nil {
		return false, Translate(err, "detect mongo server")
	}
	_, err = raw.LookupErr("ferretdbVersion")
	return err == nil, nil
}

// DB returns the database named in Config.Database.
func (s *Store) DB() *mongo.Database { return s.db }

// Client returns the underlying client.
func (s *Store) Client() *mongo.Client { return s.client }

// IsFerretDB reports whether the server is FerretDB (and the pool is therefore one connection).
func (s *Store) IsFerretDB() bool { return s.ferret }

// MaxPoolSize returns the client's maximum number of pooled connections: 1 against FerretDB,
// otherwise the URI's maxPoolSize or the driver's default of 100.
func (s *Store) MaxPoolSize() uint64 { return s.maxPoolSize }

// OpenConnections returns the number of connections currently open in the pool (monitoring
// connections excluded); never above MaxPoolSize.
func (s *Store) OpenConnections() int { return int(s.open.Load()) }

// Ping checks that the primary answers. Every failure wraps domain.ErrUnavailable (a caller
// deadline too: the database did not answer in time), so /readyz can report it as is.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return &domain.Error{Code: domain.CodeUnavailable, Message: "ping mongo", Err: err}
	}
	return nil
}

// Close disconnects the client, waiting for in-use connections until ctx ends.
func (s *Store) Close(ctx context.Context) error {
	err := s.client.Disconnect(ctx)
	if err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return Translate(err, "close mongo")
	}
	return nil
}

// collections lists every collection the store writes, so that Open creates them all up front
// (and Config.IndexIDs sees them). A new collection is added here.
var collections = []string{collAuditLog, collBlobs, collChangeFeed, collClosedMonths, collComputeState, collDevices,
	collMutations, collPhotoRefs, collPolicies, collRateLimits, collRecords, collRefreshTokens, collSettings, collSyncMeta, collTeams,
	collUploadLocks, collUsers}

// ensureCollections creates the collections that do not exist yet.
func (s *Store) ensureCollections(ctx context.Context) error {
	existing, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return Translate(err, "list collections")
	}
	for _, c := range collections {
		if slices.Contains(existing, c) {
			continue
		}
		err := s.db.CreateCollection(ctx, c)
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // 48: NamespaceExists (a concurrent Open)
			return Translate(err, "create collection %s", c)
		}
	}
	return nil
}

// ensureIndexes creates every index declared in indexes, in collection order; creating an
// existing index with the same name and keys is a no-op on MongoDB and FerretDB. One index per
// createIndexes call: FerretDB v1.24.2 panics (and drops the connection) on a createIndexes that
// names two or more indexes which all exist already — i.e. on every restart.
func (s *Store) ensureIndexes(ctx context.Context) error {
	for _, coll := range slices.Sorted(maps.Keys(indexes)) {
		for _, model := range indexes[coll] {
			// The driver sets the name on the options it is given: give it a copy, so that the
			// shared table is never written (two stores may open at once).
			if model.Options != nil {
				model.Options = &options.IndexOptionsBuilder{Opts: slices.Clone(model.Options.Opts)}
			}
			if _, err := s.db.Collection(coll).Indexes().CreateOne(ctx, model); err != nil {
				return Translate(err, "create index %s on %s", indexName(model), coll)
			}
		}
	}
	return nil
}

// indexName returns the name an index model sets, or its keys when it sets none.
func indexName(m mongo.IndexModel) string {
	if m.Options != nil {
		var o options.IndexOptions
		for _, set := range m.Options.List() {
			_ = set(&o)
		}
		if o.Name != nil {
			return *o.Name
		}
	}
	return fmt.Sprint(m.Keys)
}

// String describes the store without credentials, for logs: "mongo(ferretdb) db=fieldsync".
func (s *Store) String() string {
	kind := "mongodb"
	if s.ferret {
		kind = "ferretdb"
	}
	return fmt.Sprintf("mongo(%s) db=%s", kind, s.db.Name())
}
