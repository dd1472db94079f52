package sync

import (
	"context"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// Rules are what the engine asks the domain about each collection: who may write what, which
// records are locked, and who may read a record. The engine applies them to every write and
// every read; nothing else decides access to synced records.
type Rules interface {
	// Syncs reports whether collection is a known synced collection.
	Syncs(collection string) bool
	// CheckWrite authorizes and validates mutation m by p against cur (nil for a new record),
	// before the merge: unknown fields, fields p's role may not write, records p may not
	// touch. It returns nil or a *domain.Error (invalid, forbidden).
	CheckWrite(p domain.Principal, m Mutation, cur *Record) error
	// Locked reports whether cur refuses device edits (an approved service form, a closed month).
	Locked(cur *Record) bool
	// Derive completes next, a record about to be written by p: it stamps server-owned fields
	// and returns its Audience (visibility tokens) and Revoked tokens. It returns a
	// *domain.Error when the resulting record breaks an invariant.
	Derive(ctx context.Context, p domain.Principal, cur, next *Record) error
	// Tokens returns the visibility tokens of p (see Record.Audience).
	Tokens(p domain.Principal) []string
	// View returns the fields of rec as p may see them (customer details redacted outside the team).
	View(p domain.Principal, rec *Record) map[string]any
}

// Auditor appends to the audit log (sync/mongostore.AuditLog); the engine calls it once per
// pushed batch with one entry per record write: who, which record, the action, and in Detail
// the status, version and the names (never the values) of the fields sent.
type Auditor interface {
	Record(ctx context.Context, entries ...domain.AuditEntry) error
}

// Limits are the engine's protocol limits (defaults in DefaultLimits).
type Limits struct {
	MaxBatch         int           // mutations per push; above it 413 too_large
	DefaultPullLimit int           // changes per pull page when the client gives none
	MaxPullLimit     int           // largest page a client may ask for
	Lease            time.Duration // how long a push may hold its sequence numbers in flight
}

// DefaultLimits are the limits of protocol v1 (docs/sync-protocol.md).
var DefaultLimits = Limits{MaxBatch: 500, DefaultPullLimit: 200, MaxPullLimit: 1000, Lease: 60 * time.Second}

// Engine is the sync engine: Push applies mutations exactly once, Pull pages changes gap-free.
type Engine struct {
	records   RecordStore
	sequencer Sequencer
	log       MutationLog
	rules     Rules
	audit     Auditor
	cursorKey []byte
	limits    Limits
	now       func() time.Time
}

// Config wires an Engine. CursorKey signs pull cursors (at least 32 bytes, the same on every
// server instance). Now is the clock (time.Now in production).
type Config struct {
	Records   RecordStore
	Sequencer Sequencer
	Log       MutationLog
	Rules     Rules
	Audit     Auditor
	CursorKey []byte
	Limits    Limits
	Now       func() time.Time
}

// New returns an engine. Zero limits take DefaultLimits.
func New(cfg Config) *Engine {
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{records: cfg.Records, sequencer: cfg.Sequencer, log: cfg.Log, rules: cfg.Rules, audit: cfg.Audit,
		cursorKey: cfg.CursorKey, limits: cfg.Limits, now: cfg.Now}
}

// Limits returns the engine's limits.
func (e *Engine) Limits() Limits { return e.limits }
