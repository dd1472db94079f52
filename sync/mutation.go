package sync

import (
	"maps"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// Op is what a mutation does to a record: OpUpsert or OpDelete. Wire values are "upsert" and
// "delete"; anything else is rejected.
type Op string

// The mutation operations.
const (
	OpUpsert Op = "upsert" // set the fields the mutation carries; create the record if it is missing
	OpDelete Op = "delete" // write a tombstone
)

// Limits on the identifiers of a mutation. They are part of the wire contract: raising one is
// safe, lowering one can reject mutations that phones already hold in their offline queues.
const (
	// MaxIDLen is the longest record or mutation id, in bytes. Ids are client-generated UUIDs
	// (36 bytes); the limit leaves room for other client id schemes.
	MaxIDLen = 64
	// MaxCollectionLen is the longest collection name, in bytes.
	MaxCollectionLen = 64
)

// Mutation is one change pushed by a device, decoded from the wire shape
//
//	{"mutationId": "<uuid>", "collection": "service_forms", "id": "<uuid>",
//	 "op": "upsert"|"delete", "baseVersion": 0, "fields": {...}, "clientTime": "<RFC3339>"}
//
// MutationID identifies the change itself (resends carry the same id; de-duplication is the
// caller's job). BaseVersion is the record version the device last saw from the server (0: it has
// never seen the record). Fields holds, for an upsert, only the fields the device CHANGED since
// BaseVersion, each with its new value as decoded from JSON (nested objects and arrays are one
// field each); a field set to null is cleared. A device that sends unchanged fields with their
// stale values gets them back as conflicts whenever the server changed them meanwhile: safe (the
// server's value stands) but noisy, so clients send the diff. Fields of a delete are ignored.
// ClientTime is when the device made the change; Merge does not use it (it is kept for the
// conflict log and for audit), so clock skew between phones never decides a conflict.
type Mutation struct {
	// Writer identifies the device that made the change (the engine sets it from the caller's
	// user and device; "" for unknown). A field whose latest change came from the same writer is
	// never a conflict with it: see ownWrite in merge.go.
	Writer      string
	MutationID  string
	Collection  string
	ID          string
	Op          Op
	BaseVersion int64
	Fields      map[string]any
	ClientTime  time.Time
}

// Validate checks the shape of m: ids of 1..MaxIDLen bytes of [A-Za-z0-9_-], a collection name of
// 1..MaxCollectionLen bytes of [a-z0-9_] starting with a letter, a known Op, BaseVersion >= 0, and
// for an upsert fields that pass ValidateFields. It returns nil or a *domain.Error with code
// invalid whose Fields are keyed by the wire names ("mutationId", "baseVersion",
// "fields.parts[0].$gt", ...). It does not check that the collection exists or that the caller
// may write it: that is the push layer's job.
func (m Mutation) Validate() error {
	bad := map[string]string{}
	if msg := checkID(m.MutationID); msg != "" {
		bad["mutationId"] = msg
	}
	if msg := checkCollection(m.Collection); msg != "" {
		bad["collection"] = msg
	}
	if msg := checkID(m.ID); msg != "" {
		bad["id"] = msg
	}
	switch m.Op {
	case OpUpsert:
		if err := ValidateFields(m.Fields); err != nil {
			for k, v := range domain.ErrorFields(err) {
				bad["fields."+k] = v
			}
		}
	case OpDelete:
	default:
		bad["op"] = `must be "upsert" or "delete"`
	}
	if m.BaseVersion < 0 {
		bad["baseVersion"] = "must be 0 or more"
	}
	if len(bad) > 0 {
		return domain.Invalid("invalid mutation", bad)
	}
	return nil
}

func checkID(id string) string {
	if id == "" {
		return "required"
	}
	if len(id) > MaxIDLen {
		return "too long"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "may hold only letters, digits, '-' and '_'"
		}
	}
	return ""
}

func checkCollection(name string) string {
	if name == "" {
		return "required"
	}
	if len(name) > MaxCollectionLen {
		return "too long"
	}
	if name[0] < 'a' || name[0] > 'z' {
		return "must start with a lower-case letter"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "may hold only lower-case letters, digits and '_'"
		}
	}
	return ""
}

// State is what the server holds for one record; a nil *State means no such record yet.
//
// Version is the record's version: 0 is never stored, a record's first write is version 1 and
// every write that changes something adds exactly 1. Fields holds the current field values (a
// missing field reads as null). FieldVersions maps a field name to the Version at which its value
// last changed; it is what makes the three-way decision possible without keeping history. A
// field missing from FieldVersions counts as version 0 (it never had a value), unless it has a
// value in Fields (legacy or imported data): then it counts as Version, the conservative
// choice. Deleted marks a tombstone; the fields are kept in it so that a concurrent update can
// restore the record (see Merge). DeletedVersion is the Version that wrote the tombstone (0 when
// not deleted).
type State struct {
	Version        int64
	Fields         map[string]any
	FieldVersions  map[string]int64
	FieldWriters   map[string]string // the Writer of each field's latest change (see Mutation.Writer)
	Deleted        bool
	DeletedVersion int64
}

// Clone returns a copy of s whose maps are new; field values are shared, as Merge treats them as
// immutable. Clone of nil is nil.
func (s *State) Clone() *State {
	if s == nil {
		return nil
	}
	c := *s
	c.Fields = maps.Clone(s.Fields)
	if c.Fields == nil {
		c.Fields = map[string]any{}
	}
	c.FieldVersions = maps.Clone(s.FieldVersions)
	if c.FieldVersions == nil {
		c.FieldVersions = map[string]int64{}
	}
	c.FieldWriters = maps.Clone(s.FieldWriters)
	if c.FieldWriters == nil {
		c.FieldWriters = map[string]string{}
	}
	return &c
}

// fieldVersion is the version at which field f last changed (see State).
func (s *State) fieldVersion(f string) int64 {
	if v, ok := s.FieldVersions[f]; ok {
		return v
	}
	if _, ok := s.Fields[f]; ok {
		return s.Version
	}
	return 0
}

// Status is the outcome of one mutation, reported to the device per mutation.
type Status string

// The mutation outcomes.
const (
	// StatusApplied: written as sent (or already true: a no-op, then Decision.Next is nil).
	StatusApplied Status = "applied"
	// StatusMerged: the record had moved on since BaseVersion but none of the fields this
	// mutation changed did, so both sets of changes were kept.
	StatusMerged Status = "merged"
	// StatusConflict: some change of this mutation lost (a field also changed on the server
	// since BaseVersion, a locked record, or a delete against a concurrent update). The server's
	// value stands; Decision.Conflicts lists the losing values for the conflict log. The
	// mutation's other fields may still have been applied (Decision.Next, Decision.Changed).
	StatusConflict Status = "conflict"
	// StatusRejected: the mutation is invalid; nothing was written (Decision.Err says why).
	StatusRejected Status = "rejected"
)

// DeletedField is the pseudo-field that a losing delete is reported under in
// Decision.Conflicts: {Field: "deleted", ServerValue: false, ClientValue: true}. It is a
// reserved name (ReservedFields), so it never collides with a real field.
const DeletedField = "deleted"

// FieldConflict is one losing value: the server kept ServerValue (nil: the field is absent or
// null) and refused ClientValue. Values are as decoded from JSON or storage. Its wire form is
// {"field": "outcome", "serverValue": "draft", "clientValue": "completed"}.
type FieldConflict struct {
	Field       string `json:"field"`
	ServerValue any    `json:"serverValue"`
	ClientValue any    `json:"clientValue"`
}

// Decision is what one mutation does to one record; Merge returns it.
//
// Next is the whole state to write, or nil when nothing changes (a no-op, everything conflicted,
// or rejected); when set, Next.Version is the current version + 1 (1 for a new record). Changed
// lists, sorted, the fields whose value Next changes compared with the current state (a delete
// or a restore changes no field by itself). Conflicts lists, sorted by field, the losing values;
// the caller appends them to the record's conflict log with the mutation id and client time,
// even when Next is nil, so that no edit is ever silently dropped. Err is set only for
// StatusRejected: a *domain.Error with code invalid and per-field messages.
type Decision struct {
	Status    Status
	Next      *State
	Changed   []string
	Conflicts []FieldConflict
	Err       error
}
