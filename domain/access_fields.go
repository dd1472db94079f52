package domain

import (
	"fmt"
	"maps"
	"slices"
)

// ServerFields are the top-level fields the server stamps on every record of every collection;
// no client writes them (the sync engine refuses them before this layer, see sync.ReservedFields).
var ServerFields = []string{"id", "version", "owner", "team", "createdAt", "updatedAt", "deleted",
	"seq", "conflicts", "fieldVersions"}

// fieldRules say, for one collection, which fields are special. Every other field is a data
// field: writable by the roles granted create or update on the collection.
type fieldRules struct {
	// review lists the fields each reviewing role writes with ActionReview. Data writers may not
	// write them, except the shared ones.
	review map[Role][]string
	// shared are review fields that data writers write too: a service form's status is moved
	// draft → submitted by its author and submitted → approved by the leader; which values each
	// may set is the life cycle's business, not this table's.
	shared []string
	// computed fields are derived by the server's rules; nobody writes them.
	computed []string
	// confidential are customer details: visible only inside the record's team (Redact).
	confidential []string
}

// collectionFields is the field table. The names are the records' JSON field names; the record
// types (SPEC.md 1–8) must use them.
var collectionFields = map[string]fieldRules{
	CollWorkOrders: {
		confidential: []string{"customerPhone", "customerAddress"},
	},
	CollServiceForms: {
		review:   map[Role][]string{RoleLeader: {"status", "reviewNote", "extraWorkApproved"}}, // R17, R18
		shared:   []string{"status"},
		computed: []string{"reviewedBy", "reviewedAt", "submittedAt", "photosPending"},
	},
	CollRevisitPlans: {
		review:   map[Role][]string{RoleLeader: {"reviewNote"}},
		computed: []string{"reviewedBy", "reviewedAt"},
	},
	CollTripLogs: {
		review:   map[Role][]string{RoleLeader: {"transportApproved", "reviewNote"}}, // R12, R13
		computed: []string{"reviewedBy", "reviewedAt", "submittedAt"},
	},
	CollReceipts: {
		review:   map[Role][]string{RoleLeader: {"reviewNote"}},
		computed: []string{"duplicateOf", "photosPending"}, // R16; docs/photos.md
	},
	CollWeeklyReports: {
		review:   map[Role][]string{RoleLeader: {"reviewNote"}},
		computed: []string{"submittedAt"}, // R1: the server's receipt time
	},
	CollPurchaseRequests: { // R14: leader, then purchasing and gm, then purchasing signs
		review: map[Role][]string{
			RoleLeader:     {"leaderDecision", "leaderNote"},
			RolePurchasing: {"purchasingDecision", "purchasingNote", "purchasingSignedOff"},
			RoleGM:         {"gmDecision", "gmNote"},
		},
		computed: []string{"status", "waitingFor", "waitingSince", "totalFen", "submittedAt", "duplicateOf", "photosPending"},
	},
	CollIncidents: {
		// photosPending: docs/photos.md; createdBy, countsIn, adjustmentOf: R1 and R5 (sync/compute).
		computed: []string{"photosPending", "createdBy", "countsIn", "adjustmentOf"},
	},
}

// FieldSet is a set of top-level field names, either "every field except Except" (All) or
// "only Only". Both lists are sorted.
type FieldSet struct {
	All    bool
	Except []string
	Only   []string
}

// Allows reports whether the set holds field.
func (f FieldSet) Allows(field string) bool {
	if f.All {
		return !slices.Contains(f.Except, field)
	}
	return slices.Contains(f.Only, field)
}

// IsEmpty reports whether the set holds no field at all.
func (f FieldSet) IsEmpty() bool { return !f.All && len(f.Only) == 0 }

// WritableFields returns the fields role may write in collection: with a create or update
// grant, every field but the server's, the computed ones and the review fields of others
// (shared ones excepted); with a review grant, its own review fields. Nothing for computed and
// account collections, nor for roles without a write grant.
func WritableFields(role Role, collection string) FieldSet {
	rules, known := collectionFields[collection]
	if !known {
		return FieldSet{}
	}
	mine := []string(nil)
	if grantOf(role, collection, ActionReview) != ScopeNone {
		mine = rules.review[role]
	}
	writesData := grantOf(role, collection, ActionCreate) != ScopeNone || grantOf(role, collection, ActionUpdate) != ScopeNone
	if !writesData {
		return FieldSet{Only: sortedSet(mine)}
	}
	except := slices.Concat(ServerFields, rules.computed)
	for r, fields := range rules.review {
		for _, f := range fields {
			if !slices.Contains(rules.shared, f) && (r != role || mine == nil) {
				except = append(except, f)
			}
		}
	}
	return FieldSet{All: true, Except: sortedSet(except)}
}

// Field-level refusal codes (Error.Fields values of CheckFields).
const (
	FieldComputed    = "computed"     // the server derives it: nobody writes it
	FieldNotWritable = "not_writable" // this role may not write it in this collection
)

// CheckFields returns nil when role may write every one of fields in collection, and otherwise a
// *Error with code forbidden whose Fields name each refused field with FieldComputed or
// FieldNotWritable.
func CheckFields(role Role, collection string, fields []string) error {
	allowed := WritableFields(role, collection)
	rules := collectionFields[collection]
	bad := map[string]string{}
	for _, f := range fields {
		switch {
		case allowed.Allows(f):
		case slices.Contains(ServerFields, f) || slices.Contains(rules.computed, f):
			bad[f] = FieldComputed
		default:
			bad[f] = FieldNotWritable
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf("a %s may not write these fields of %s", roleName(role), collection), Fields: bad}
}

// WriteAction names the action a write of fields to a record is: ActionCreate when the record
// does not exist yet, ActionReview when role reviews collection and every field is one of its
// review fields, ActionUpdate otherwise. Authorize it, then CheckFields.
func WriteAction(role Role, collection string, exists bool, fields []string) Action {
	if !exists {
		return ActionCreate
	}
	mine := collectionFields[collection].review[role]
	if grantOf(role, collection, ActionReview) == ScopeNone || len(mine) == 0 || len(fields) == 0 {
		return ActionUpdate
	}
	for _, f := range fields {
		if !slices.Contains(mine, f) {
			return ActionUpdate
		}
	}
	return ActionReview
}

// ConfidentialFields returns the customer-detail fields of collection (sorted; nil when none).
func ConfidentialFields(collection string) []string {
	return sortedSet(collectionFields[collection].confidential)
}

// Redact returns fields as p may see them in a record of collection that belongs to recordTeam:
// customer details (ConfidentialFields) are removed unless p is a technician or leader of that
// team (purchasing, gm, hr and admin are not team members). fields is never modified; when
// nothing is removed it is returned as is, otherwise a copy without the confidential fields.
func Redact(p Principal, collection, recordTeam string, fields map[string]any) map[string]any {
	hidden := collectionFields[collection].confidential
	if len(hidden) == 0 || (p.Role.InTeam() && p.TeamID != "" && p.TeamID == recordTeam) {
		return fields
	}
	out := maps.Clone(fields)
	for _, f := range hidden {
		delete(out, f)
	}
	return out
}

func sortedSet(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}
