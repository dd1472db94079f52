package sync

import (
	"time"
)

// Record is one synced record as the engine stores it: the mergeable State plus what the server
// stamps on it. Collection+ID is its identity; the ID is client-generated (a UUID created
// offline).
//
// Owner is the user id of the author, Team the team id; both are stamped by the server from the
// caller, never taken from the client. Audience lists the visibility tokens of everybody who may
// read the record (see Principal.Tokens): pulls select records by it. Revoked lists the tokens
// that could read the record before and no longer can (a work order taken away from a
// technician): their pull delivers a "revoked" change so that the phone drops it. Seq is the
// global commit sequence number of the record's latest write: pulls deliver records in Seq
// order. Conflicts is the conflict log: every losing value, kept for the leader and the author.
// Receipts holds the results of the most recent mutations applied to the record, written in the
// same single-document write as the change itself, so that a resend after a crash finds what was
// already applied (exactly-once without transactions).
type Record struct {
	Collection string
	ID         string
	Owner      string
	Team       string
	Audience   []string
	Revoked    []string
	Photos     []string // SHA-256 hex of every photo the record refers to (domain.PhotoHashes)
	State
	Seq       int64
	CreatedAt time.Time
	UpdatedAt time.Time
	Conflicts []ConflictEntry
	Receipts  []Receipt
}

// ConflictEntry is one losing value in a record's conflict log: which mutation of which user's
// device tried to set Field to ClientValue while the server kept ServerValue, at which versions
// and when (server time At; the device's ClientTime as data only).
type ConflictEntry struct {
	MutationID    string    `json:"mutationId"`
	UserID        string    `json:"userId"`
	DeviceID      string    `json:"deviceId"`
	Field         string    `json:"field"`
	ServerValue   any       `json:"serverValue"`
	ClientValue   any       `json:"clientValue"`
	BaseVersion   int64     `json:"baseVersion"`
	ServerVersion int64     `json:"serverVersion"`
	At            time.Time `json:"at"`
	ClientTime    time.Time `json:"clientTime,omitzero"`
}

// MaxConflictLog is how many conflict entries a record keeps (the oldest are dropped first; the
// audit log keeps them all).
const MaxConflictLog = 200

// MaxReceipts is how many mutation receipts a record keeps. A resend of a mutation older than the
// last MaxReceipts writes of the same record is still answered from the mutation log.
const MaxReceipts = 64

// Receipt is the stored outcome of one mutation: Key is its idempotency key (IdempotencyKey),
// ContentHash the hash of what it carried (MutationHash), Result what the device was told.
// UserID and DeviceID (the server's device id) say who pushed it: set on mutation-log entries
// (for sync health), empty on a record's own receipts and on log entries written before.
type Receipt struct {
	Key         string
	ContentHash string
	Result      Result
	At          time.Time
	UserID      string
	DeviceID    string
}

// Result is the outcome of one pushed mutation, as the device receives it:
// {"mutationId","status","version","record","conflicts","error"}. Version is the record's
// version after the mutation (0 when rejected). Record is filled in by the push layer when the
// device needs the server's state (merged, conflict), never stored.
type Result struct {
	MutationID string          `json:"mutationId"`
	Status     Status          `json:"status"`
	Version    int64           `json:"version,omitempty"`
	Record     map[string]any  `json:"record,omitempty"`
	Conflicts  []FieldConflict `json:"conflicts,omitempty"`
	Error      *ResultError    `json:"error,omitempty"`
}

// ResultError is why a mutation was rejected: a stable code and per-field messages.
type ResultError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}
