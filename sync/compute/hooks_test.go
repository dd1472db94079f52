package compute_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

func TestIncidentHookRejectsInvalidIncidents(t *testing.T) {
	policies := compute.NewPolicies(compute.PolicyConfig{Store: mongostore.NewPolicies(storetest.Mongo(t)), CacheTTL: -1})
	if err := policies.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	hook := compute.IncidentHook(policies)
	leader, tech := uuid.NewString(), uuid.NewString()
	cases := []struct {
		name   string
		owner  string
		fields map[string]any
		field  string // "" = accepted
	}{
		{"unreachable", leader, map[string]any{"type": "unreachable", "technicianId": tech, "date": "2026-11-03"}, ""},
		{"unknown type", leader, map[string]any{"type": "bogus", "technicianId": tech, "date": "2026-11-03"}, "type"},
		{"wrong points", leader, map[string]any{"type": "unreachable", "points": -7, "technicianId": tech, "date": "2026-11-03"}, "points"},
		{"R1 type from a leader", leader, map[string]any{"type": "missed_weekly_report", "technicianId": tech, "date": "2026-11-07"}, "createdBy"},
		{"R1 type from the server", domain.IncidentByServer, map[string]any{"type": "missed_weekly_report", "technicianId": tech, "date": "2026-11-07"}, ""},
		{"no date", leader, map[string]any{"type": "unreachable", "technicianId": tech}, "date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &sync.Record{Collection: domain.CollIncidents, ID: uuid.NewString(), Owner: tc.owner, Team: uuid.NewString(),
				State: sync.State{Fields: tc.fields}}
			err := hook(context.Background(), domain.Principal{}, nil, rec)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if domain.ErrorCode(err) != domain.CodeInvalid || domain.ErrorFields(err)[tc.field] == "" {
				t.Fatalf("err %v (fields %v), want invalid naming %s", err, domain.ErrorFields(err), tc.field)
			}
		})
	}
}
