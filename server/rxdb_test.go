package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

const rxPassword = "rxdb fixture password"

// rxFixture is a server with accounts and the real sync engine on a fresh embedded database:
// one team with a leader and a technician signed in on two phones (phoneA, phoneB).
type rxFixture struct {
	t      *testing.T
	srv    *Server
	logs   *syncBuffer
	tokens map[string]string // by caller: phoneA, phoneB, leader
	users  map[string]domain.User
	// The leader's view of the server through /v1/sync/pull, kept up to date after every push so
	// that it holds tombstones too (a pull from scratch leaves them out).
	view   map[string]sync.Change
	cursor string
}

func newRxFixture(t *testing.T) *rxFixture {
	t.Helper()
	store := storetest.Mongo(t)
	f := &rxFixture{t: t, logs: &syncBuffer{}, tokens: map[string]string{}, users: map[string]domain.User{},
		view: map[string]sync.Change{}}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := accounts.New(accounts.Config{Store: mongostore.NewAccounts(store), Audit: mongostore.NewAuditLog(store),
		SigningKey: []byte("rxdb-fixture-signing-key-0123456789abcdef"), Policy: fixturePolicy(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	engine := sync.New(sync.Config{Records: mongostore.NewRecords(store), Sequencer: mongostore.NewSequencer(store, time.Now),
		Log: mongostore.NewMutationLog(store), Rules: sync.DomainRules{}, Audit: mongostore.NewAuditLog(store),
		CursorKey: []byte("rxdb-fixture-cursor-key-0123456789abcdef")})
	f.srv = New(Config{Logger: log, BodyLimit: 8 << 20, Stream: StreamTiming{Poll: 20 * time.Millisecond, Heartbeat: time.Hour}},
		Deps{Accounts: svc, Sync: engine})
	ctx := context.Background()
	team, err := svc.CreateTeam(ctx, accounts.CommandLine, "", "rx-team")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []domain.User{{Username: "rx.tech", Role: domain.RoleTechnician, TeamID: team.ID},
		{Username: "rx.leader", Role: domain.RoleLeader, TeamID: team.ID}} {
		if f.users[string(u.Role)], err = svc.CreateUser(ctx, accounts.CommandLine, "", u, rxPassword); err != nil {
			t.Fatal(err)
		}
	}
	for caller, username := range map[string]string{"phoneA": "rx.tech", "phoneB": "rx.tech", "leader": "rx.leader"} {
		s, err := svc.Login(ctx, accounts.LoginInput{Username: username, Password: rxPassword, DeviceID: uuid.NewString(), DeviceName: caller})
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[caller] = s.AccessToken
	}
	return f
}

// refresh brings the leader's view up to date with /v1/sync/pull.
func (f *rxFixture) refresh() {
	f.t.Helper()
	for {
		status, raw := f.call("leader", http.MethodGet, "/v1/sync/pull?limit=2&cursor="+f.cursor, nil)
		if status != http.StatusOK {
			f.t.Fatalf("sync pull: %d %s", status, raw)
		}
		var page sync.Page
		if err := json.Unmarshal(raw, &page); err != nil {
			f.t.Fatal(err)
		}
		for _, ch := range page.Changes {
			f.view[ch.Collection+"/"+ch.ID] = ch
		}
		if f.cursor = page.Cursor; !page.HasMore {
			return
		}
	}
}

// call sends a request as who ("" for no token) and returns the status and the raw body.
func (f *rxFixture) call(who, method, path string, body any) (int, []byte) {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	if who != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+f.tokens[who])
	}
	resp, err := f.srv.App().Test(req, -1)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// push sends RxDB push rows as who and returns the conflicts.
func (f *rxFixture) push(who, coll string, rows ...map[string]any) []map[string]any {
	f.t.Helper()
	status, raw := f.call(who, http.MethodPost, "/v1/rxdb/"+coll+"/push", rows)
	if status != http.StatusOK {
		f.t.Fatalf("push: %d %s", status, raw)
	}
	var conflicts []map[string]any
	if err := json.Unmarshal(raw, &conflicts); err != nil || conflicts == nil {
		f.t.Fatalf("push answer %s is not an array: %v", raw, err)
	}
	f.refresh()
	return conflicts
}

// pull is one RxDB pull as who.
func (f *rxFixture) pull(who, coll, checkpoint string, limit int) rxdbPage {
	f.t.Helper()
	status, raw := f.call(who, http.MethodGet, fmt.Sprintf("/v1/rxdb/%s/pull?checkpoint=%s&limit=%d", coll, checkpoint, limit), nil)
	if status != http.StatusOK {
		f.t.Fatalf("pull: %d %s", status, raw)
	}
	var page rxdbPage
	if err := json.Unmarshal(raw, &page); err != nil {
		f.t.Fatalf("pull answer %s: %v", raw, err)
	}
	for _, d := range page.Documents {
		if _, ok := d["deleted"]; ok {
			f.t.Fatalf("pulled document carries the server's deleted key: %v", d)
		}
		if _, ok := d["_deleted"].(bool); !ok {
			f.t.Fatalf("pulled document without a boolean _deleted: %v", d)
		}
	}
	return page
}

// doc returns the current RxDB document id of coll as who pulls it from scratch.
func (f *rxFixture) doc(who, coll, id string) map[string]any {
	f.t.Helper()
	for _, d := range f.pull(who, coll, "", 1000).Documents {
		if d["id"] == id {
			return d
		}
	}
	f.t.Fatalf("%s does not pull %s/%s", who, coll, id)
	return nil
}

// record is the server's record coll/id (tombstones included) as the leader pulls it through
// /v1/sync/pull.
func (f *rxFixture) record(coll, id string) sync.Change {
	f.t.Helper()
	f.refresh()
	if ch, ok := f.view[coll+"/"+id]; ok {
		return ch
	}
	f.t.Fatalf("the leader does not pull %s/%s", coll, id)
	return sync.Change{}
}

// row is one push row; assumed nil means the client never had the document from the server.
func row(assumed, next map[string]any) map[string]any {
	r := map[string]any{"newDocumentState": next}
	if assumed != nil {
		r["assumedMasterState"] = assumed
	}
	return r
}

// edit returns doc with changes applied (a nil value removes the key), as RxDB sends a new
// document state: without _meta and _rev, with _attachments.
func edit(doc map[string]any, changes map[string]any) map[string]any {
	out := maps.Clone(doc)
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	out["_attachments"] = map[string]any{}
	return out
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func wantConflicts(t *testing.T, got []map[string]any, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d conflicts, want %d: %v", len(got), n, got)
	}
}

func wantField(t *testing.T, doc map[string]any, field string, want any) {
	t.Helper()
	if !sync.EqualValues(doc[field], want) {
		t.Fatalf("%s = %v, want %v (in %v)", field, doc[field], want, doc)
	}
}

func TestRxdbPushMapsRowsOntoMutations(t *testing.T) {
	f := newRxFixture(t)
	// Server-stamped keys and RxDB's own are never sent as fields: a forged owner and version in
	// a new document are ignored, the base is the assumed state's version (none: 0).
	created := map[string]any{"id": "f1", "workOrderId": "wo-1", "outcome": "incomplete", "workDone": "检查",
		"owner": "somebody-else", "version": 7, "_deleted": false, "_attachments": map[string]any{}}
	wantConflicts(t, f.push("phoneA", "service_forms", row(nil, created)), 0)
	rec := f.record("service_forms", "f1")
	if rec.Version != 1 || rec.Record["owner"] != f.users["technician"].ID {
		t.Fatalf("created record: %+v", rec)
	}

	d1 := f.doc("phoneB", "service_forms", "f1")
	wantConflicts(t, f.push("phoneA", "service_forms", row(d1, edit(d1, map[string]any{"outcome": "completed"}))), 0)

	// phoneB changes another field from the same base: only the difference is sent, so it merges
	// (sending the stale outcome would have conflicted), and the merged document comes back.
	got := f.push("phoneB", "service_forms", row(d1, edit(d1, map[string]any{"workDone": "换压缩机"})))
	wantConflicts(t, got, 1)
	wantField(t, got[0], "outcome", "completed")
	wantField(t, got[0], "workDone", "换压缩机")
	wantField(t, got[0], "version", 3)
	wantField(t, got[0], "_deleted", false)
	if _, ok := got[0]["deleted"]; ok {
		t.Fatalf("conflict document carries the server's deleted key: %v", got[0])
	}
	if rec := f.record("service_forms", "f1"); len(rec.Record["conflicts"].([]any)) != 0 {
		t.Fatalf("a merge logged conflicts: %v", rec.Record["conflicts"])
	}

	// A key the new state dropped is cleared.
	wantConflicts(t, f.push("phoneB", "service_forms", row(got[0], edit(got[0], map[string]any{"workDone": nil}))), 0)
	rec = f.record("service_forms", "f1")
	if v, ok := rec.Record["workDone"]; ok && v != nil || rec.Version != 4 {
		t.Fatalf("workDone not cleared at version 4: %+v", rec)
	}
	if d4 := f.doc("phoneA", "service_forms", "f1"); len(d4) == 0 || d4["workDone"] != nil || hasKey(d4, "workDone") {
		t.Fatalf("a cleared field pulls as %v, want the key absent", d4)
	}
}

func TestRxdbPushDelete(t *testing.T) {
	f := newRxFixture(t)
	form := map[string]any{"id": "f1", "workDone": "检查", "_deleted": false}
	wantConflicts(t, f.push("phoneA", "service_forms", row(nil, form), row(nil, map[string]any{"id": "f2", "workDone": "x"})), 0)
	start := f.pull("phoneB", "service_forms", "", 100)
	d1, d2 := f.doc("phoneA", "service_forms", "f1"), f.doc("phoneA", "service_forms", "f2")

	wantConflicts(t, f.push("phoneA", "service_forms", row(d1, edit(d1, map[string]any{"_deleted": true}))), 0)
	if rec := f.record("service_forms", "f1"); !rec.Deleted {
		t.Fatalf("not deleted: %+v", rec)
	}
	page := f.pull("phoneB", "service_forms", start.Checkpoint.Cursor, 100)
	if len(page.Documents) != 1 || page.Documents[0]["id"] != "f1" || page.Documents[0]["_deleted"] != true {
		t.Fatalf("the delete pulls as %v", page.Documents)
	}

	// A delete racing an edit: the edit wins and the delete comes back as a conflict, with the
	// live document.
	wantConflicts(t, f.push("phoneA", "service_forms", row(d2, edit(d2, map[string]any{"workDone": "y"}))), 0)
	got := f.push("phoneB", "service_forms", row(d2, edit(d2, map[string]any{"_deleted": true})))
	wantConflicts(t, got, 1)
	wantField(t, got[0], "_deleted", false)
	wantField(t, got[0], "workDone", "y")
	if rec := f.record("service_forms", "f2"); rec.Deleted {
		t.Fatalf("the delete beat the edit: %+v", rec)
	}
}

func TestRxdbPushResendIsIdempotent(t *testing.T) {
	f := newRxFixture(t)
	wantConflicts(t, f.push("phoneA", "service_forms", row(nil, map[string]any{"id": "f1", "workDone": "检查"})), 0)
	d1 := f.doc("phoneA", "service_forms", "f1")
	lost := row(d1, edit(d1, map[string]any{"workDone": "a"}))
	wantConflicts(t, f.push("phoneA", "service_forms", lost), 0) // the answer never reaches the phone
	d2 := f.doc("phoneB", "service_forms", "f1")
	wantConflicts(t, f.push("phoneB", "service_forms", row(d2, edit(d2, map[string]any{"workDone": "b"}))), 0)

	// The resend is the same mutation: answered from its receipt, nothing written. Were it new,
	// it would conflict with phoneB's edit and log "a" as a losing value.
	wantConflicts(t, f.push("phoneA", "service_forms", lost), 0)
	rec := f.record("service_forms", "f1")
	if rec.Version != 3 || rec.Record["workDone"] != "b" || len(rec.Record["conflicts"].([]any)) != 0 {
		t.Fatalf("the resend wrote: %+v", rec)
	}
}

func TestRxdbMutationID(t *testing.T) {
	decode := func(s string) rxdbRow {
		var r rxdbRow
		if err := decodeJSON([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	base := decode(`{"assumedMasterState":{"id":"f1","version":2,"a":1},"newDocumentState":{"id":"f1","version":2,"a":2,"b":[1,{"x":1,"y":2}]}}`)
	id := rxdbMutationID("service_forms", "f1", 2, base)
	if len(id) != 64 {
		t.Fatalf("id %q is not 64 characters", id)
	}
	cases := []struct {
		name string
		coll string
		row  string
		same bool
	}{
		{"resend with keys in another order", "service_forms",
			`{"newDocumentState":{"b":[1,{"y":2,"x":1}],"a":2,"version":2,"id":"f1"},"assumedMasterState":{"a":1,"id":"f1","version":2}}`, true},
		{"another new state", "service_forms",
			`{"assumedMasterState":{"id":"f1","version":2,"a":1},"newDocumentState":{"id":"f1","version":2,"a":3,"b":[1,{"x":1,"y":2}]}}`, false},
		{"another assumed state", "service_forms",
			`{"assumedMasterState":{"id":"f1","version":2,"a":0},"newDocumentState":{"id":"f1","version":2,"a":2,"b":[1,{"x":1,"y":2}]}}`, false},
		{"another collection", "trip_logs",
			`{"assumedMasterState":{"id":"f1","version":2,"a":1},"newDocumentState":{"id":"f1","version":2,"a":2,"b":[1,{"x":1,"y":2}]}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := rxdbMutationID(tc.coll, "f1", 2, decode(tc.row)); (got == id) != tc.same {
				t.Fatalf("same id: %v, want %v", got == id, tc.same)
			}
		})
	}
}

func TestRxdbConflictReturnsTheServerDocument(t *testing.T) {
	f := newRxFixture(t)
	wantConflicts(t, f.push("phoneA", "service_forms", row(nil, map[string]any{"id": "f1", "workDone": "检查"})), 0)
	d1 := f.doc("phoneA", "service_forms", "f1")
	wantConflicts(t, f.push("phoneA", "service_forms", row(d1, edit(d1, map[string]any{"workDone": "a"}))), 0)

	got := f.push("phoneB", "service_forms", row(d1, edit(d1, map[string]any{"workDone": "b"})))
	wantConflicts(t, got, 1)
	wantField(t, got[0], "workDone", "a")
	wantField(t, got[0], "version", 3) // the conflict log's new entry moved the version
	log := got[0]["conflicts"].([]any)
	if len(log) != 1 || log[0].(map[string]any)["clientValue"] != "b" || log[0].(map[string]any)["field"] != "workDone" {
		t.Fatalf("conflict log %v", log)
	}

	cases := []struct {
		name string
		row  map[string]any
		want map[string]any // fields of the answered document
	}{
		{"a field the role may not write: the server's document", row(got[0], edit(got[0], map[string]any{"reviewNote": "secret-approval-note"})),
			map[string]any{"id": "f1", "workDone": "a", "_deleted": false}},
		{"an unknown field of a new document: a deleted stub", row(nil, map[string]any{"id": "f9", "noSuchField": "secret-value"}),
			map[string]any{"id": "f9", "_deleted": true}},
		{"an invalid base version: the server's document", row(map[string]any{"id": "f1", "version": 99}, map[string]any{"id": "f1", "workDone": "c"}),
			map[string]any{"id": "f1", "workDone": "a", "_deleted": false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.push("phoneA", "service_forms", tc.row)
			wantConflicts(t, got, 1)
			for k, v := range tc.want {
				wantField(t, got[0], k, v)
			}
			if _, ok := got[0]["reviewNote"]; ok {
				t.Fatalf("a rejected field was written: %v", got[0])
			}
		})
	}
	// Several rows: the applied one is left out, the others answer in row order (the rejected
	// one needs a lookup, the conflicting one comes with its record). Phone B: phone A changed
	// workDone last, and a device's own later edit is not a conflict.
	got = f.push("phoneB", "service_forms",
		row(nil, map[string]any{"id": "f7", "noSuchField": "x"}),
		row(nil, map[string]any{"id": "f8", "workDone": "new"}),
		row(d1, edit(d1, map[string]any{"workDone": "stale"})))
	if len(got) != 2 || got[0]["id"] != "f7" || got[0]["_deleted"] != true || got[1]["id"] != "f1" || got[1]["workDone"] != "a" {
		t.Fatalf("answer %v, want the f7 stub then f1", got)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "rxdb push row rejected") || strings.Contains(logs, "secret") {
		t.Fatalf("rejections not logged, or logged with values:\n%s", logs)
	}
}

func TestRxdbPullPagesByCheckpoint(t *testing.T) {
	f := newRxFixture(t)
	var rows []map[string]any
	for i := range 5 {
		rows = append(rows, row(nil, map[string]any{"id": fmt.Sprintf("f%d", i), "workDone": "w"}))
	}
	wantConflicts(t, f.push("phoneA", "service_forms", rows...), 0)

	seen, cursor := map[string]bool{}, ""
	for _, want := range []int{2, 2, 1, 0} {
		page := f.pull("phoneB", "service_forms", cursor, 2)
		if len(page.Documents) != want || page.Checkpoint.Cursor == "" {
			t.Fatalf("page of %d documents (cursor %q), want %d", len(page.Documents), page.Checkpoint.Cursor, want)
		}
		for _, d := range page.Documents {
			if seen[d["id"].(string)] {
				t.Fatalf("%v pulled twice", d["id"])
			}
			seen[d["id"].(string)] = true
		}
		cursor = page.Checkpoint.Cursor
	}
	if len(seen) != 5 {
		t.Fatalf("pulled %v", seen)
	}

	d0 := f.doc("phoneA", "service_forms", "f0")
	wantConflicts(t, f.push("phoneA", "service_forms", row(d0, edit(d0, map[string]any{"_deleted": true}))), 0)
	page := f.pull("phoneB", "service_forms", cursor, 2)
	if len(page.Documents) != 1 || page.Documents[0]["id"] != "f0" || page.Documents[0]["_deleted"] != true {
		t.Fatalf("after the delete: %v", page.Documents)
	}
	if len(f.pull("phoneB", "service_forms", "", 100).Documents) != 4 {
		t.Fatal("a pull from scratch includes the deleted document")
	}

	// A work order taken away from the technician comes as a deleted stub; other collections
	// never show up in this one.
	tech := f.users["technician"].ID
	wo := map[string]any{"id": "wo1", "customerName": "王", "serviceType": "paid", "assignees": []any{tech}}
	wantConflicts(t, f.push("leader", "work_orders", row(nil, wo)), 0)
	woPage := f.pull("phoneA", "work_orders", "", 100)
	if len(woPage.Documents) != 1 || woPage.Documents[0]["customerName"] != "王" {
		t.Fatalf("assigned work order pulls as %v", woPage.Documents)
	}
	if len(f.pull("phoneB", "service_forms", page.Checkpoint.Cursor, 100).Documents) != 0 {
		t.Fatal("a work order showed up in service_forms")
	}
	w1 := f.doc("leader", "work_orders", "wo1")
	wantConflicts(t, f.push("leader", "work_orders", row(w1, edit(w1, map[string]any{"assignees": []any{}}))), 0)
	revoked := f.pull("phoneA", "work_orders", woPage.Checkpoint.Cursor, 100).Documents
	if len(revoked) != 1 || len(revoked[0]) != 2 || revoked[0]["id"] != "wo1" || revoked[0]["_deleted"] != true {
		t.Fatalf("revoked work order pulls as %v", revoked)
	}
}

func TestRxdbErrors(t *testing.T) {
	f := newRxFixture(t)
	cases := []struct {
		name   string
		who    string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"no token", "", http.MethodGet, "/v1/rxdb/service_forms/pull", nil, 401, "unauthorized"},
		{"unknown collection", "phoneA", http.MethodGet, "/v1/rxdb/users/pull", nil, 404, "not_found"},
		{"malformed checkpoint", "phoneA", http.MethodGet, "/v1/rxdb/service_forms/pull?checkpoint=nope", nil, 400, "invalid"},
		{"bad limit", "phoneA", http.MethodGet, "/v1/rxdb/service_forms/pull?limit=0", nil, 400, "invalid"},
		{"push of an object", "phoneA", http.MethodPost, "/v1/rxdb/service_forms/push", map[string]any{"id": "x"}, 400, "invalid"},
		{"row without id", "phoneA", http.MethodPost, "/v1/rxdb/service_forms/push", []any{row(nil, map[string]any{"workDone": "x"})}, 400, "invalid"},
		{"fractional base version", "phoneA", http.MethodPost, "/v1/rxdb/service_forms/push",
			[]any{row(map[string]any{"id": "x", "version": 1.5}, map[string]any{"id": "x"})}, 400, "invalid"},
		{"too many rows", "phoneA", http.MethodPost, "/v1/rxdb/service_forms/push", make([]map[string]any, 501), 413, "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := f.call(tc.who, tc.method, tc.path, tc.body)
			var body map[string]any
			_ = json.Unmarshal(raw, &body)
			if status != tc.status || errorCode(body) != tc.code {
				t.Fatalf("%d %s, want %d %s", status, raw, tc.status, tc.code)
			}
		})
	}
}

func TestRxdbStreamSendsResync(t *testing.T) {
	f := newRxFixture(t)
	_, addr := listen(t, f.srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v1/rxdb/service_forms/stream", nil)
	req.Header.Set(fiber.HeaderAuthorization, "Bearer "+f.tokens["leader"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data:") {
				events <- line
			}
		}
		close(events)
	}()
	next := func(within time.Duration) (string, bool) {
		select {
		case ev, ok := <-events:
			return ev, ok
		case <-time.After(within):
			return "", false
		}
	}
	if ev, _ := next(5 * time.Second); ev != `data: "RESYNC"` {
		t.Fatalf("first event %q, want RESYNC at once", ev)
	}
	// Other requests on the listener must not disturb the open stream (Fiber reuses request
	// buffers once a handler has returned).
	for range 5 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/rxdb/work_orders/pull?limit=7", nil)
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+f.tokens["leader"])
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	// A change of another collection is not this stream's business.
	wantConflicts(t, f.push("leader", "work_orders", row(nil, map[string]any{"id": "wo1", "customerName": "王", "serviceType": "paid"})), 0)
	if ev, ok := next(300 * time.Millisecond); ok {
		t.Fatalf("a work order change sent %q on the service_forms stream", ev)
	}
	wantConflicts(t, f.push("phoneA", "service_forms", row(nil, map[string]any{"id": "f1", "workDone": "w"})), 0)
	if ev, _ := next(5 * time.Second); ev != `data: "RESYNC"` {
		t.Fatalf("after a change: %q, want RESYNC", ev)
	}
}
