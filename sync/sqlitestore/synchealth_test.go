package sqlitestore

import (
	"context"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// TestSyncActivityDevices: Touch moves a device's push or pull time only forward, ignores an
// unknown device, refuses an unknown kind; TeamDevices lists the team's devices, revoked included.
func TestSyncActivityDevices(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a := NewAccounts(s)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := t0
	act := NewSyncActivity(s, func() time.Time { return now })
	for _, d := range []domain.Device{
		{ID: "d1", UserID: "u1", TeamID: "team-a", ClientID: "c1", Name: "phone", CreatedAt: t0, LastSeenAt: t0},
		{ID: "d2", UserID: "u2", TeamID: "team-a", ClientID: "c2", Name: "tablet", CreatedAt: t0, LastSeenAt: t0},
		{ID: "d3", UserID: "u3", TeamID: "team-b", ClientID: "c3", Name: "other", CreatedAt: t0, LastSeenAt: t0},
	} {
		if _, err := a.OpenDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.RevokeDevice(ctx, "d2", "admin", "lost", t0); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(time.Hour)
	if err := act.Touch(ctx, "d1", compute.ActivityPush); err != nil {
		t.Fatal(err)
	}
	if err := act.Touch(ctx, "d1", compute.ActivityPull); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(time.Minute) // an earlier clock never moves the time back
	if err := act.Touch(ctx, "d1", compute.ActivityPush); err != nil {
		t.Fatal(err)
	}
	if err := act.Touch(ctx, "nope", compute.ActivityPush); err != nil {
		t.Fatalf("Touch of an unknown device: %v", err)
	}
	if err := act.Touch(ctx, "d1", "sideways"); err == nil {
		t.Fatal("Touch of an unknown kind: no error")
	}
	got, err := act.TeamDevices(ctx, "team-a")
	if err != nil || len(got) != 2 {
		t.Fatalf("TeamDevices = %+v, %v", got, err)
	}
	if got[0].Device.ID != "d1" || !got[0].LastPushAt.Equal(t0.Add(time.Hour)) || !got[0].LastPullAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("d1 = %+v", got[0])
	}
	if got[1].Device.ID != "d2" || !got[1].LastPushAt.IsZero() || !got[1].LastPullAt.IsZero() || got[1].Device.RevokedAt.IsZero() {
		t.Errorf("d2 = %+v", got[1])
	}
	if none, err := act.TeamDevices(ctx, "team-z"); err != nil || len(none) != 0 {
		t.Errorf("TeamDevices(team-z) = %+v, %v", none, err)
	}
}

// TestSyncActivityRejected: only rejected receipts at or after since that name their user count,
// per user and device.
func TestSyncActivityRejected(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	since := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	receipt := func(key string, st fsync.Status, at time.Time, user, device string) fsync.Receipt {
		return fsync.Receipt{Key: key, Result: fsync.Result{MutationID: key, Status: st}, At: at, UserID: user, DeviceID: device}
	}
	err := NewMutationLog(s).PutMany(ctx, []fsync.Receipt{
		receipt("k1", fsync.StatusRejected, since, "u1", "d1"),
		receipt("k2", fsync.StatusRejected, since.Add(time.Hour), "u1", "d1"),
		receipt("k3", fsync.StatusRejected, since.Add(time.Hour), "u1", "d2"),
		receipt("k4", fsync.StatusRejected, since.Add(-time.Nanosecond), "u1", "d1"),
		receipt("k5", fsync.StatusApplied, since.Add(time.Hour), "u1", "d1"),
		receipt("k6", fsync.StatusRejected, since.Add(time.Hour), "", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewSyncActivity(s, nil).RejectedSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	want := map[compute.UserDevice]int{{UserID: "u1", DeviceID: "d1"}: 2, {UserID: "u1", DeviceID: "d2"}: 1}
	if len(got) != len(want) || got[compute.UserDevice{UserID: "u1", DeviceID: "d1"}] != 2 ||
		got[compute.UserDevice{UserID: "u1", DeviceID: "d2"}] != 1 {
		t.Fatalf("RejectedSince = %v; want %v", got, want)
	}
}
