package mongostore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/dump"
)

var (
	_ dump.Source = (*Exporter)(nil)
	_ dump.Source = (*Store)(nil)
	_ dump.Sink   = (*Store)(nil)
)

// Exporter is the dump.Source of a database read with plain queries: it needs no Store, so it
// reads any database this adapter wrote, a FerretDB one of the previous release included (the
// converter, cmd/fieldsync-convert). MongoDB gives no snapshot across collections: dump a
// database no server writes meanwhile.
type Exporter struct{ db *mongo.Database }

// NewExporter returns the exporter of db.
func NewExporter(db *mongo.Database) *Exporter { return &Exporter{db: db} }

// Export implements dump.Source (Exporter of the Store's database).
func (s *Store) Export(ctx context.Context, emit func(dump.Item) error) error {
	return NewExporter(s.DB()).Export(ctx, emit)
}

// Export implements dump.Source: each collection in _id order (records in seq order).
func (e *Exporter) Export(ctx context.Context, emit func(dump.Item) error) error {
	var seq seqDoc
	err := e.db.Collection(collSyncMeta).FindOne(ctx, bson.D{{Key: "_id", Value: seqDocID}}).Decode(&seq)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return Translate(err, "export the sequence")
	}
	if err := emit(dump.Item{Kind: dump.KindSequence, Sequence: &dump.Sequence{Allocated: seq.N, Purged: seq.Purged}}); err != nil {
		return err
	}
	steps := []func() error{
		func() error {
			return exportColl(ctx, e.db, collRecords, bson.D{{Key: "seq", Value: 1}, {Key: "_id", Value: 1}}, func(d recordDoc) dump.Item {
				return dump.Item{Kind: dump.KindRecord, Record: dump.FromRecord(d.toRecord())}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collMutations, nil, func(d receiptDoc) dump.Item {
				r := dump.FromReceipt(d.toReceipt())
				return dump.Item{Kind: dump.KindMutation, Mutation: &r}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collTeams, nil, func(d teamDoc) dump.Item {
				return dump.Item{Kind: dump.KindTeam, Team: &dump.Team{ID: d.ID, Name: d.Name, LeaderID: d.LeaderID, CreatedAt: d.CreatedAt.UTC()}}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collUsers, nil, func(d userDoc) dump.Item {
				return dump.Item{Kind: dump.KindUser, User: dump.FromUser(d.toDomain(), d.PasswordHash, d.CreatedAt, d.UpdatedAt)}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collDevices, nil, func(d activityDoc) dump.Item {
				return dump.Item{Kind: dump.KindDevice, Device: dump.FromDevice(d.Device.toDomain(), deref(d.LastPushAt), deref(d.LastPullAt))}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collRefreshTokens, nil, func(d refreshDoc) dump.Item {
				return dump.Item{Kind: dump.KindRefreshToken, RefreshToken: dump.FromRefreshToken(d.toDomain())}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collSettings, nil, func(d settingDoc) dump.Item {
				return dump.Item{Kind: dump.KindSetting, Setting: &dump.Setting{ID: d.ID, Value: d.Value, CreatedAt: d.CreatedAt.UTC()}}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collAuditLog, bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}, func(d auditDoc) dump.Item {
				return dump.Item{Kind: dump.KindAudit, Audit: dump.FromAudit(d.toDomain())}
			}, emit)
		},
		func() error { return e.exportPolicies(ctx, emit) },
		func() error {
			var cp checkpointDoc
			err := e.db.Collection(collComputeState).FindOne(ctx, bson.D{{Key: "_id", Value: checkpointDocID}}).Decode(&cp)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return Translate(err, "export the compute checkpoint")
			}
			return emit(dump.Item{Kind: dump.KindCheckpoint, Checkpoint: &dump.Checkpoint{Seq: cp.Seq, PolicyVersion: cp.PolicyVersion,
				R1Through: zeroUTC(cp.R1Through), Baseline: cp.Baseline}})
		},
		func() error {
			return exportColl(ctx, e.db, collClosedMonths, bson.D{{Key: "month", Value: 1}, {Key: "team", Value: 1}}, func(d closedMonthDoc) dump.Item {
				return dump.Item{Kind: dump.KindClosedMonth, ClosedMonth: dump.FromClosedMonth(d.toCompute())}
			}, emit)
		},
		func() error {
			return exportColl(ctx, e.db, collBlobs, nil, func(d blobDoc) dump.Item {
				return dump.Item{Kind: dump.KindBlob, Blob: dump.FromBlob(d.toBlob())}
			}, emit)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (e *Exporter) exportPolicies(ctx context.Context, emit func(dump.Item) error) error {
	var conv error
	err := exportColl(ctx, e.db, collPolicies, nil, func(d policyDoc) dump.Item {
		pol, err := d.toDomain()
		raw, merr := json.Marshal(pol)
		if conv == nil {
			conv = errors.Join(err, merr)
		}
		return dump.Item{Kind: dump.KindPolicy, Policy: &dump.Policy{Version: d.Version, EffectiveFrom: d.EffectiveFrom,
			Policy: raw, CreatedAt: d.CreatedAt.UTC(), CreatedBy: d.CreatedBy}}
	}, func(it dump.Item) error {
		if conv != nil {
			return conv
		}
		return emit(it)
	})
	return err
}

// exportColl emits item(doc) for every document of coll, in sort order (_id when nil).
func exportColl[T any](ctx context.Context, db *mongo.Database, coll string, sort bson.D, item func(T) dump.Item, emit func(dump.Item) error) error {
	if sort == nil {
		sort = bson.D{{Key: "_id", Value: 1}}
	}
	cur, err := db.Collection(coll).Find(ctx, bson.D{}, options.Find().SetSort(sort))
	if err != nil {
		return Translate(err, "export %s", coll)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d T
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("export %s: decode %v: %w", coll, cur.Current.Lookup("_id"), err)
		}
		if err := emit(item(d)); err != nil {
			return err
		}
	}
	return Translate(cur.Err(), "export %s", coll)
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return zeroUTC(*t)
}

// zeroUTC is t in UTC; the zero time (and BSON's zero date, the Unix epoch's year 1) stays zero.
func zeroUTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// dumpedColls are the collections Empty checks.
var dumpedColls = []string{collRecords, collMutations, collUsers, collTeams, collDevices, collRefreshTokens,
	collSettings, collAuditLog, collPolicies, collClosedMonths, collBlobs}

// Empty implements dump.Sink: no collection a dump fills holds a document, no checkpoint is
// stored and no sequence number was handed out.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	for _, c := range dumpedColls {
		err := s.DB().Collection(c).FindOne(ctx, bson.D{}).Err()
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return false, Translate(err, "check %s is empty", c)
		}
	}
	var seq seqDoc
	err := s.DB().Collection(collSyncMeta).FindOne(ctx, bson.D{{Key: "_id", Value: seqDocID}}).Decode(&seq)
	if err == nil && seq.N > 0 {
		return false, nil
	}
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return false, Translate(err, "check the sequence")
	}
	err = s.DB().Collection(collComputeState).FindOne(ctx, bson.D{{Key: "_id", Value: checkpointDocID}}).Err()
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return false, Translate(err, "check the compute checkpoint")
	}
	return true, nil
}

// Import implements dump.Sink. Records go through Records.UpdateMany (as a push writes them,
// with whatever else this adapter keeps beside a record), mutations through MutationLog.PutMany,
// the rest as documents of the adapter's own shapes.
func (s *Store) Import(ctx context.Context, items []dump.Item) error {
	if len(items) == 0 {
		return nil
	}
	kind := items[0].Kind
	switch kind {
	case dump.KindSequence:
		q := items[0].Sequence
		_, err := s.DB().Collection(collSyncMeta).ReplaceOne(ctx, bson.D{{Key: "_id", Value: seqDocID}},
			bson.D{{Key: "_id", Value: seqDocID}, {Key: "n", Value: q.Allocated}, {Key: "inflight", Value: bson.D{}},
				{Key: "purged", Value: q.Purged}}, options.Replace().SetUpsert(true))
		return Translate(err, "restore the sequence")
	case dump.KindRecord:
		return s.importRecords(ctx, items)
	case dump.KindMutation:
		rs := make([]sync.Receipt, len(items))
		for i, it := range items {
			rs[i] = it.Mutation.SyncReceipt()
		}
		return NewMutationLog(s).PutMany(ctx, rs)
	case dump.KindCheckpoint:
		cp := items[0].Checkpoint
		d := checkpointDoc{Seq: cp.Seq, PolicyVersion: cp.PolicyVersion, R1Through: cp.R1Through.UTC(), Baseline: cp.Baseline}
		_, err := s.DB().Collection(collComputeState).ReplaceOne(ctx, bson.D{{Key: "_id", Value: checkpointDocID}}, d,
			options.Replace().SetUpsert(true))
		return Translate(err, "restore the compute checkpoint")
	}
	coll, docs, err := importDocs(items)
	if err != nil {
		return err
	}
	if _, err := s.DB().Collection(coll).InsertMany(ctx, docs); err != nil {
		return Translate(err, "restore %d %s", len(docs), kind)
	}
	return nil
}

func (s *Store) importRecords(ctx context.Context, items []dump.Item) error {
	keys := make([]sync.RecordKey, len(items))
	next := make(map[sync.RecordKey]*sync.Record, len(items))
	for i, it := range items {
		r := it.Record.SyncRecord()
		keys[i] = sync.RecordKey{Collection: r.Collection, ID: r.ID}
		next[keys[i]] = r
	}
	return NewRecords(s).UpdateMany(ctx, keys, func(cur map[sync.RecordKey]*sync.Record) (map[sync.RecordKey]*sync.Record, error) {
		for k, r := range cur {
			if r != nil {
				return nil, fmt.Errorf("restore record %s/%s: already stored: %w", k.Collection, k.ID, domain.ErrConflict)
			}
		}
		return next, nil
	})
}

// importDocs returns the collection and documents of items, all of one kind stored as plain
// documents.
func importDocs(items []dump.Item) (string, []any, error) {
	docs := make([]any, len(items))
	var coll string
	for i, it := range items {
		var err error
		coll, docs[i], err = importDoc(it)
		if err != nil {
			return "", nil, err
		}
	}
	return coll, docs, nil
}

func importDoc(it dump.Item) (string, any, error) {
	switch it.Kind {
	case dump.KindTeam:
		t := it.Team
		return collTeams, teamDoc{ID: t.ID, Name: t.Name, LeaderID: t.LeaderID, CreatedAt: t.CreatedAt.UTC()}, nil
	case dump.KindUser:
		d := fromUser(it.User.DomainUser(), it.User.PasswordHash, it.User.CreatedAt)
		d.UpdatedAt = it.User.UpdatedAt.UTC()
		return collUsers, d, nil
	case dump.KindDevice:
		d := it.Device
		doc := activityDoc{Device: deviceDoc{ID: d.ID, UserID: d.UserID, TeamID: d.TeamID, ClientID: d.ClientID, Name: d.Name,
			Active: d.RevokedAt.IsZero(), CreatedAt: d.CreatedAt.UTC(), LastSeenAt: d.LastSeenAt.UTC(),
			RevokedBy: d.RevokedBy, RevokeReason: d.RevokeReason},
			LastPushAt: timePtr(d.LastPushAt), LastPullAt: timePtr(d.LastPullAt)}
		doc.Device.RevokedAt = timePtr(d.RevokedAt)
		return collDevices, doc, nil
	case dump.KindRefreshToken:
		t := it.RefreshToken
		return collRefreshTokens, refreshDoc{Hash: t.Hash, UserID: t.UserID, DeviceID: t.DeviceID, State: t.State,
			IssuedAt: t.IssuedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(), RotatedAt: timePtr(t.RotatedAt)}, nil
	case dump.KindSetting:
		st := it.Setting
		return collSettings, settingDoc{ID: st.ID, Value: st.Value, CreatedAt: st.CreatedAt.UTC()}, nil
	case dump.KindAudit:
		e := it.Audit
		return collAuditLog, auditDoc{ID: e.ID, At: e.At.UTC(), UserID: e.UserID, Username: e.Username, Role: e.Role,
			TeamID: e.TeamID, DeviceID: e.DeviceID, Address: e.Address, Action: e.Action, Collection: e.Collection,
			RecordID: e.RecordID, Detail: e.Detail}, nil
	case dump.KindPolicy:
		p := it.Policy
		var pol domain.Policy
		if err := json.Unmarshal(p.Policy, &pol); err != nil {
			return "", nil, fmt.Errorf("restore policy version %d: %w", p.Version, err)
		}
		pol.Version = p.Version
		d, err := fromPolicy(pol, p.CreatedBy, p.CreatedAt)
		d.EffectiveFrom = p.EffectiveFrom
		return collPolicies, d, err
	case dump.KindClosedMonth:
		return collClosedMonths, fromClosedMonth(it.ClosedMonth.ComputeClosedMonth()), nil
	case dump.KindBlob:
		return collBlobs, fromBlob(it.Blob.MetaBlob()), nil
	}
	return "", nil, fmt.Errorf("restore: kind %q is not stored by mongostore", it.Kind)
}

// timePtr is &t in UTC, nil for the zero time (an absent field).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
