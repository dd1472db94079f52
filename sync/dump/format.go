// Package dump is fieldsync's portable, versioned dump format: everything a store holds, written
// as JSON Lines by Write and loaded into an empty store of either kind (embedded SQLite or
// MongoDB) by Restore, so that a team moves between stores without losing a change and phones
// keep their pull cursors (sequence numbers are preserved exactly).
//
// A dump is a header line, one line per item, and a trailer line with the counts:
//
//	{"kind":"header","header":{"format":"fieldsync-dump","version":1,"createdAt":"...","photos":false}}
//	{"kind":"sequence","sequence":{"allocated":42,"purged":0}}
//	{"kind":"record","record":{"collection":"service_form","id":"...","seq":17,...}}
//	...
//	{"kind":"trailer","trailer":{"counts":{"record":12,"sequence":1,...}}}
//
// Each item line has a kind and one object of that kind (Item). What is not in a dump: rate-limit
// counters, upload locks, the compute lease, the developer clock and in-flight sequence
// reservations, all short-lived and rebuilt by a running server.
package dump

import (
	"bytes"
	"encoding/json"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

// Format is the header's format name; Version the only format version this package writes and
// reads.
const (
	Format  = "fieldsync-dump"
	Version = 1
)

// Kind names what one dump line holds.
type Kind string

// The kinds of a dump's lines, in the order Write puts them (header first, trailer last).
const (
	KindHeader       Kind = "header"
	KindSequence     Kind = "sequence"      // the sequence counter (one)
	KindRecord       Kind = "record"        // a synced record, tombstones included
	KindMutation     Kind = "mutation"      // a mutation-log entry (idempotency key → receipt)
	KindTeam         Kind = "team"          // a team
	KindUser         Kind = "user"          // a user with its password hash
	KindDevice       Kind = "device"        // a signed-in device (session)
	KindRefreshToken Kind = "refresh_token" // a refresh token's hash and state
	KindSetting      Kind = "setting"       // a server setting (the access-token signing key)
	KindAudit        Kind = "audit"         // an audit-log entry
	KindPolicy       Kind = "policy"        // a policy version
	KindCheckpoint   Kind = "checkpoint"    // the rules engine's checkpoint (one at most)
	KindClosedMonth  Kind = "closed_month"  // a team's closed month with its frozen scores
	KindBlob         Kind = "blob"          // a photo's metadata
	KindObject       Kind = "object"        // a chunk of an object's bytes (only with Options.Objects)
	KindTrailer      Kind = "trailer"
)

// Item is one line of a dump: Kind and the one field of that kind.
type Item struct {
	Kind         Kind          `json:"kind"`
	Header       *Header       `json:"header,omitempty"`
	Sequence     *Sequence     `json:"sequence,omitempty"`
	Record       *Record       `json:"record,omitempty"`
	Mutation     *Receipt      `json:"mutation,omitempty"`
	Team         *Team         `json:"team,omitempty"`
	User         *User         `json:"user,omitempty"`
	Device       *Device       `json:"device,omitempty"`
	RefreshToken *RefreshToken `json:"refreshToken,omitempty"`
	Setting      *Setting      `json:"setting,omitempty"`
	Audit        *AuditEntry   `json:"audit,omitempty"`
	Policy       *Policy       `json:"policy,omitempty"`
	Checkpoint   *Checkpoint   `json:"checkpoint,omitempty"`
	ClosedMonth  *ClosedMonth  `json:"closedMonth,omitempty"`
	Blob         *Blob         `json:"blob,omitempty"`
	Object       *ObjectChunk  `json:"object,omitempty"`
	Trailer      *Trailer      `json:"trailer,omitempty"`
}

// Header is the first line: the format, its version, when the dump was written and whether it
// carries the photo bytes.
type Header struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	Photos    bool      `json:"photos"`
}

// Trailer is the last line: how many items of each kind the dump holds (header and trailer not
// counted). Restore checks them, so a truncated dump is refused.
type Trailer struct {
	Counts Counts `json:"counts"`
}

// Counts is a number of items by kind.
type Counts map[Kind]int64

// Sequence is the global commit sequence: Allocated is the highest number handed out, Purged the
// tombstone purge point (sync.Horizon).
type Sequence struct {
	Allocated int64 `json:"allocated"`
	Purged    int64 `json:"purged"`
}

// Record is a sync.Record with everything the store keeps: its state, field versions and
// writers, audience, revoked tokens, photo references, sequence number, conflict log and
// receipts.
type Record struct {
	Collection     string                `json:"collection"`
	ID             string                `json:"id"`
	Owner          string                `json:"owner"`
	Team           string                `json:"team"`
	Audience       []string              `json:"audience"`
	Revoked        []string              `json:"revoked,omitempty"`
	Photos         []string              `json:"photos,omitempty"`
	Seq            int64                 `json:"seq"`
	Version        int64                 `json:"version"`
	Fields         map[string]any        `json:"fields"`
	FieldVersions  map[string]int64      `json:"fieldVersions"`
	FieldWriters   map[string]string     `json:"fieldWriters,omitempty"`
	Deleted        bool                  `json:"deleted,omitempty"`
	DeletedVersion int64                 `json:"deletedVersion,omitempty"`
	CreatedAt      time.Time             `json:"createdAt"`
	UpdatedAt      time.Time             `json:"updatedAt"`
	Conflicts      []fsync.ConflictEntry `json:"conflicts,omitempty"`
	Receipts       []Receipt             `json:"receipts,omitempty"`
}

// FromRecord returns the dump form of r.
func FromRecord(r *fsync.Record) *Record {
	d := &Record{Collection: r.Collection, ID: r.ID, Owner: r.Owner, Team: r.Team, Audience: r.Audience,
		Revoked: r.Revoked, Photos: r.Photos, Seq: r.Seq, Version: r.Version, Fields: r.Fields,
		FieldVersions: r.FieldVersions, FieldWriters: r.FieldWriters, Deleted: r.Deleted,
		DeletedVersion: r.DeletedVersion, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if d.Audience == nil {
		d.Audience = []string{}
	}
	for _, c := range r.Conflicts {
		c.At, c.ClientTime = utc(c.At), utc(c.ClientTime) // a dump's times are UTC, as MongoDB keeps them
		d.Conflicts = append(d.Conflicts, c)
	}
	for _, rc := range r.Receipts {
		d.Receipts = append(d.Receipts, FromReceipt(rc))
	}
	return d
}

// SyncRecord returns the sync.Record of d, its numbers normalized (integers int64, others
// float64) as the stores keep them.
func (d *Record) SyncRecord() *fsync.Record {
	r := &fsync.Record{Collection: d.Collection, ID: d.ID, Owner: d.Owner, Team: d.Team, Audience: d.Audience,
		Revoked: d.Revoked, Photos: d.Photos, Seq: d.Seq, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		State: fsync.State{Version: d.Version, Fields: fsync.NormalizeNumbersMap(d.Fields), FieldVersions: d.FieldVersions,
			FieldWriters: d.FieldWriters, Deleted: d.Deleted, DeletedVersion: d.DeletedVersion}}
	if r.FieldVersions == nil {
		r.FieldVersions = map[string]int64{}
	}
	for _, c := range d.Conflicts {
		c.ServerValue, c.ClientValue = fsync.NormalizeNumbers(c.ServerValue), fsync.NormalizeNumbers(c.ClientValue)
		r.Conflicts = append(r.Conflicts, c)
	}
	for _, rc := range d.Receipts {
		r.Receipts = append(r.Receipts, rc.SyncReceipt())
	}
	return r
}

// Receipt is a sync.Receipt: a mutation's idempotency key, content hash, result and who pushed
// it when.
type Receipt struct {
	Key         string       `json:"key"`
	ContentHash string       `json:"contentHash"`
	Result      fsync.Result `json:"result"`
	At          time.Time    `json:"at"`
	UserID      string       `json:"userId,omitempty"`
	DeviceID    string       `json:"deviceId,omitempty"`
}

// FromReceipt returns the dump form of r (its Result.Record, never stored, left out).
func FromReceipt(r fsync.Receipt) Receipt {
	r.Result.Record = nil
	return Receipt{Key: r.Key, ContentHash: r.ContentHash, Result: r.Result, At: r.At.UTC(), UserID: r.UserID, DeviceID: r.DeviceID}
}

// SyncReceipt returns the sync.Receipt of d, numbers normalized.
func (d Receipt) SyncReceipt() fsync.Receipt {
	res := d.Result
	if res.Conflicts != nil {
		cs := make([]fsync.FieldConflict, len(res.Conflicts))
		for i, c := range res.Conflicts {
			cs[i] = fsync.FieldConflict{Field: c.Field, ServerValue: fsync.NormalizeNumbers(c.ServerValue),
				ClientValue: fsync.NormalizeNumbers(c.ClientValue)}
		}
		res.Conflicts = cs
	}
	return fsync.Receipt{Key: d.Key, ContentHash: d.ContentHash, Result: res, At: d.At, UserID: d.UserID, DeviceID: d.DeviceID}
}

// Setting is one server setting: its id, raw value (base64 in JSON) and creation time.
type Setting struct {
	ID        string    `json:"id"`
	Value     []byte    `json:"value"`
	CreatedAt time.Time `json:"createdAt"`
}

// Policy is one policy version as stored: Policy is the domain.Policy's JSON form.
type Policy struct {
	Version       int             `json:"version"`
	EffectiveFrom string          `json:"effectiveFrom"`
	Policy        json.RawMessage `json:"policy"`
	CreatedAt     time.Time       `json:"createdAt"`
	CreatedBy     string          `json:"createdBy"`
}

// ObjectChunk is part of an object's bytes: Data (base64 in JSON) starts at Offset of the Size
// bytes under Key. An object is written as consecutive chunks of at most ChunkSize bytes, the
// first with Offset 0; an empty object is one chunk without data.
type ObjectChunk struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ContentType string `json:"contentType,omitempty"`
	Offset      int64  `json:"offset"`
	Data        []byte `json:"data"`
}

// ChunkSize is the most bytes of an object one dump line carries (before base64).
const ChunkSize = 1 << 20

// decodeItem decodes one line, numbers as json.Number (normalized by SyncRecord and
// SyncReceipt). Unknown fields are ignored: a later writer of version 1 may add some.
func decodeItem(line []byte) (Item, error) {
	var it Item
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	err := d.Decode(&it)
	return it, err
}
