package compute

import (
	"context"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/schema"
)

// IncidentHook validates an incident on every write (schema.Config.Extra): a known type, the
// type's points or a leader's points where the type allows them, a reason for additions, and
// missed_weekly_report only from the server (R1–R4, domain.NewIncident). Invalid incidents are
// rejected at push, with per-field codes, instead of being counted for nothing later.
func IncidentHook(policies *Policies) schema.Hook {
	return func(ctx context.Context, _ domain.Principal, _, next *sync.Record) error {
		if next.Deleted {
			return nil
		}
		h, err := policies.History(ctx)
		if err != nil {
			return err
		}
		_, err = incidentOf(h, next)
		return err
	}
}
