package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// SyncActivity records when each device last pushed and pulled, on the device's own document
// in "devices" (fields lastPushAt and lastPullAt, which the accounts code ignores), and reads
// what sync health needs (compute.SyncActivity).
type SyncActivity struct {
	store *Store
	now   func() time.Time
}

// NewSyncActivity returns the sync activity of s on the clock now (time.Now when nil).
func NewSyncActivity(s *Store, now func() time.Time) *SyncActivity {
	if now == nil {
		now = time.Now
	}
	return &SyncActivity{store: s, now: now}
}

// Touch records that device id (domain.Device.ID) just completed a push or a pull (kind
// compute.ActivityPush or compute.ActivityPull): one update by _id that only moves the time forward ($max).
// An unknown device is no error. Errors: an unknown kind; unavailable.
func (a *SyncActivity) Touch(ctx context.Context, id, kind string) error {
	field, err := compute.ActivityName(id, kind, "lastPushAt", "lastPullAt")
	if err != nil {
		return err
	}
	_, err = a.store.DB().Collection(collDevices).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$max", Value: bson.D{{Key: field, Value: a.now().UTC()}}}})
	if err != nil {
		return Translate(err, "record the %s of device %s", kind, id)
	}
	return nil
}

// activityDoc is a device document with its sync activity.
type activityDoc struct {
	Device     deviceDoc  `bson:",inline"`
	LastPushAt *time.Time `bson:"lastPushAt,omitempty"`
	LastPullAt *time.Time `bson:"lastPullAt,omitempty"`
}

// TeamDevices implements compute.SyncActivity: every device whose teamId is team (a scan of
// "devices" on the embedded store: a few per user).
func (a *SyncActivity) TeamDevices(ctx context.Context, team string) ([]compute.DeviceActivity, error) {
	var docs []activityDoc
	err := accountsFindAll(ctx, a.store.DB().Collection(collDevices), bson.D{{Key: "teamId", Value: team}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &docs)
	if err != nil {
		return nil, Translate(err, "list the devices of team %s", team)
	}
	out := make([]compute.DeviceActivity, len(docs))
	for i, d := range docs {
		out[i] = compute.DeviceActivity{Device: d.Device.toDomain()}
		if d.LastPushAt != nil {
			out[i].LastPushAt = *d.LastPushAt
		}
		if d.LastPullAt != nil {
			out[i].LastPullAt = *d.LastPullAt
		}
	}
	return out, nil
}

// RejectedSince implements compute.SyncActivity: the rejected entries of the mutation log at or
// after since that name their user and device. On the embedded store this scans the log (its
// filter is not pushed down); on MongoDB too, as "mutations" has no index on status.
func (a *SyncActivity) RejectedSince(ctx context.Context, since time.Time) (map[compute.UserDevice]int, error) {
	filter := bson.D{{Key: "s", Value: string(sync.StatusRejected)}, {Key: "at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}}
	cur, err := a.store.DB().Collection(collMutations).Find(ctx, filter,
		options.Find().SetProjection(bson.D{{Key: "u", Value: 1}, {Key: "d", Value: 1}}))
	if err != nil {
		return nil, Translate(err, "count rejected mutations")
	}
	defer cur.Close(ctx)
	out := map[compute.UserDevice]int{}
	for cur.Next(ctx) {
		var d struct {
			UserID   string `bson:"u"`
			DeviceID string `bson:"d"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, Translate(err, "count rejected mutations")
		}
		if d.UserID != "" {
			out[compute.UserDevice{UserID: d.UserID, DeviceID: d.DeviceID}]++
		}
	}
	if err := cur.Err(); err != nil {
		return nil, Translate(err, "count rejected mutations")
	}
	return out, nil
}

// Compile-time check that SyncActivity is what sync health needs.
var _ compute.SyncActivity = (*SyncActivity)(nil)
