package server

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/sync/accounts"
)

// sseEvent is one Server-Sent Event, or a comment line.
type sseEvent struct {
	id, event, data, comment string
}

// readEvents reads events from an SSE body into a channel until it ends.
func readEvents(body *bufio.Reader) <-chan sseEvent {
	out := make(chan sseEvent, 16)
	go func() {
		defer close(out)
		var ev sseEvent
		for {
			line, err := body.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				out <- sseEvent{comment: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out
}

func openStream(t *testing.T, addr, token, lastEventID string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v1/sync/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return readEvents(bufio.NewReader(resp.Body))
}

// nextEvent waits for the next event that is not a comment (heartbeats are counted).
func nextEvent(t *testing.T, events <-chan sseEvent, within time.Duration) (sseEvent, int) {
	t.Helper()
	beats := 0
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.comment == "heartbeat" {
				beats++
			}
			if ev.event != "" {
				return ev, beats
			}
		case <-deadline:
			return sseEvent{}, beats
		}
	}
}

func TestSyncStream(t *testing.T) {
	f := newFixture(t)
	srv := New(Config{Stream: StreamTiming{Poll: 20 * time.Millisecond, Heartbeat: 150 * time.Millisecond}}, f.srv.deps)
	_, addr := listen(t, srv)

	events := openStream(t, addr, f.token("techA"), "")
	if ev, beats := nextEvent(t, events, 400*time.Millisecond); ev.event != "" || beats == 0 {
		t.Fatalf("with nothing changed: event %+v, %d heartbeats", ev, beats)
	}
	// Another team's change is not announced; the caller's own team's is.
	f.call("techB", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("service_forms", uuid.NewString(), 0,
		map[string]any{"workDone": "b"})}})
	if ev, _ := nextEvent(t, events, 300*time.Millisecond); ev.event != "" {
		t.Fatalf("announced another team's change: %+v", ev)
	}
	f.call("leaderA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("work_orders", uuid.NewString(), 0,
		map[string]any{"customerName": "张三", "serviceType": "paid", "assignees": []any{f.users["techA"].ID}})}})
	ev, _ := nextEvent(t, events, 2*time.Second)
	if ev.event != "change" || ev.id == "" || !strings.Contains(ev.data, ev.id) {
		t.Fatalf("change event %+v", ev)
	}
	// The event's id is a cursor: pulling from it gives nothing new.
	status, _, body := f.call("techA", "GET", "/v1/sync/pull?cursor="+ev.id, nil)
	if status != 200 || len(body["changes"].([]any)) != 0 {
		t.Fatalf("pull from the event's cursor: %d %v", status, body)
	}

	// Reconnecting with Last-Event-ID announces only what came after it.
	resumed := openStream(t, addr, f.token("techA"), ev.id)
	if again, _ := nextEvent(t, resumed, 300*time.Millisecond); again.event != "" {
		t.Fatalf("resume repeated an old change: %+v", again)
	}
	f.call("techA", "POST", "/v1/sync/push", map[string]any{"mutations": []any{mutation("service_forms", uuid.NewString(), 0,
		map[string]any{"workDone": "a"})}})
	if next, _ := nextEvent(t, resumed, 2*time.Second); next.event != "change" || next.id == ev.id {
		t.Fatalf("after resume: %+v", next)
	}
	// A stream from a bad cursor is refused before it starts.
	status, _, body = f.call("techA", "GET", "/v1/sync/stream?cursor=garbage", nil)
	if status != 400 {
		t.Fatalf("bad cursor: %d %v", status, body)
	}
}

// TestStreamEndsWhenTheDeviceIsRevoked: an open stream checks its token again and ends once the
// device is revoked (a lost phone stops hearing about changes too).
func TestStreamEndsWhenTheDeviceIsRevoked(t *testing.T) {
	f := newFixture(t)
	srv := New(Config{Stream: StreamTiming{Poll: 20 * time.Millisecond, Heartbeat: time.Second}}, f.srv.deps)
	_, addr := listen(t, srv)
	session := f.login("techA")
	events := openStream(t, addr, session.AccessToken, "")
	if _, err := f.svc.RevokeDevice(context.Background(), accounts.CommandLine, "", session.DeviceID); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(reauthEvery + 5*time.Second)
	for {
		select {
		case _, open := <-events:
			if !open {
				return
			}
		case <-deadline:
			t.Fatal("the stream of a revoked device is still open")
		}
	}
}
