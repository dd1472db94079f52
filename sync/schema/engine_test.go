package schema_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/schema"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// Two teams, their people, and the departments.
var (
	teamA, teamB = uuid.NewString(), uuid.NewString()
	techA        = domain.Principal{UserID: uuid.NewString(), Role: domain.RoleTechnician, TeamID: teamA, DeviceID: "phone-a"}
	techB        = domain.Principal{UserID: uuid.NewString(), Role: domain.RoleTechnician, TeamID: teamB, DeviceID: "phone-b"}
	leadA        = domain.Principal{UserID: uuid.NewString(), Role: domain.RoleLeader, TeamID: teamA, DeviceID: "phone-l"}
	leadB        = domain.Principal{UserID: uuid.NewString(), Role: domain.RoleLeader, TeamID: teamB, DeviceID: "phone-lb"}
	buyer        = domain.Principal{UserID: uuid.NewString(), Role: domain.RolePurchasing, DeviceID: "pc-buyer"}
	gm           = domain.Principal{UserID: uuid.NewString(), Role: domain.RoleGM, DeviceID: "pc-gm"}
)

const photo = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// engine is a sync engine on the embedded FerretDB (its own database) with the team's rules
// and a StoreLookup on the same records.
type engine struct {
	t        *testing.T
	e        *sync.Engine
	records  *mongostore.Records
	versions map[string]int64 // the last version each record id was seen at
}

func newEngine(t *testing.T) *engine {
	t.Helper()
	store := storetest.Mongo(t)
	records := mongostore.NewRecords(store)
	rules := schema.NewRules(schema.Config{Lookup: schema.NewStoreLookup(records)})
	e := sync.New(sync.Config{Records: records, Sequencer: mongostore.NewSequencer(store, time.Now),
		Log: mongostore.NewMutationLog(store), Rules: rules, CursorKey: []byte("schema-test-cursor-key-0123456789abcdef")})
	return &engine{t: t, e: e, records: records, versions: map[string]int64{}}
}

// push sends one upsert of fields as p at the last version seen, and returns its result.
func (g *engine) push(p domain.Principal, collection, id string, fields map[string]any) sync.Result {
	g.t.Helper()
	res, err := g.e.Push(context.Background(), p, "", []sync.Mutation{{MutationID: uuid.NewString(), Collection: collection,
		ID: id, Op: sync.OpUpsert, BaseVersion: g.versions[id], Fields: fields, ClientTime: time.Now()}})
	if err != nil {
		g.t.Fatalf("push %s %v: %v", collection, fields, err)
	}
	if r := res[0]; r.Status != sync.StatusRejected {
		g.versions[id] = r.Version
	}
	return res[0]
}

// ok is push that must be applied.
func (g *engine) ok(p domain.Principal, collection, id string, fields map[string]any) {
	g.t.Helper()
	if r := g.push(p, collection, id, fields); r.Status != sync.StatusApplied {
		g.t.Fatalf("push %s %v: %s %+v", collection, fields, r.Status, r.Error)
	}
}

// refused is push that must be rejected with code naming field.
func (g *engine) refused(p domain.Principal, collection, id string, fields map[string]any, code domain.Code, field string) {
	g.t.Helper()
	r := g.push(p, collection, id, fields)
	if r.Status != sync.StatusRejected || r.Error.Code != string(code) {
		g.t.Fatalf("push %s %v: %s %+v, want rejected %s", collection, fields, r.Status, r.Error, code)
	}
	if _, ok := r.Error.Fields[field]; field != "" && !ok {
		g.t.Fatalf("push %s %v: fields %v, want %s", collection, fields, r.Error.Fields, field)
	}
}

// pull returns what p sees: record id → record.
func (g *engine) pull(p domain.Principal) map[string]map[string]any {
	g.t.Helper()
	page, err := g.e.Pull(context.Background(), p, "", 1000)
	if err != nil {
		g.t.Fatalf("pull as %s: %v", p.Role, err)
	}
	out := map[string]map[string]any{}
	for _, c := range page.Changes {
		out[c.ID] = c.Record
	}
	return out
}

// TestRulesOnThePushPath drives the life cycles through the real engine and store: R17 and R18
// with lookups of the work order and the revisit plans, the lock of an approved form, the
// purchase chain with the departments' visibility following waitingFor, and R16 across teams.
func TestRulesOnThePushPath(t *testing.T) {
	g := newEngine(t)
	sf := domain.CollServiceForms

	g.ok(leadA, domain.CollWorkOrders, "wo-1", map[string]any{"customerName": "张三", "serviceType": "paid",
		"assignees": []any{techA.UserID}})
	g.refused(leadA, domain.CollWorkOrders, "wo-2", map[string]any{"customerName": "李四"}, domain.CodeInvalid, "serviceType")

	g.ok(techA, sf, "form-1", map[string]any{"workOrderId": "wo-1", "workDone": "检查"})
	g.ok(techA, sf, "form-1", map[string]any{"status": "submitted", "arrivedAt": "2026-11-02T09:00:00+08:00",
		"departedAt": "2026-11-02T11:00:00+08:00", "faultCause": "压缩机坏", "outcome": "incomplete", "signaturePhoto": photo})
	g.refused(leadA, sf, "form-1", map[string]any{"status": "approved"}, domain.CodeInvalid, "outcome") // R17
	g.ok(techA, domain.CollRevisitPlans, "plan-1", map[string]any{"serviceFormId": "form-1",
		"plannedAt": "2026-11-05T09:00:00+08:00", "people": []any{techA.UserID}, "tools": []any{"检漏仪"},
		"purchasePlan": []any{map[string]any{"name": "压缩机", "qty": 1}}})
	g.ok(leadA, sf, "form-1", map[string]any{"status": "approved"})

	// Locked: the author's later edit comes back as a conflict, the server's value stands.
	if r := g.push(techA, sf, "form-1", map[string]any{"workDone": "改"}); r.Status != sync.StatusConflict ||
		r.Record["workDone"] != "检查" || r.Record["status"] != "approved" || r.Record["reviewedBy"] != leadA.UserID {
		t.Fatalf("edit of an approved form: %s %v", r.Status, r.Record)
	}

	// R18: a form of team B that names team A's work order cannot be approved in team B.
	g.ok(techB, sf, "form-b", map[string]any{"workOrderId": "wo-1", "status": "submitted", "arrivedAt": "2026-11-02T09:00:00+08:00",
		"departedAt": "2026-11-02T10:00:00+08:00", "faultCause": "x", "workDone": "x", "outcome": "completed", "signaturePhoto": photo})
	g.refused(leadB, sf, "form-b", map[string]any{"status": "approved"}, domain.CodeInvalid, "workOrderId")

	// R14 at exactly 500.00: the departments see the request while, and only while, it waits for them.
	pc := domain.CollPurchaseRequests
	g.ok(techA, pc, "pr-1", map[string]any{"items": []any{map[string]any{"name": "压缩机", "qty": 1, "unitPriceFen": 50000}},
		"reason": "换压缩机", "submitted": true})
	if _, seen := g.pull(buyer)["pr-1"]; seen {
		t.Fatal("purchasing sees a request waiting for the leader")
	}
	g.refused(buyer, pc, "pr-1", map[string]any{"purchasingDecision": "approved"}, domain.CodeForbidden, "")
	g.ok(leadA, pc, "pr-1", map[string]any{"leaderDecision": "approved"})
	rec, seen := g.pull(buyer)["pr-1"]
	if !seen || rec["status"] != "pending_purchasing" || fmt.Sprint(rec["waitingFor"]) != "[purchasing]" || rec["totalFen"] == nil {
		t.Fatalf("purchasing pulls %v (seen %v)", rec, seen)
	}
	g.ok(buyer, pc, "pr-1", map[string]any{"purchasingDecision": "approved"})
	if _, seen := g.pull(gm)["pr-1"]; !seen {
		t.Fatal("the gm does not see a request waiting for it")
	}
	g.ok(gm, pc, "pr-1", map[string]any{"gmDecision": "approved"})
	g.ok(buyer, pc, "pr-1", map[string]any{"purchasingSignedOff": true})
	if rec := g.pull(techA)["pr-1"]; rec["status"] != "payable" {
		t.Fatalf("the author pulls %v", rec)
	}
	if _, seen := g.pull(gm)["pr-1"]; seen {
		t.Fatal("the gm still sees a payable request")
	}

	// R16 across teams: the same image claimed by team B's technician is flagged.
	rc := domain.CollReceipts
	g.ok(techA, rc, "r-a", map[string]any{"photo": photo, "amountFen": 48000, "date": "2026-11-03", "category": "parts", "purchaseRequestId": "pr-1"})
	g.ok(techB, rc, "r-b", map[string]any{"photo": photo, "amountFen": 48000, "date": "2026-11-03", "category": "parts", "purchaseRequestId": "pr-b"})
	if rec := g.pull(techB)["r-b"]; fmt.Sprint(rec["duplicateOf"]) != "map[collection:receipts id:r-a]" {
		t.Fatalf("team B's copy: %v", rec)
	}
	if rec := g.pull(techA)["r-a"]; rec["duplicateOf"] != nil {
		t.Fatalf("the first claim is flagged: %v", rec)
	}
}

// TestStoreLookup checks the lookups on the real store: tombstones and other teams left out, the
// first claim by creation time, and paging past one page.
func TestStoreLookup(t *testing.T) {
	g := newEngine(t)
	ctx := context.Background()
	lookup := schema.NewStoreLookupPaged(g.records, 3)

	var want []string
	for i := range 7 {
		id := fmt.Sprintf("plan-%d", i)
		g.ok(techA, domain.CollRevisitPlans, id, map[string]any{"serviceFormId": "form-1"})
		want = append(want, id)
	}
	g.ok(techA, domain.CollRevisitPlans, "plan-other", map[string]any{"serviceFormId": "form-2"})
	g.ok(techB, domain.CollRevisitPlans, "plan-b", map[string]any{"serviceFormId": "form-1"})
	res, err := g.e.Push(ctx, techA, "", []sync.Mutation{{MutationID: uuid.NewString(), Collection: domain.CollRevisitPlans,
		ID: "plan-0", Op: sync.OpDelete, BaseVersion: g.versions["plan-0"]}})
	if err != nil || res[0].Status != sync.StatusApplied {
		t.Fatalf("delete: %v %+v", err, res)
	}
	plans, err := lookup.RevisitPlansFor(ctx, teamA, "form-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plans {
		got = append(got, p.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want[1:]) {
		t.Fatalf("plans %v, want %v", got, want[1:])
	}

	if rec, err := lookup.Record(ctx, domain.CollRevisitPlans, "plan-0"); rec != nil || err != nil {
		t.Fatalf("a tombstone found: %v %v", rec, err)
	}
	g.ok(techB, domain.CollReceipts, "r-2", map[string]any{"photo": photo, "amountFen": 1, "date": "2026-11-03", "category": "toll", "tripLogId": "t"})
	g.ok(techA, domain.CollReceipts, "r-1", map[string]any{"photo": photo, "amountFen": 1, "date": "2026-11-03", "category": "toll", "tripLogId": "t"})
	first, err := lookup.FirstClaim(ctx, photo, sync.RecordKey{Collection: domain.CollReceipts, ID: "r-9"})
	if err != nil || first == nil || first.ID != "r-2" {
		t.Fatalf("first claim %v, %v", first, err)
	}
	if first, _ := lookup.FirstClaim(ctx, photo, sync.RecordKey{Collection: domain.CollReceipts, ID: "r-2"}); first == nil || first.ID != "r-1" {
		t.Fatalf("first claim except r-2: %v", first)
	}
}

// TestReceiptOnAnotherAuthorsTrip: a receipt cannot be claimed on somebody else's trip log.
func TestReceiptOnAnotherAuthorsTrip(t *testing.T) {
	g := newEngine(t)
	g.ok(techA, domain.CollTripLogs, "trip-a", map[string]any{"purpose": "维修", "transportMode": "bus"})
	receipt := map[string]any{"photo": strings.Repeat("ab", 32), "amountFen": 88800, "date": "2026-11-03",
		"category": "taxi", "tripLogId": "trip-a"}
	g.refused(techB, domain.CollReceipts, "r-b", receipt, domain.CodeInvalid, "tripLogId")
	g.ok(techA, domain.CollReceipts, "r-a", receipt)
}
