package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// recKey names a record: its collection and id.
type recKey struct{ coll, id string }

func (k recKey) String() string { return k.coll + "/" + k.id }

// sent is one mutation a simulated device pushed, with the answer it finally received.
type sent struct {
	phone  *phone
	m      mutation
	res    result
	batch  int    // the push (server instant) that applied it; pushes are numbered in order
	reject string // the error code the scenario expects (a deliberate refusal); "" expects none
}

// loser is a value that lost a conflict: it must be in the record's conflict log.
type loser struct {
	mutationID, field string
	value             any
}

// expected is what the simulator expects a record to hold on the server: every field its
// devices wrote, at the value of the last write the server applied, and the values that lost.
type expected struct {
	key       recKey
	owner     *member
	fields    map[string]any
	deleted   bool
	losers    []loser
	created   int       // the push that created it (the order of R16's first claims)
	createdAt time.Time // the simulated time of that push (the server's clock then)
}

// failure is one broken invariant, naming the records concerned.
type failure struct {
	Check string
	IDs   []string
	What  string
}

func (f failure) String() string { return fmt.Sprintf("%s: %s %v", f.Check, f.What, f.IDs) }

// ledger is the simulator's own event log: every mutation sent and its answer, what each record
// should hold, and what the scenario did that the server cannot be asked about (when a weekly
// report was sent, the leader's petty-cash payouts). The expected scores and money are computed
// from it (expect.go), never from records read back from the server.
type ledger struct {
	muts     map[string]*sent
	order    []*sent
	records  map[recKey]*expected
	batches  int
	failures []failure
	reports  []*reportEvent
	payouts  []payoutEvent
	refused  []payoutEvent // payouts the server had to refuse (beyond the balance)
	resends  int
	// now is the simulated time of the step under way (the server's clock was set to it).
	now time.Time
	// reportSent maps the mutation creating a weekly report to its event: the answer stamps
	// when it reached the server.
	reportSent map[string]*reportEvent
}

// reportEvent is a weekly report as the scenario sent it: which week, and the simulated time of
// the sync that carried it (zero: never sent).
type reportEvent struct {
	tech   *member
	week   time.Time // Monday, Asia/Shanghai
	sentAt time.Time
}

// payoutEvent is one petty-cash payout the leader recorded.
type payoutEvent struct {
	id        string
	date      string
	amountFen int64
	payee     string
}

func newLedger() *ledger {
	return &ledger{muts: map[string]*sent{}, records: map[recKey]*expected{}, reportSent: map[string]*reportEvent{}}
}

func (l *ledger) fail(check, what string, ids ...string) {
	l.failures = append(l.failures, failure{Check: check, IDs: ids, What: what})
}

// nextBatch numbers a push: the server stamps every record of one push with one instant.
func (l *ledger) nextBatch() int {
	l.batches++
	return l.batches
}

// queued registers a mutation the moment a device makes it.
func (l *ledger) queued(p *phone, m mutation, reject string) {
	s := &sent{phone: p, m: m, reject: reject}
	l.muts[m.MutationID] = s
	l.order = append(l.order, s)
	k := recKey{m.Collection, m.ID}
	if l.records[k] == nil {
		l.records[k] = &expected{key: k, owner: p.owner, fields: map[string]any{}}
	}
}

// answered applies the server's answer to what the record should hold, in the order the server
// applied the mutations (the simulator pushes one batch at a time).
func (l *ledger) answered(m mutation, res result, batch int) {
	s := l.muts[m.MutationID]
	s.res, s.batch = res, batch
	e := l.records[recKey{m.Collection, m.ID}]
	switch res.Status {
	case "rejected":
		if s.reject == "" {
			l.fail("unexpected rejection", fmt.Sprintf("%s %s: %v", m.Collection, m.ID, res.Error), m.MutationID)
		} else if !rejectedFor(res.Error, s.reject) {
			l.fail("rejection", fmt.Sprintf("%s %s: %v, want the field code %q", m.Collection, m.ID, res.Error, s.reject), m.MutationID)
		}
		return
	case "applied", "merged", "conflict":
	default:
		l.fail("push result", fmt.Sprintf("unknown status %q", res.Status), m.MutationID)
		return
	}
	if s.reject != "" {
		l.fail("expected rejection", fmt.Sprintf("%s %s was %s, want rejected %s", m.Collection, m.ID, res.Status, s.reject), m.MutationID)
	}
	lost := map[string]bool{}
	for _, c := range res.Conflicts {
		f, _ := c["field"].(string)
		lost[f] = true
		if f != "deleted" {
			e.losers = append(e.losers, loser{mutationID: m.MutationID, field: f, value: norm(c["clientValue"])})
		}
	}
	if e.created == 0 {
		e.created, e.createdAt = batch, l.now
	}
	if r := l.reportSent[m.MutationID]; r != nil && r.sentAt.IsZero() {
		r.sentAt = l.now
	}
	if m.Op == "delete" {
		if !lost["deleted"] {
			e.deleted = true
		}
		return
	}
	e.deleted = false
	for f, v := range m.Fields {
		if !lost[f] {
			e.fields[f] = norm(v)
		}
	}
}

// rejectedFor reports whether a rejection names the stable field code want (the text before the
// first ": " of a field's message, docs/sync-protocol.md) or has it as its code.
func rejectedFor(e *apiError, want string) bool {
	if e == nil {
		return false
	}
	if e.Code == want {
		return true
	}
	for _, msg := range e.Fields {
		if code, _, _ := strings.Cut(msg, ": "); code == want {
			return true
		}
	}
	return false
}

// resent checks a batch pushed again after its answer was lost: the answers must be the same
// (same status, same version: applied once, no new version).
func (l *ledger) resent(first, again []result) {
	l.resends += len(again)
	for i := range first {
		a, b := first[i], again[i]
		if a.Status != b.Status || a.Version != b.Version || len(a.Conflicts) != len(b.Conflicts) {
			l.fail("exactly once", fmt.Sprintf("resend answered %s v%d, first %s v%d", b.Status, b.Version, a.Status, a.Version), a.MutationID)
		}
	}
}

// counts sums the answers by status for a device's mutations.
func (l *ledger) counts(match func(*sent) bool) map[string]int {
	out := map[string]int{}
	for _, s := range l.order {
		if match(s) {
			out[s.res.Status]++
		}
	}
	return out
}

// keys returns the records of a collection, sorted by id.
func (l *ledger) keys(coll string) []*expected {
	var out []*expected
	for k, e := range l.records {
		if k.coll == coll {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key.id < out[j].key.id })
	return out
}

// norm is v as it comes back from JSON (numbers float64, lists []any, objects map[string]any).
func norm(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// same compares two JSON values.
func same(a, b any) bool { return reflect.DeepEqual(norm(a), norm(b)) }
