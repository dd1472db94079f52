package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
)

// collAuditLog is the append-only audit log: entries are inserted, never updated or deleted by
// fieldsync (retention is an operator's decision).
const collAuditLog = "audit_log"

// AuditLog implements accounts.AuditLog, and is what the sync engine records writes with.
type AuditLog struct {
	store *Store
	now   func() time.Time
}

// NewAuditLog returns the audit log of s.
func NewAuditLog(s *Store) *AuditLog { return &AuditLog{store: s, now: time.Now} }

// auditDoc is the storage shape of a domain.AuditEntry. _id is a UUIDv7. Entries are ordered by
// (at, _id), newest first; "before" names the last entry of the previous page.
type auditDoc struct {
	ID         string    `bson:"_id"`
	At         time.Time `bson:"at"`
	UserID     string    `bson:"userId,omitempty"`
	Username   string    `bson:"username,omitempty"`
	Role       string    `bson:"role,omitempty"`
	TeamID     string    `bson:"team,omitempty"`
	DeviceID   string    `bson:"deviceId,omitempty"`
	Address    string    `bson:"address,omitempty"`
	Action     string    `bson:"action"`
	Collection string    `bson:"collection,omitempty"`
	RecordID   string    `bson:"recordId,omitempty"`
	Detail     string    `bson:"detail,omitempty"`
}

func (d auditDoc) toDomain() domain.AuditEntry {
	return domain.AuditEntry{ID: d.ID, At: d.At, UserID: d.UserID, Username: d.Username, Role: domain.Role(d.Role),
		TeamID: d.TeamID, DeviceID: d.DeviceID, Address: d.Address, Action: domain.AuditAction(d.Action),
		Collection: d.Collection, RecordID: d.RecordID, Detail: d.Detail}
}

// Record appends entries in one write. An entry without ID gets a new UUIDv7, one without At the
// current time; Username and Detail are cut to their limits (domain.MaxAuditUsernameLen,
// domain.MaxAuditDetailLen).
func (l *AuditLog) Record(ctx context.Context, entries ...domain.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	docs := make([]any, len(entries))
	for i, e := range entries {
		e, err := e.ForStorage(l.now)
		if err != nil {
			return err
		}
		docs[i] = auditDoc{ID: e.ID, At: e.At.UTC(), UserID: e.UserID, Username: e.Username,
			Role: string(e.Role), TeamID: e.TeamID, DeviceID: e.DeviceID, Address: e.Address, Action: string(e.Action),
			Collection: e.Collection, RecordID: e.RecordID, Detail: e.Detail}
	}
	if _, err := l.store.DB().Collection(collAuditLog).InsertMany(ctx, docs); err != nil {
		return Translate(err, "append %d audit entries", len(docs))
	}
	return nil
}

// List returns the entries q selects, newest first (by at, then _id), at most q.Limit
// (domain.DefaultAuditLimit when 0, never above domain.MaxAuditLimit). With q.Before, only
// entries after that entry in this order are returned; an unknown Before is domain.ErrNotFound.
func (l *AuditLog) List(ctx context.Context, q domain.AuditQuery) ([]domain.AuditEntry, error) {
	c := l.store.DB().Collection(collAuditLog)
	filter := bson.D{}
	for _, f := range []struct{ key, value string }{
		{"team", q.TeamID}, {"collection", q.Collection}, {"recordId", q.RecordID},
	} {
		if f.value != "" {
			filter = append(filter, bson.E{Key: f.key, Value: f.value})
		}
	}
	if q.Before != "" {
		var last auditDoc
		if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: q.Before}}).Decode(&last); err != nil {
			return nil, Translate(err, "find audit entry %s", q.Before)
		}
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: last.At}}}},
			bson.D{{Key: "at", Value: last.At}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: last.ID}}}},
		}})
	}
	limit := q.PageLimit()
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit))
	var docs []auditDoc
	if err := accountsFindAll(ctx, c, filter, opts, &docs); err != nil {
		return nil, Translate(err, "list audit entries")
	}
	out := make([]domain.AuditEntry, len(docs))
	for i, d := range docs {
		out[i] = d.toDomain()
	}
	return out, nil
}
