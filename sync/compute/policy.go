package compute

import (
	"context"
	"fmt"
	stdsync "sync"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// DefaultPolicyCacheTTL is how long Policies serves a history it read: every instance reads the
// versions from the database, and a version another instance added is seen within this time.
// That is harmless: a new version only takes effect from a month that has not begun (Add).
const DefaultPolicyCacheTTL = 5 * time.Second

// PolicyConfig wires Policies. Store is required; Audit may be nil; Now defaults to time.Now;
// CacheTTL 0 takes DefaultPolicyCacheTTL, a negative one disables the cache.
type PolicyConfig struct {
	Store    PolicyStore
	Audit    Auditor
	Now      func() time.Time
	CacheTTL time.Duration
}

// Policies serves the versioned policy (SPEC.md, last paragraph) from the database: the version
// in force on a date, the history, and new versions added by an admin. There is no
// process-local truth: the history is read from the store (for at most CacheTTL from a copy).
type Policies struct {
	cfg PolicyConfig

	mu       stdsync.Mutex
	cached   domain.PolicyHistory
	cachedAt time.Time // monotonic: when cached was read
}

// NewPolicies returns the policy service.
func NewPolicies(cfg PolicyConfig) *Policies {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultPolicyCacheTTL
	}
	return &Policies{cfg: cfg}
}

// Seed stores domain.DefaultPolicy (version 1, the seed's numbers) unless version 1 exists:
// every instance calls it at start; the first insert wins.
func (s *Policies) Seed(ctx context.Context) error {
	if err := SeedPolicy(ctx, s.cfg.Store, domain.DefaultPolicy(), s.cfg.Now()); err != nil {
		return fmt.Errorf("seed the default policy: %w", err)
	}
	s.forget()
	return nil
}

// History returns every version, oldest first, possibly from a copy at most CacheTTL old.
// Errors: unavailable; internal when the stored versions do not form a valid history.
func (s *Policies) History(ctx context.Context) (domain.PolicyHistory, error) {
	s.mu.Lock()
	if s.cached != nil && s.cfg.CacheTTL > 0 && time.Since(s.cachedAt) < s.cfg.CacheTTL {
		h := s.cached
		s.mu.Unlock()
		return h, nil
	}
	s.mu.Unlock()
	return s.fresh(ctx)
}

// fresh reads the history from the store and refreshes the cache.
func (s *Policies) fresh(ctx context.Context) (domain.PolicyHistory, error) {
	versions, err := s.cfg.Store.Versions(ctx)
	if err != nil {
		return nil, err
	}
	h, err := domain.NewPolicyHistory(versions)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "the stored policy versions are inconsistent", Err: err}
	}
	s.mu.Lock()
	s.cached, s.cachedAt = h, time.Now()
	s.mu.Unlock()
	return h, nil
}

func (s *Policies) forget() {
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
}

// At returns the version in force on the civil date d (Asia/Shanghai). Errors: not_found when no
// version was in force then (d before the first version's effectiveFrom).
func (s *Policies) At(ctx context.Context, d domain.Date) (domain.Policy, error) {
	h, err := s.History(ctx)
	if err != nil {
		return domain.Policy{}, err
	}
	return h.At(d)
}

// Current returns the version in force today (the server's clock, Asia/Shanghai).
func (s *Policies) Current(ctx context.Context) (domain.Policy, error) {
	return s.At(ctx, domain.DateOf(s.cfg.Now()))
}

// HistoryFor returns the history to caller: admins, leaders and hr read it (it explains every
// month's numbers). Errors: forbidden for other roles.
func (s *Policies) HistoryFor(ctx context.Context, caller domain.Principal) (domain.PolicyHistory, error) {
	switch caller.Role {
	case domain.RoleAdmin, domain.RoleLeader, domain.RoleHR:
	default:
		return nil, domain.Errorf(domain.CodeForbidden, "a %s may not read the policy history", caller.Role)
	}
	return s.History(ctx)
}

// Add stores p as the next version on behalf of caller (an admin) and returns it as stored
// (version 0 in p means "the next one"). Rules, in order:
//   - only admins add versions (forbidden);
//   - domain.PolicyHistory.Add: the version is the next one (conflict otherwise, e.g. an admin
//     editing a stale copy), the policy is valid (invalid, with per-field codes such as
//     {"payBands.A.minFen": "min=1"}), and it takes effect after the last version;
//   - it takes effect from the first day of a month that has not begun yet (invalid,
//     {"effectiveFrom": "gte=<first day of next month>"}): a month is computed under the version
//     in force on its first day, so a version for the current or an earlier month would rewrite
//     scores already recorded under the old one, and could reach a month already closed (R5);
//   - two admins adding the same version at once: one wins, the other gets conflict.
func (s *Policies) Add(ctx context.Context, caller domain.Principal, address string, p domain.Policy) (domain.Policy, error) {
	if caller.Role != domain.RoleAdmin {
		return domain.Policy{}, domain.Errorf(domain.CodeForbidden, "a %s may not change the policy", caller.Role)
	}
	h, err := s.fresh(ctx)
	if err != nil {
		return domain.Policy{}, err
	}
	next, err := h.Add(p)
	if err != nil {
		return domain.Policy{}, err
	}
	added, _ := next.Latest()
	now := s.cfg.Now()
	earliest := domain.MonthOf(domain.DateOf(now)).Next().First()
	if added.EffectiveFrom.Before(earliest) {
		return domain.Policy{}, domain.Invalid("a new policy version takes effect from a month that has not begun",
			map[string]string{"effectiveFrom": "gte=" + earliest.String()})
	}
	if err := s.cfg.Store.Insert(ctx, added, caller.UserID, now); err != nil {
		return domain.Policy{}, err
	}
	s.forget()
	if s.cfg.Audit != nil {
		e := domain.AuditBy(caller, address, now.UTC(), AuditPolicyAdd)
		e.Collection, e.RecordID = "policies", fmt.Sprint(added.Version)
		e.Detail = "effectiveFrom=" + added.EffectiveFrom.String()
		if err := s.cfg.Audit.Record(ctx, e); err != nil {
			return added, fmt.Errorf("audit the policy change: %w", err)
		}
	}
	return added, nil
}
