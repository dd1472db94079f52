package schema

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

const (
	tech   = "11111111-1111-4111-8111-111111111111"
	tech2  = "22222222-2222-4222-8222-222222222222"
	leader = "33333333-3333-4333-8333-333333333333"
	team   = "44444444-4444-4444-8444-444444444444"
	photo  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	photo2 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

// fieldsOf decodes a JSON object the way the server decodes a mutation's fields (UseNumber).
func fieldsOf(t *testing.T, text string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", text, err)
	}
	return m
}

// record is a record of collection owned by tech in team with the given fields.
func record(collection, id string, fields map[string]any) *sync.Record {
	return &sync.Record{Collection: collection, ID: id, Owner: tech, Team: team,
		CreatedAt: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC),
		State:     sync.State{Version: 1, Fields: fields, FieldVersions: map[string]int64{}}}
}

// codes returns the per-field codes of err, nil for nil.
func codes(err error) map[string]string {
	if err == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range domain.ErrorFields(err) {
		out[k] = domain.FieldCode(v)
	}
	return out
}

func TestValidation(t *testing.T) {
	strict := map[string]func(*sync.Record) error{
		domain.CollWorkOrders:       func(r *sync.Record) error { _, err := WorkOrderOf(r, true); return err },
		domain.CollServiceForms:     func(r *sync.Record) error { _, err := ServiceFormOf(r, true); return err },
		domain.CollRevisitPlans:     func(r *sync.Record) error { _, err := RevisitPlanOf(r, true); return err },
		domain.CollTripLogs:         func(r *sync.Record) error { _, err := TripLogOf(r, true); return err },
		domain.CollReceipts:         func(r *sync.Record) error { _, err := ReceiptOf(r, true); return err },
		domain.CollPurchaseRequests: func(r *sync.Record) error { _, err := PurchaseRequestOf(r, true); return err },
	}
	form := `"workOrderId": "wo-1", "arrivedAt": "2026-11-02T09:00:00+08:00", "departedAt": "2026-11-02T11:30:00+08:00",
		"faultCause": "缺氟", "workDone": "加氟", "outcome": "completed", "signaturePhoto": "` + photo + `"`
	cases := []struct {
		name, collection, fields string
		want                     map[string]string
	}{
		{"a work order", domain.CollWorkOrders,
			`{"customerName": "张三", "customerPhone": "13800138000", "serviceType": "paid", "assignees": ["` + tech + `"],
			  "dueAt": "2026-11-03T17:00:00+08:00"}`, nil},
		{"a work order without a service type", domain.CollWorkOrders, `{"customerName": "张三"}`,
			map[string]string{"serviceType": "required"}},
		{"admin work without a customer", domain.CollWorkOrders, `{"serviceType": "admin"}`, nil},
		{"a work order's bad values", domain.CollWorkOrders,
			`{"customerName": "张三", "serviceType": "free", "assignees": ["u1"], "dueAt": "tomorrow", "customerPhone": "call me"}`,
			map[string]string{"serviceType": "oneof", "assignees[0]": "uuid", "dueAt": "datetime", "customerPhone": "phone"}},
		{"a draft form with one field", domain.CollServiceForms, `{"workDone": "换压缩机"}`, nil},
		{"a draft form saved with a half-typed part", domain.CollServiceForms, `{"parts": [{"name": "冷媒", "qty": 0}]}`,
			map[string]string{"parts[0].qty": "min"}},
		{"a submitted form, complete", domain.CollServiceForms, `{` + form + `, "status": "submitted"}`, nil},
		{"a submitted form lacks what a submission needs", domain.CollServiceForms, `{"status": "submitted", "workDone": "x"}`,
			map[string]string{"arrivedAt": "required", "departedAt": "required", "faultCause": "required", "outcome": "required",
				"signaturePhoto": "required"}},
		{"the domain's rules after the tags: taken back needs its receipt number", domain.CollServiceForms,
			`{` + strings.Replace(form, `"completed"`, `"taken_back"`, 1) + `, "status": "submitted"}`,
			map[string]string{"takeBackReceiptNo": "required"}},
		{"a number where a string belongs, an integer that is not", domain.CollServiceForms,
			`{"workDone": 5, "parts": [{"name": "a", "qty": 1}, {"name": "b", "qty": 1.5}]}`,
			map[string]string{"workDone": "type", "parts[1].qty": "type"}},
		{"an unknown key inside a part", domain.CollServiceForms, `{"parts": [{"name": "a", "qty": 1, "$gt": 1}]}`,
			map[string]string{"parts[0].$gt": "unknown_field"}},
		{"photos must be lowercase SHA-256", domain.CollServiceForms, `{"photos": ["` + strings.ToUpper(photo) + `", "0x12"]}`,
			map[string]string{"photos[0]": "sha256", "photos[1]": "sha256"}},
		{"too long", domain.CollServiceForms, `{"takeBackReceiptNo": "` + strings.Repeat("号", 65) + `"}`,
			map[string]string{"takeBackReceiptNo": "max"}},
		{"an unknown status", domain.CollServiceForms, `{"status": "done"}`, map[string]string{"status": "oneof"}},
		{"a revisit plan needs its form", domain.CollRevisitPlans, `{"tools": []}`, map[string]string{"serviceFormId": "required"}},
		{"an incomplete revisit plan may be saved", domain.CollRevisitPlans, `{"serviceFormId": "form-1", "tools": ["检漏仪"]}`, nil},
		{"a trip on the way", domain.CollTripLogs, `{"startAt": "2026-11-02T08:00:00+08:00", "transportMode": "coach"}`, nil},
		{"a trip submitted without its facts", domain.CollTripLogs, `{"submitted": true}`,
			map[string]string{"purpose": "required", "destinationCity": "required", "startAt": "required", "endAt": "required",
				"people": "required", "transportMode": "required"}},
		{"km on a train", domain.CollTripLogs, `{"transportMode": "train", "distanceKm": 300}`, map[string]string{"distanceKm": "cars_only"}},
		{"negative km", domain.CollTripLogs, `{"transportMode": "company_car", "distanceKm": -3}`, map[string]string{"distanceKm": "min"}},
		{"a receipt", domain.CollReceipts, `{"photo": "` + photo + `", "amountFen": 4550, "date": "2026-11-02", "category": "ticket", "tripLogId": "trip-1"}`, nil},
		{"a receipt of 0 fen", domain.CollReceipts, `{"photo": "` + photo + `", "amountFen": 0, "date": "2026-11-02", "category": "toll", "tripLogId": "trip-1"}`, nil},
		{"a receipt without amount, with a bad date", domain.CollReceipts, `{"photo": "` + photo + `", "date": "2026-02-30", "category": "ticket", "tripLogId": "t"}`,
			map[string]string{"amountFen": "required", "date": "date"}},
		{"a receipt of nothing", domain.CollReceipts, `{"photo": "` + photo + `", "amountFen": 1, "date": "2026-11-02", "category": "ticket"}`,
			map[string]string{"tripLogId": "required_without"}},
		{"a purchase draft", domain.CollPurchaseRequests, `{"items": [{"name": "压缩机", "qty": 1, "unitPriceFen": 50000}]}`, nil},
		{"a purchase line without a price", domain.CollPurchaseRequests, `{"items": [{"name": "压缩机", "qty": 1}]}`,
			map[string]string{"items[0].unitPriceFen": "required"}},
		{"a purchase submitted empty", domain.CollPurchaseRequests, `{"submitted": true, "items": []}`,
			map[string]string{"items": "required", "reason": "required"}},
		{"a decision that is neither", domain.CollPurchaseRequests, `{"leaderDecision": "ok"}`, map[string]string{"leaderDecision": "oneof"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := strict[tc.collection](record(tc.collection, "r-1", fieldsOf(t, tc.fields)))
			if got := codes(err); !maps.Equal(got, tc.want) {
				t.Fatalf("fields %v, want %v (%v)", domain.ErrorFields(err), tc.want, err)
			}
			if err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("code %s", domain.ErrorCode(err))
			}
			for k, msg := range domain.ErrorFields(err) {
				if code, texts, ok := strings.Cut(msg, ": "); code != "unknown_field" && (!ok || !strings.Contains(texts, " / ")) {
					t.Errorf("%s: %q is not \"code: 中文 / English\"", k, msg)
				}
			}
		})
	}
}

// TestStoredValuesDecode checks that records read back from the store (numbers as int64 and
// float64, nested lists as []any) decode like fresh mutations.
func TestStoredValuesDecode(t *testing.T) {
	rec := record(domain.CollPurchaseRequests, "pr-1", map[string]any{
		"items":     []any{map[string]any{"name": "压缩机", "qty": int64(2), "unitPriceFen": int64(25000)}},
		"submitted": true, "reason": "换", "totalFen": int64(50000), "waitingFor": []any{"leader"},
	})
	pr, err := PurchaseRequestOf(rec, true)
	if err != nil || pr.TotalFen() != 50_000 || pr.ID != "pr-1" || pr.Owner != tech {
		t.Fatalf("got %+v, %v", pr, err)
	}
	rec.Fields["items"] = []any{map[string]any{"name": "压缩机", "qty": 2.0, "unitPriceFen": 25000.0}}
	if _, err := PurchaseRequestOf(rec, true); err != nil {
		t.Fatalf("integral floats: %v", err)
	}
	rec.Fields["items"] = []any{map[string]any{"name": "压缩机", "qty": 2.5, "unitPriceFen": 25000.0}}
	if got := codes(func() error { _, err := PurchaseRequestOf(rec, true); return err }()); got["items[0].qty"] != "type" {
		t.Fatalf("fractional qty: %v", got)
	}
}

// FuzzRecordOf feeds arbitrary JSON objects to every collection's strict reader: none may panic,
// and every refusal is a *domain.Error with per-field messages in the documented format.
func FuzzRecordOf(f *testing.F) {
	f.Add(`{"parts": [{"name": "a", "qty": 1.5}], "status": "submitted"}`)
	f.Add(`{"items": [{"name": "a", "qty": 1, "unitPriceFen": "1"}], "submitted": true}`)
	f.Add(`{"photos": [1, null, "x"], "tools": [], "people": [{}]}`)
	f.Add(`{"amountFen": 1e400, "date": "2026-02-29", "transportApproved": "yes"}`)
	readers := []func(*sync.Record) error{
		func(r *sync.Record) error { _, err := WorkOrderOf(r, true); return err },
		func(r *sync.Record) error { _, err := ServiceFormOf(r, true); return err },
		func(r *sync.Record) error { _, err := RevisitPlanOf(r, true); return err },
		func(r *sync.Record) error { _, err := TripLogOf(r, true); return err },
		func(r *sync.Record) error { _, err := ReceiptOf(r, true); return err },
		func(r *sync.Record) error { _, err := PurchaseRequestOf(r, true); return err },
	}
	f.Fuzz(func(t *testing.T, text string) {
		dec := json.NewDecoder(bytes.NewReader([]byte(text)))
		dec.UseNumber()
		var fields map[string]any
		if dec.Decode(&fields) != nil {
			return
		}
		for _, read := range readers {
			err := read(record("any", "r-1", fields))
			if err == nil {
				continue
			}
			if domain.ErrorCode(err) != domain.CodeInvalid || len(domain.ErrorFields(err)) == 0 {
				t.Fatalf("%s: %v", text, err)
			}
			for k, msg := range domain.ErrorFields(err) {
				if code := domain.FieldCode(msg); code == "" || (code != "unknown_field" && !strings.Contains(msg, " / ")) {
					t.Fatalf("%s: %s = %q", text, k, msg)
				}
			}
		}
	})
}
