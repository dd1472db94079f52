package sync

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/fieldsync/fieldsync/domain"
)

// Merge decides what mutation m does to cur, the record as the server holds it (nil: no such
// record yet). locked reports whether the record refuses edits from devices (an approved service
// form, a record in a closed month); the caller decides that from the record and the policy.
//
// Merge is a pure, deterministic function: it reads no clock, depends on no map order, and never
// modifies cur or m. Next shares field values (nested maps and slices) with cur and m: all three
// are to be treated as immutable. The rules, in order:
//
//  1. m must pass Mutation.Validate, else StatusRejected (nothing written).
//  2. BaseVersion above the record's version (or above 0 for a missing record) is rejected: the
//     device claims a version the server never had (Err fields: "baseVersion").
//  3. For an upsert, a missing record is a tombstone at version 0 that every device has seen: it
//     creates the record at version 1 from the sent fields (as sent, nulls included, each at field
//     version 1; rule 7), StatusApplied.
//  4. Delete of a missing record writes an empty tombstone at version 1 (StatusApplied): deletes
//     never fail, and the tombstone is a record to hang the push receipt on, so that a resend is
//     answered as the first time. (It does not block a late create from base 0: that restores
//     the record under rule 7, as an update beats a concurrent delete.) Delete of a tombstone:
//     StatusApplied, nothing written (idempotent).
//  5. Delete of a locked record, or of a record whose version moved past BaseVersion: the update
//     wins, the delete is StatusConflict with one FieldConflict{DeletedField, false, true}, and
//     the record stays. Otherwise a tombstone: Deleted, version + 1, fields kept so that a
//     concurrent update can restore them.
//  6. Upsert, per field of m, in sorted order: a value equal to the server's (EqualValues;
//     absent reads as null) is no change and never a conflict. A different value conflicts if
//     the record is locked or if the field changed after BaseVersion (its field version >
//     BaseVersion) by another writer (a device's own later edit of a field it changed last is
//     not a conflict with itself); otherwise it is applied and its field version becomes the new
//     version.
//     Resolution is per field: the non-conflicting fields of a conflicting mutation ARE applied.
//  7. Upsert on a tombstone deleted after BaseVersion (the device never saw the delete): the
//     update wins over the concurrent delete, the record is restored with rule 6 applied to it
//     (StatusMerged, or StatusConflict if a field conflicted). Upsert on a tombstone the device
//     had seen (BaseVersion >= DeletedVersion): the record is re-created from m's fields alone,
//     the old values are cleared (StatusApplied). On a locked tombstone either is a conflict,
//     with FieldConflict{DeletedField, true, false} among the conflicts.
//  8. Locked records are never written: every change m would make is a conflict.
//  9. Nothing to change (a resend, a no-op) is StatusApplied with Next nil: the version does not
//     bump, so resends do not churn pulls. Everything conflicting is StatusConflict, Next nil.
//     Otherwise Next.Version is the current version + 1 and the status is StatusConflict if any
//     field conflicted, StatusApplied if BaseVersion was the current version, else
//     StatusMerged.
func Merge(cur *State, m Mutation, locked bool) Decision {
	if err := m.Validate(); err != nil {
		return Decision{Status: StatusRejected, Err: err}
	}
	if cur == nil {
		if m.BaseVersion > 0 {
			return reject(m.BaseVersion, fmt.Sprintf("is %d but the record does not exist", m.BaseVersion))
		}
		if m.Op == OpDelete && !locked {
			tomb := &State{Version: 1, Fields: map[string]any{}, FieldVersions: map[string]int64{},
				Deleted: true, DeletedVersion: 1}
			return Decision{Status: StatusApplied, Next: tomb}
		}
		// A missing record behaves as a tombstone at version 0 that every device has seen.
		cur = &State{Deleted: true}
	}
	if m.BaseVersion > cur.Version {
		why := fmt.Sprintf("is %d but the record is at version %d", m.BaseVersion, cur.Version)
		return reject(m.BaseVersion, why)
	}
	if m.Op == OpDelete {
		return remove(cur, m, locked)
	}
	return upsert(cur, m, locked)
}

// reject is a base version the server never had.
func reject(base int64, why string) Decision {
	err := domain.Invalid(fmt.Sprintf("base version %d is unknown to the server", base),
		map[string]string{"baseVersion": why})
	return Decision{Status: StatusRejected, Err: err}
}

// deleteConflict is the FieldConflict that reports a losing delete.
var deleteConflict = FieldConflict{Field: DeletedField, ServerValue: false, ClientValue: true}

// remove is a delete of an existing record or tombstone (rules 4 and 5).
func remove(cur *State, m Mutation, locked bool) Decision {
	switch {
	case cur.Deleted:
		return Decision{Status: StatusApplied}
	case locked || cur.Version > m.BaseVersion:
		return Decision{Status: StatusConflict, Conflicts: []FieldConflict{deleteConflict}}
	}
	next := cur.Clone()
	next.Version = cur.Version + 1
	next.Deleted, next.DeletedVersion = true, next.Version
	return Decision{Status: StatusApplied, Next: next}
}

// upsert is an upsert of an existing record or tombstone (rules 6 to 9).
func upsert(cur *State, m Mutation, locked bool) Decision {
	version := cur.Version + 1
	recreate := cur.Deleted && m.BaseVersion >= cur.DeletedVersion
	var changed []string
	var conflicts []FieldConflict
	if recreate {
		changed = recreated(cur, m.Fields)
	} else {
		for _, f := range slices.Sorted(maps.Keys(m.Fields)) {
			sv, cv := cur.Fields[f], m.Fields[f]
			switch {
			case EqualValues(sv, cv):
			case locked || (cur.fieldVersion(f) > m.BaseVersion && !ownWrite(cur, f, m.Writer)):
				conflicts = append(conflicts, FieldConflict{Field: f, ServerValue: sv, ClientValue: cv})
			default:
				changed = append(changed, f)
			}
		}
	}

	if locked {
		// Nothing is written; every change this mutation would make is reported as lost.
		if len(changed) == 0 && len(conflicts) == 0 && !cur.Deleted {
			return Decision{Status: StatusApplied}
		}
		if recreate {
			for _, f := range slices.Sorted(maps.Keys(m.Fields)) {
				if sv, cv := cur.Fields[f], m.Fields[f]; !EqualValues(sv, cv) {
					conflicts = append(conflicts, FieldConflict{Field: f, ServerValue: sv, ClientValue: cv})
				}
			}
		}
		if cur.Deleted {
			conflicts = append(conflicts, FieldConflict{Field: DeletedField, ServerValue: true, ClientValue: false})
			slices.SortFunc(conflicts, func(a, b FieldConflict) int { return cmp.Compare(a.Field, b.Field) })
		}
		return Decision{Status: StatusConflict, Conflicts: conflicts}
	}

	if len(changed) == 0 && !cur.Deleted {
		if len(conflicts) > 0 {
			return Decision{Status: StatusConflict, Conflicts: conflicts}
		}
		return Decision{Status: StatusApplied}
	}

	next := cur.Clone()
	next.Version = version
	next.Deleted, next.DeletedVersion = false, 0
	if recreate {
		// The device saw the delete: the record is new, built from the sent fields alone. Every
		// field that is sent or cleared changes at this version.
		for f := range cur.Fields {
			next.FieldVersions[f] = version
		}
		next.Fields = maps.Clone(m.Fields)
		if next.Fields == nil {
			next.Fields = map[string]any{}
		}
		next.FieldWriters = map[string]string{}
		for f := range m.Fields {
			next.FieldVersions[f] = version
			setWriter(next, f, m.Writer)
		}
	} else {
		for _, f := range changed {
			next.Fields[f] = m.Fields[f]
			next.FieldVersions[f] = version
			setWriter(next, f, m.Writer)
		}
	}

	status := StatusMerged
	switch {
	case len(conflicts) > 0:
		status = StatusConflict
	case m.BaseVersion == cur.Version:
		status = StatusApplied
	}
	return Decision{Status: status, Next: next, Changed: changed, Conflicts: conflicts}
}

// ownWrite reports whether field f's latest change on the server came from writer itself: a
// device's own later edit of a field it wrote is never a conflict with itself (its edits are
// ordered on the device), even when it was sent before the device learned the new version.
func ownWrite(cur *State, f, writer string) bool {
	return writer != "" && cur.FieldWriters[f] == writer
}

// setWriter records who changed field f last ("" forgets it).
func setWriter(s *State, f, writer string) {
	if writer == "" {
		delete(s.FieldWriters, f)
		return
	}
	s.FieldWriters[f] = writer
}

// recreated lists, sorted, the fields whose value changes when a tombstone is replaced by sent.
func recreated(cur *State, sent map[string]any) []string {
	var changed []string
	names := append(slices.Collect(maps.Keys(cur.Fields)), slices.Collect(maps.Keys(sent))...)
	slices.Sort(names)
	for _, f := range slices.Compact(names) {
		if !EqualValues(cur.Fields[f], sent[f]) {
			changed = append(changed, f)
		}
	}
	return changed
}
