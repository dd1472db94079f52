// Package stores is the one place that names a server's document stores: the embedded SQLite
// file (sync/sqlitestore, the default) or MongoDB (sync/mongostore). cmd/fieldsync opens one Set
// and hands its fields on; every other package sees only the interfaces below and never learns
// which adapter it got (docs/storage.md).
package stores

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/devclock"
	"github.com/fieldsync/fieldsync/sync/dump"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/schema"
	"github.com/fieldsync/fieldsync/sync/sqlitestore"
)

// Kind names the adapter a Set runs on, for logs and the readiness check.
type Kind string

const (
	SQLite  Kind = "sqlite"
	MongoDB Kind = "mongodb"
)

// Records is the record store as every consumer asks it: the engine (push, pull, purge), the
// photo service and rules, and the rules engine and console reads.
type Records interface {
	sync.RecordStore
	sync.TombstoneStore
	blobs.Records
	schema.RecordReader
	schema.PhotoClaims
	compute.Records
}

// Sequencer hands out the gap-free sequence numbers and the pull horizon; it also keeps the
// purge point of the tombstone purge.
type Sequencer interface {
	sync.Sequencer
	sync.PurgeMarker
	compute.Sequencer
}

// MutationLog is the idempotency-key log of the engine, with the janitor's retention delete.
type MutationLog interface {
	sync.MutationLog
	// DeleteBefore removes the receipts stored before cutoff and returns how many.
	DeleteBefore(ctx context.Context, cutoff time.Time) (int64, error)
}

// Accounts keeps users, teams, devices and refresh tokens (sync/accounts), and answers the rules
// engine's and the exports' questions about them.
type Accounts interface {
	accounts.Store
	compute.Users
	compute.Teams
}

// AuditLog is the one audit log every component writes to.
type AuditLog interface {
	accounts.AuditLog
}

// SyncActivity records each device's last push and pull and answers sync health.
type SyncActivity interface {
	compute.SyncActivity
	Touch(ctx context.Context, deviceID, kind string) error
}

// Set is one server's document stores, all on the same database. Build it with OpenSQLite or
// OpenMongo; Close it once.
type Set struct {
	Kind      Kind
	Records   Records
	Sequencer Sequencer
	Log       MutationLog
	Accounts  Accounts
	Settings  accounts.Settings
	Audit     AuditLog
	Compute   compute.Store
	Policies  compute.PolicyStore
	// Activity is built on first use of the clock it is given (see NewActivity).
	Blobs       blobs.Meta
	UploadLocks *blobs.UploadLocks
	LoginLimits fiber.Storage
	// Ping checks that the database answers (the readiness check).
	Ping func(ctx context.Context) error
	// Source and Sink write and load portable dumps of the whole store (sync/dump,
	// docs/moving-data.md).
	Source dump.Source
	Sink   dump.Sink
	// Backup writes a consistent copy of the embedded store to a new file at path while the
	// server runs (sqlitestore.Store.Backup); nil on MongoDB (use mongodump or a dump).
	Backup func(ctx context.Context, path string) error

	newActivity func(now func() time.Time) SyncActivity
	newDevClock func(log *slog.Logger) *devclock.Clock
	close       func(ctx context.Context) error
}

// NewActivity returns the sync-activity store on the server's clock now (the dev clock when on).
func (s *Set) NewActivity(now func() time.Time) SyncActivity { return s.newActivity(now) }

// NewDevClock returns the development clock kept in the database (FIELDSYNC_DEV_CLOCK).
func (s *Set) NewDevClock(log *slog.Logger) *devclock.Clock { return s.newDevClock(log) }

// Close closes the database connections.
func (s *Set) Close(ctx context.Context) error { return s.close(ctx) }

// OpenSQLite opens (creating and migrating when needed) the embedded SQLite store at path, with
// the adapter's default durability (synchronous=NORMAL, docs/storage.md). Several processes may
// open the same file: the server and `fieldsync admin` commands run side by side. Errors: the
// file cannot be opened or migrated (sqlitestore.Open).
func OpenSQLite(ctx context.Context, path string, opts ...sqlitestore.Option) (*Set, error) {
	st, err := sqlitestore.Open(ctx, path, opts...)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	accts := sqlitestore.NewAccounts(st)
	return &Set{
		Kind:        SQLite,
		Records:     sqlitestore.NewRecords(st),
		Sequencer:   sqlitestore.NewSequencer(st, time.Now),
		Log:         sqlitestore.NewMutationLog(st),
		Accounts:    accts,
		Settings:    sqlitestore.NewSettings(st),
		Audit:       sqlitestore.NewAuditLog(st),
		Compute:     sqlitestore.NewCompute(st),
		Policies:    sqlitestore.NewPolicies(st),
		Blobs:       sqlitestore.NewBlobs(st),
		UploadLocks: sqlitestore.NewUploadLocks(st),
		LoginLimits: sqlitestore.NewLimiterStorage(st),
		Ping:        st.Ping,
		Source:      st,
		Sink:        st,
		Backup:      st.Backup,
		newActivity: func(now func() time.Time) SyncActivity { return sqlitestore.NewSyncActivity(st, now) },
		newDevClock: func(log *slog.Logger) *devclock.Clock { return sqlitestore.NewDevClock(st, log) },
		close:       func(context.Context) error { return st.Close() },
	}, nil
}

// OpenMongo connects to MongoDB as cfg says and ensures its indexes. Errors: the server cannot be
// reached, or is not MongoDB (mongostore.Open).
func OpenMongo(ctx context.Context, cfg mongostore.Config) (*Set, error) {
	st, err := mongostore.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Set{
		Kind:        MongoDB,
		Records:     mongostore.NewRecords(st),
		Sequencer:   mongostore.NewSequencer(st, time.Now),
		Log:         mongostore.NewMutationLog(st),
		Accounts:    mongostore.NewAccounts(st),
		Settings:    mongostore.NewSettings(st),
		Audit:       mongostore.NewAuditLog(st),
		Compute:     mongostore.NewCompute(st),
		Policies:    mongostore.NewPolicies(st),
		Blobs:       mongostore.NewBlobs(st),
		UploadLocks: mongostore.NewUploadLocks(st),
		LoginLimits: mongostore.NewLimiterStorage(st),
		Ping:        st.Ping,
		Source:      st,
		Sink:        st,
		newActivity: func(now func() time.Time) SyncActivity { return mongostore.NewSyncActivity(st, now) },
		newDevClock: func(log *slog.Logger) *devclock.Clock { return mongostore.NewDevClock(st, log) },
		close:       st.Close,
	}, nil
}
