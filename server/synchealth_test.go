package server

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/sync/accounts"
)

// devicesOf returns the devices of a sync health answer by server device id.
func devicesOf(t *testing.T, body map[string]any) map[string]map[string]any {
	t.Helper()
	list, ok := body["devices"].([]any)
	if !ok {
		t.Fatalf("no devices in %v", body)
	}
	out := map[string]map[string]any{}
	for _, d := range list {
		dm := d.(map[string]any)
		out[dm["id"].(string)] = dm
	}
	return out
}

func TestSyncHealth(t *testing.T) {
	f := newLeaderFixture(t, true)
	ctx := context.Background()
	phone := f.sessions["li"]
	spare, err := f.svc.Login(ctx, accounts.LoginInput{Username: "li.ming", Password: fxPassword, DeviceID: uuid.NewString(),
		DeviceName: "Spare phone"})
	if err != nil {
		t.Fatal(err)
	}
	pushedAt := f.clk.Now()

	// The phone pushes a receipt whose photo has not arrived, and an incident it may not write.
	rejected := mutation("incidents", uuid.NewString(), 0, map[string]any{"technicianId": f.li.ID, "type": "unreachable", "date": "2026-10-30"})
	trip := uuid.NewString()
	status, _, body := f.call("li", "POST", "/v1/sync/push", map[string]any{"mutations": []any{
		mutation("trip_logs", trip, 0, map[string]any{"purpose": "维修", "origin": "郑州", "destinationCity": "郑州市",
			"startAt": "2026-10-30T09:00:00+08:00", "endAt": "2026-10-30T12:00:00+08:00", "people": []any{f.li.ID},
			"transportMode": "bus", "submitted": true}),
		mutation("receipts", uuid.NewString(), 0, map[string]any{"photo": photoHash("bus"), "amountFen": 200,
			"date": "2026-10-30", "category": "ticket", "tripLogId": trip}),
		rejected}})
	if res := resultsOf(t, body); status != 200 || res[0]["status"] != "applied" || res[2]["status"] != "rejected" {
		t.Fatalf("push: %d %v", status, body)
	}
	// A resend of the rejected mutation is the same mutation: counted once.
	f.clk.Set(pushedAt.Add(10 * time.Second))
	if status, _, body := f.call("li", "POST", "/v1/sync/push", map[string]any{"mutations": []any{rejected}}); status != 200 ||
		resultsOf(t, body)[0]["status"] != "rejected" {
		t.Fatalf("resend: %d %v", status, body)
	}
	if status, _, _ := f.call("li", "GET", "/v1/sync/pull", nil); status != 200 {
		t.Fatalf("pull: %d", status)
	}
	pulledAt := f.clk.Now()
	if _, err := f.svc.Login(ctx, accounts.LoginInput{Username: fixtureUsername("leaderA"), Password: fxPassword,
		DeviceID: ConsoleDevicePrefix + uuid.NewString(), DeviceName: "Web console"}); err != nil {
		t.Fatal(err)
	}
	consoleFound := false

	t.Run("the leader sees the team's devices", func(t *testing.T) {
		status, _, body := f.call("leaderA", "GET", "/v1/sync/health", nil)
		if status != 200 || body["team"] != f.teamA.ID || body["generatedAt"] != pulledAt.UTC().Format(time.RFC3339) {
			t.Fatalf("%d %v", status, body)
		}
		devices := devicesOf(t, body)
		d := devices[phone.DeviceID]
		if d == nil {
			t.Fatalf("no phone in %v", body)
		}
		// The resend 10 s later is within the 30 s throttle: the first push's time stays.
		want := map[string]any{"userId": f.li.ID, "username": "li.ming", "displayName": "李师傅", "deviceName": "Redmi Note",
			"active": true, "lastPushAt": pushedAt.UTC().Format(time.RFC3339), "lastPullAt": pulledAt.UTC().Format(time.RFC3339),
			"pendingPhotos": float64(1), "rejected7d": float64(1)}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("phone %s = %v, want %v", k, d[k], v)
			}
		}
		s := devices[spare.DeviceID]
		if s == nil || s["lastPushAt"] != nil || s["lastPullAt"] != nil || s["rejected7d"] != float64(0) || s["pendingPhotos"] != float64(1) {
			t.Errorf("spare phone %v", s)
		}
		if r := devices[f.sessions["revoked"].DeviceID]; r == nil || r["active"] != false {
			t.Errorf("a device revoked today: %v", r)
		}
		if devices[f.sessions["techB"].DeviceID] != nil {
			t.Errorf("another team's device is listed")
		}
		for _, d := range devices {
			if id, _ := d["deviceId"].(string); len(id) > 8 && id[:8] == ConsoleDevicePrefix {
				consoleFound = d["deviceName"] == "Web console"
			}
		}
		if !consoleFound {
			t.Errorf("the console device is not listed: %v", devices)
		}
		list := body["devices"].([]any)
		for i := 1; i < len(list); i++ {
			a, b := list[i-1].(map[string]any), list[i].(map[string]any)
			if a["displayName"].(string) > b["displayName"].(string) ||
				(a["displayName"] == b["displayName"] && a["deviceName"].(string) > b["deviceName"].(string)) {
				t.Errorf("not sorted: %v before %v", a, b)
			}
		}
	})

	cases := []struct {
		name, who, path string
		status          int
		code            string
	}{
		{"leader, own team named", "leaderA", "/v1/sync/health?team=" + f.teamA.ID, 200, ""},
		{"leader, another team", "leaderB", "/v1/sync/health?team=" + f.teamA.ID, 404, "not_found"},
		{"technician", "techA", "/v1/sync/health", 403, "forbidden"},
		{"hr", "hr", "/v1/sync/health?team=" + f.teamA.ID, 403, "forbidden"},
		{"admin must name the team", "admin", "/v1/sync/health", 400, "invalid"},
		{"admin", "admin", "/v1/sync/health?team=" + f.teamB.ID, 200, ""},
		{"admin, unknown team", "admin", "/v1/sync/health?team=" + uuid.NewString(), 404, "not_found"},
		{"no token", "none", "/v1/sync/health", 401, "unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.call(tc.who, "GET", tc.path, nil)
			if status != tc.status || errorCode(body) != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %v", status, errorCode(body), tc.status, tc.code, body)
			}
		})
	}

	t.Run("rejections older than 7 days drop out", func(t *testing.T) {
		f.clk.Set(pushedAt.Add(8 * 24 * time.Hour))
		_, _, body := f.call("leaderA", "GET", "/v1/sync/health", nil)
		devices := devicesOf(t, body)
		if d := devices[phone.DeviceID]; d == nil || d["rejected7d"] != float64(0) || d["lastPushAt"] != pushedAt.UTC().Format(time.RFC3339) {
			t.Errorf("phone a week later: %v", d)
		}
	})
}
