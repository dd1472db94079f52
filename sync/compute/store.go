package compute

import (
	"context"
	"slices"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// ClosedMonth is one team's closed month (R5): who closed it and when, and what it froze. Scores
// are the month's assessments as frozen (one per technician, lines included); Incidents are the
// ids of every incident those scores count, sorted. An incident dated in a closed month that is
// not in Incidents arrived after the close: it counts as an adjustment in a later month
// (Placement). Done reports that everything the close writes (closed assessments, grade reviews,
// December's bonuses) is written; a close that crashed half-way is finished by the next pass.
type ClosedMonth struct {
	Team      string
	Month     domain.Month
	ClosedAt  time.Time
	ClosedBy  string
	Incidents []string
	Scores    []domain.Score
	Done      bool
}

// Counts reports whether the close froze incident id into this month's scores.
func (c ClosedMonth) Counts(id string) bool {
	_, found := slices.BinarySearch(c.Incidents, id)
	return found
}

// Checkpoint is how far the worker got, shared by every instance: Seq is the sequence number up
// to which incident changes were scored; PolicyVersion the newest policy version seen (a new one
// rescores every open month); R1Through the instant up to which weekly-report deadlines were
// judged (R1; zero before the first run); Baseline names the current month and its technicians,
// so that a new month or a new technician gets an assessment without any incident.
type Checkpoint struct {
	Seq           int64
	PolicyVersion int
	R1Through     time.Time
	Baseline      string
}

// Store is what the worker keeps in the database besides records (sync/mongostore.Compute).
type Store interface {
	// AcquireLease takes or renews the one worker lease for owner (a token unique to one
	// acquisition) until now+ttl, and reports whether owner holds it: false while another
	// owner's lease is unexpired.
	AcquireLease(ctx context.Context, owner string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if owner holds it.
	ReleaseLease(ctx context.Context, owner string) error
	// Checkpoint returns the stored checkpoint (the zero one before the first pass).
	Checkpoint(ctx context.Context) (Checkpoint, error)
	// SaveCheckpoint stores cp.
	SaveCheckpoint(ctx context.Context, cp Checkpoint) error
	// InsertClosedMonth stores a close. Errors: conflict when the month is closed already.
	InsertClosedMonth(ctx context.Context, c ClosedMonth) error
	// ClosedMonth returns team's close of m, false when m is open.
	ClosedMonth(ctx context.Context, team string, m domain.Month) (ClosedMonth, bool, error)
	// ClosedMonths returns team's closed months, oldest first ("" for every team's).
	ClosedMonths(ctx context.Context, team string) ([]ClosedMonth, error)
	// MarkClosedMonthDone records that the close of team's m is fully written.
	MarkClosedMonthDone(ctx context.Context, team string, m domain.Month) error
	// UnfinishedClosedMonths returns the closes not Done, oldest first.
	UnfinishedClosedMonths(ctx context.Context) ([]ClosedMonth, error)
	// FrozenIncident reports whether a close of team froze incident id.
	FrozenIncident(ctx context.Context, team, id string) (bool, error)
}

// PolicyStore keeps the policy versions (sync/mongostore.Policies).
type PolicyStore interface {
	// Versions returns every version, oldest first.
	Versions(ctx context.Context) ([]domain.Policy, error)
	// Insert stores a new version. Errors: conflict (PolicyAddedMeanwhile) when the version
	// exists.
	Insert(ctx context.Context, p domain.Policy, by string, at time.Time) error
}

// PolicyAddedMeanwhile is the conflict of PolicyStore.Insert when version exists already
// (another admin added it first).
func PolicyAddedMeanwhile(version int) error {
	return domain.Errorf(domain.CodeConflict, "policy version %d was added meanwhile: reload and try again", version)
}

// SeedPolicy inserts p (normally domain.DefaultPolicy, version 1), added by the server at at,
// unless its version exists already: every instance may call it at start, the first one wins,
// and a seed never overwrites what an admin stored.
func SeedPolicy(ctx context.Context, s PolicyStore, p domain.Policy, at time.Time) error {
	err := s.Insert(ctx, p, domain.IncidentByServer, at)
	if domain.ErrorCode(err) == domain.CodeConflict {
		return nil
	}
	return err
}

// Users lists the accounts (sync/mongostore.Accounts): every user of teamID, or everybody for "".
type Users interface {
	ListUsers(ctx context.Context, teamID string) ([]domain.User, error)
}

// Records reads synced and computed records (sync/mongostore.Records).
type Records interface {
	Changes(ctx context.Context, q sync.ChangeQuery) ([]*sync.Record, error)
	GetMany(ctx context.Context, keys []sync.RecordKey) (map[sync.RecordKey]*sync.Record, error)
}

// Sequencer tells how far the records are stably written (sync/mongostore.Sequencer).
type Sequencer interface {
	Horizon(ctx context.Context) (sync.Horizon, error)
}

// Writer is the one write path of computed and rule-made records (sync.Engine.WriteAsServer).
type Writer interface {
	WriteAsServer(ctx context.Context, p domain.Principal, writes []sync.ServerWrite) (int, error)
}

// Auditor appends to the audit log (sync/mongostore.AuditLog).
type Auditor interface {
	Record(ctx context.Context, entries ...domain.AuditEntry) error
}

// The audit actions of this package (domain.AuditAction: added, never renamed).
const (
	AuditPolicyAdd    domain.AuditAction = "policy_add"
	AuditMonthClose   domain.AuditAction = "month_close"
	AuditBonusCompute domain.AuditAction = "bonus_compute"
)
