package sync

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// form is a service form at version 3: customer and fee written at 1, parts at 2, outcome at 3.
func form() *State {
	return &State{
		Version: 3,
		Fields: map[string]any{
			"customer": "Li", "outcome": "draft", "fee": float64(5000),
			"parts": []any{map[string]any{"name": "belt", "qty": float64(1)}},
		},
		FieldVersions: map[string]int64{"customer": 1, "fee": 1, "parts": 2, "outcome": 3},
	}
}

// tombstone is form deleted at version 4.
func tombstone() *State {
	s := form()
	s.Version, s.Deleted, s.DeletedVersion = 4, true, 4
	return s
}

func upsertM(base int64, fields map[string]any) Mutation {
	return Mutation{MutationID: "m-1", Collection: "service_forms", ID: "rec-1", Op: OpUpsert,
		BaseVersion: base, Fields: fields, ClientTime: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func deleteM(base int64) Mutation {
	m := upsertM(base, nil)
	m.Op = OpDelete
	return m
}

// with returns form's fields with the changes applied (nil values are kept as null).
func with(base *State, changes map[string]any) map[string]any {
	f := maps.Clone(base.Fields)
	maps.Copy(f, changes)
	return f
}

// fvWith returns form's field versions with the given fields at version v.
func fvWith(base *State, v int64, fields ...string) map[string]int64 {
	fv := maps.Clone(base.FieldVersions)
	for _, f := range fields {
		fv[f] = v
	}
	return fv
}

func TestMerge(t *testing.T) {
	parts2 := []any{map[string]any{"name": "belt", "qty": float64(2)}}
	tests := []struct {
		name          string
		cur           *State
		m             Mutation
		locked        bool
		want          Status
		wantNext      *State // nil: nothing written
		wantChanged   []string
		wantConflicts []FieldConflict
		wantErrFields []string // for rejected
	}{
		{name: "create", m: upsertM(0, map[string]any{"b": float64(2), "a": "x"}), want: StatusApplied,
			wantNext:    &State{Version: 1, Fields: map[string]any{"a": "x", "b": float64(2)}, FieldVersions: map[string]int64{"a": 1, "b": 1}},
			wantChanged: []string{"a", "b"}},
		{name: "create keeps a null field but it changes nothing", m: upsertM(0, map[string]any{"a": "x", "n": nil}), want: StatusApplied,
			wantNext:    &State{Version: 1, Fields: map[string]any{"a": "x", "n": nil}, FieldVersions: map[string]int64{"a": 1, "n": 1}},
			wantChanged: []string{"a"}},
		{name: "create of an empty record", m: upsertM(0, nil), want: StatusApplied,
			wantNext: &State{Version: 1, Fields: map[string]any{}, FieldVersions: map[string]int64{}}},
		{name: "missing record with a base version is rejected", m: upsertM(2, map[string]any{"a": "x"}),
			want: StatusRejected, wantErrFields: []string{"baseVersion"}},
		{name: "delete of a missing record writes a tombstone", m: deleteM(0), want: StatusApplied,
			wantNext: &State{Version: 1, Fields: map[string]any{}, FieldVersions: map[string]int64{}, Deleted: true, DeletedVersion: 1}},
		{name: "delete of a missing locked record writes nothing", m: deleteM(0), locked: true, want: StatusApplied},
		{name: "create after a delete of a missing record restores it", cur: &State{Version: 1, Deleted: true, DeletedVersion: 1},
			m: upsertM(0, map[string]any{"a": "x"}), want: StatusMerged,
			wantNext: &State{Version: 2, Fields: map[string]any{"a": "x"}, FieldVersions: map[string]int64{"a": 2}}, wantChanged: []string{"a"}},
		{name: "delete of a missing record with a base version is rejected", m: deleteM(1),
			want: StatusRejected, wantErrFields: []string{"baseVersion"}},
		{name: "create on a locked missing record is a conflict", m: upsertM(0, map[string]any{"a": "x", "n": nil}), locked: true,
			want: StatusConflict, wantConflicts: []FieldConflict{{"a", nil, "x"}, {DeletedField, true, false}}},
		{name: "operator name rejected", cur: form(), m: upsertM(3, map[string]any{"$set": "x", "ok": 1}),
			want: StatusRejected, wantErrFields: []string{"fields.$set"}},
		{name: "operator hidden in a nested object rejected", cur: form(),
			m:    upsertM(3, map[string]any{"parts": []any{map[string]any{"qty": map[string]any{"$gt": 0}}}}),
			want: StatusRejected, wantErrFields: []string{"fields.parts[0].qty.$gt"}},
		{name: "reserved name rejected", cur: form(), m: upsertM(3, map[string]any{"version": 9}),
			want: StatusRejected, wantErrFields: []string{"fields.version"}},
		{name: "bad op and negative base rejected", cur: form(), m: Mutation{MutationID: "m", Collection: "c", ID: "r", Op: "patch", BaseVersion: -1},
			want: StatusRejected, wantErrFields: []string{"baseVersion", "op"}},
		{name: "base version from the future rejected", cur: form(), m: upsertM(4, map[string]any{"fee": 1}),
			want: StatusRejected, wantErrFields: []string{"baseVersion"}},
		{name: "current base applied, only that field versioned", cur: form(), m: upsertM(3, map[string]any{"outcome": "completed"}),
			want:        StatusApplied,
			wantNext:    &State{Version: 4, Fields: with(form(), map[string]any{"outcome": "completed"}), FieldVersions: fvWith(form(), 4, "outcome")},
			wantChanged: []string{"outcome"}},
		{name: "resend changes nothing and does not bump the version", cur: form(), m: upsertM(3, map[string]any{"outcome": "draft"}),
			want: StatusApplied},
		{name: "stale base, field untouched since: merged", cur: form(), m: upsertM(2, map[string]any{"customer": "Wang"}),
			want:        StatusMerged,
			wantNext:    &State{Version: 4, Fields: with(form(), map[string]any{"customer": "Wang"}), FieldVersions: fvWith(form(), 4, "customer")},
			wantChanged: []string{"customer"}},
		{name: "stale base, field changed since: conflict, server stands", cur: form(), m: upsertM(2, map[string]any{"outcome": "completed"}),
			want: StatusConflict, wantConflicts: []FieldConflict{{"outcome", "draft", "completed"}}},
		{name: "stale base, field changed since to the same value: no conflict", cur: form(), m: upsertM(2, map[string]any{"outcome": "draft"}),
			want: StatusApplied},
		{name: "partial conflict still applies the other fields", cur: form(),
			m:             upsertM(2, map[string]any{"outcome": "completed", "fee": float64(6000)}),
			want:          StatusConflict,
			wantNext:      &State{Version: 4, Fields: with(form(), map[string]any{"fee": float64(6000)}), FieldVersions: fvWith(form(), 4, "fee")},
			wantChanged:   []string{"fee"},
			wantConflicts: []FieldConflict{{"outcome", "draft", "completed"}}},
		{name: "base 0 on an existing id is a conflict check, not an overwrite", cur: form(), m: upsertM(0, map[string]any{"customer": "Wang"}),
			want: StatusConflict, wantConflicts: []FieldConflict{{"customer", "Li", "Wang"}}},
		{name: "base 0 adding a new field merges", cur: form(), m: upsertM(0, map[string]any{"note": "ok"}),
			want:        StatusMerged,
			wantNext:    &State{Version: 4, Fields: with(form(), map[string]any{"note": "ok"}), FieldVersions: fvWith(form(), 4, "note")},
			wantChanged: []string{"note"}},
		{name: "numbers compare by value across types", cur: form(), m: upsertM(0, map[string]any{"fee": json.Number("5.0e3")}),
			want: StatusApplied},
		{name: "nested value is one field and key order does not matter", cur: form(),
			m:    upsertM(1, map[string]any{"parts": []any{map[string]any{"qty": json.Number("1"), "name": "belt"}}}),
			want: StatusApplied},
		{name: "nested value changed since base conflicts as a whole", cur: form(), m: upsertM(1, map[string]any{"parts": parts2}),
			want: StatusConflict, wantConflicts: []FieldConflict{{"parts", form().Fields["parts"], parts2}}},
		{name: "null clears a field", cur: form(), m: upsertM(3, map[string]any{"fee": nil}),
			want:        StatusApplied,
			wantNext:    &State{Version: 4, Fields: with(form(), map[string]any{"fee": nil}), FieldVersions: fvWith(form(), 4, "fee")},
			wantChanged: []string{"fee"}},
		{name: "null on an absent field changes nothing", cur: form(), m: upsertM(3, map[string]any{"note": nil}),
			want: StatusApplied},
		{name: "legacy field without a field version counts as changed at the current version",
			cur:  &State{Version: 5, Fields: map[string]any{"a": "x"}},
			m:    upsertM(4, map[string]any{"a": "y"}),
			want: StatusConflict, wantConflicts: []FieldConflict{{"a", "x", "y"}}},
		{name: "locked: every change is a conflict, nothing written", cur: form(), locked: true,
			m:    upsertM(3, map[string]any{"outcome": "completed", "fee": float64(5000), "note": "late"}),
			want: StatusConflict, wantConflicts: []FieldConflict{{"note", nil, "late"}, {"outcome", "draft", "completed"}}},
		{name: "locked: a resend is still applied", cur: form(), locked: true, m: upsertM(3, map[string]any{"outcome": "draft"}),
			want: StatusApplied},
		{name: "delete at the current version writes a tombstone keeping the fields", cur: form(), m: deleteM(3),
			want:     StatusApplied,
			wantNext: &State{Version: 4, Fields: form().Fields, FieldVersions: form().FieldVersions, Deleted: true, DeletedVersion: 4}},
		{name: "delete ignores fields", cur: form(), m: Mutation{MutationID: "m", Collection: "c", ID: "r", Op: OpDelete, BaseVersion: 3, Fields: map[string]any{"$x": 1}},
			want:     StatusApplied,
			wantNext: &State{Version: 4, Fields: form().Fields, FieldVersions: form().FieldVersions, Deleted: true, DeletedVersion: 4}},
		{name: "delete of a record updated since base: the update wins", cur: form(), m: deleteM(2),
			want: StatusConflict, wantConflicts: []FieldConflict{{DeletedField, false, true}}},
		{name: "delete of a locked record conflicts", cur: form(), m: deleteM(3), locked: true,
			want: StatusConflict, wantConflicts: []FieldConflict{{DeletedField, false, true}}},
		{name: "delete of a tombstone is idempotent", cur: tombstone(), m: deleteM(0), want: StatusApplied},
		{name: "upsert on a tombstone deleted after base restores it", cur: tombstone(), m: upsertM(3, map[string]any{"fee": float64(7000)}),
			want:        StatusMerged,
			wantNext:    &State{Version: 5, Fields: with(form(), map[string]any{"fee": float64(7000)}), FieldVersions: fvWith(form(), 5, "fee")},
			wantChanged: []string{"fee"}},
		{name: "restore with a field conflict", cur: tombstone(), m: upsertM(2, map[string]any{"outcome": "completed"}),
			want:          StatusConflict,
			wantNext:      &State{Version: 5, Fields: form().Fields, FieldVersions: form().FieldVersions},
			wantConflicts: []FieldConflict{{"outcome", "draft", "completed"}}},
		{name: "upsert after a seen delete re-creates from the sent fields", cur: tombstone(), m: upsertM(4, map[string]any{"customer": "Zhao", "fee": float64(5000)}),
			want: StatusApplied,
			wantNext: &State{Version: 5, Fields: map[string]any{"customer": "Zhao", "fee": float64(5000)},
				FieldVersions: map[string]int64{"customer": 5, "fee": 5, "outcome": 5, "parts": 5}},
			wantChanged: []string{"customer", "outcome", "parts"}},
		{name: "locked tombstone: the restore is a conflict", cur: tombstone(), locked: true, m: upsertM(3, map[string]any{"fee": float64(7000)}),
			want: StatusConflict, wantConflicts: []FieldConflict{{DeletedField, true, false}, {"fee", float64(5000), float64(7000)}}},
		{name: "locked tombstone: the re-create is a conflict", cur: tombstone(), locked: true, m: upsertM(4, map[string]any{"zz": 1}),
			want: StatusConflict, wantConflicts: []FieldConflict{{DeletedField, true, false}, {"zz", nil, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Merge(tc.cur, tc.m, tc.locked)
			if d.Status != tc.want {
				t.Fatalf("status = %s, want %s (err %v)", d.Status, tc.want, d.Err)
			}
			checkNext(t, d.Next, tc.wantNext)
			if !slices.Equal(d.Changed, tc.wantChanged) {
				t.Errorf("changed = %q, want %q", d.Changed, tc.wantChanged)
			}
			checkConflicts(t, d.Conflicts, tc.wantConflicts)
			if tc.want != StatusRejected {
				if d.Err != nil {
					t.Errorf("err = %v, want nil", d.Err)
				}
				return
			}
			if domain.ErrorCode(d.Err) != domain.CodeInvalid {
				t.Fatalf("err = %v, want code invalid", d.Err)
			}
			if got := slices.Sorted(maps.Keys(domain.ErrorFields(d.Err))); !slices.Equal(got, tc.wantErrFields) {
				t.Errorf("error fields = %q, want %q", got, tc.wantErrFields)
			}
		})
	}
}

func checkNext(t *testing.T, got, want *State) {
	t.Helper()
	switch {
	case got == nil && want == nil:
		return
	case got == nil || want == nil:
		t.Fatalf("next = %+v, want %+v", got, want)
	}
	if got.Version != want.Version || got.Deleted != want.Deleted || got.DeletedVersion != want.DeletedVersion {
		t.Errorf("next version/deleted = %d/%v/%d, want %d/%v/%d", got.Version, got.Deleted, got.DeletedVersion,
			want.Version, want.Deleted, want.DeletedVersion)
	}
	if !EqualValues(got.Fields, want.Fields) || len(got.Fields) != len(want.Fields) {
		t.Errorf("next fields = %v, want %v", got.Fields, want.Fields)
	}
	if !maps.Equal(got.FieldVersions, want.FieldVersions) {
		t.Errorf("next field versions = %v, want %v", got.FieldVersions, want.FieldVersions)
	}
}

func checkConflicts(t *testing.T, got, want []FieldConflict) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("conflicts = %v, want %v", got, want)
	}
	for i := range got {
		if got[i].Field != want[i].Field || !EqualValues(got[i].ServerValue, want[i].ServerValue) ||
			!EqualValues(got[i].ClientValue, want[i].ClientValue) {
			t.Errorf("conflict %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestMergeRace runs two mutations made from one base in both arrival orders.
func TestMergeRace(t *testing.T) {
	tests := []struct {
		name     string
		cur      *State
		locked   bool
		a, b     Mutation
		want     [2]Status // statuses of the first and the second to arrive, a then b
		wantBA   [2]Status // the same for b then a, when it differs from want
		converge bool      // both orders end with the same fields and deleted flag
	}{
		{name: "disjoint fields", cur: form(),
			a: upsertM(3, map[string]any{"outcome": "submitted"}), b: upsertM(3, map[string]any{"fee": float64(6000)}),
			want: [2]Status{StatusApplied, StatusMerged}, converge: true},
		{name: "same field, different values: first to arrive stands", cur: form(),
			a: upsertM(3, map[string]any{"outcome": "submitted"}), b: upsertM(3, map[string]any{"outcome": "completed"}),
			want: [2]Status{StatusApplied, StatusConflict}},
		{name: "same field, same value", cur: form(),
			a: upsertM(3, map[string]any{"outcome": "submitted"}), b: upsertM(3, map[string]any{"outcome": "submitted"}),
			want: [2]Status{StatusApplied, StatusApplied}, converge: true},
		{name: "overlapping fields", cur: form(),
			a:    upsertM(3, map[string]any{"outcome": "submitted", "fee": float64(6000)}),
			b:    upsertM(3, map[string]any{"outcome": "completed", "note": "n"}),
			want: [2]Status{StatusApplied, StatusConflict}},
		{name: "update against delete: the update wins", cur: form(),
			a: upsertM(3, map[string]any{"fee": float64(6000)}), b: deleteM(3),
			want:   [2]Status{StatusApplied, StatusConflict},
			wantBA: [2]Status{StatusApplied, StatusMerged}, converge: true},
		{name: "delete against delete", cur: form(), a: deleteM(3), b: deleteM(3),
			want: [2]Status{StatusApplied, StatusApplied}, converge: true},
		{name: "locked record refuses both", cur: form(), locked: true,
			a: upsertM(3, map[string]any{"fee": float64(1)}), b: deleteM(3),
			want: [2]Status{StatusConflict, StatusConflict}, converge: true},
		{name: "two creates of one id, different fields", a: upsertM(0, map[string]any{"x": 1}), b: upsertM(0, map[string]any{"y": 2}),
			want: [2]Status{StatusApplied, StatusMerged}, converge: true},
		{name: "two creates of one id, same field", a: upsertM(0, map[string]any{"x": 1}), b: upsertM(0, map[string]any{"x": 2}),
			want: [2]Status{StatusApplied, StatusConflict}},
		{name: "resent create", a: upsertM(0, map[string]any{"x": 1}), b: upsertM(0, map[string]any{"x": json.Number("1.0")}),
			want: [2]Status{StatusApplied, StatusApplied}, converge: true},
	}
	for _, tc := range tests {
		finals := [2]*State{}
		for order, pair := range [2][2]Mutation{{tc.a, tc.b}, {tc.b, tc.a}} {
			t.Run(tc.name+[]string{"/a then b", "/b then a"}[order], func(t *testing.T) {
				state := tc.cur.Clone()
				var ds [2]Decision
				for i, m := range pair {
					ds[i] = Merge(state, m, tc.locked)
					if ds[i].Next != nil {
						state = ds[i].Next
					}
				}
				finals[order] = state
				want := tc.want
				if order == 1 && tc.wantBA != [2]Status{} {
					want = tc.wantBA
				}
				if ds[0].Status != want[0] || ds[1].Status != want[1] {
					t.Errorf("statuses = %s, %s; want %v", ds[0].Status, ds[1].Status, want)
				}
				checkNothingLost(t, state, pair, ds)
			})
		}
		if tc.converge {
			t.Run(tc.name+"/converges", func(t *testing.T) {
				a, b := finals[0], finals[1]
				if a == nil || b == nil {
					if a != b {
						t.Fatalf("finals differ: %+v vs %+v", a, b)
					}
					return
				}
				if !EqualValues(a.Fields, b.Fields) || a.Deleted != b.Deleted {
					t.Errorf("finals differ:\n%+v\n%+v", a, b)
				}
			})
		}
	}
}

// checkNothingLost asserts that every value an upsert sent is either in the final state or in
// its decision's conflicts, and that wherever a conflict was reported the server's value stood.
// Deletes are checked by the statuses and the convergence of the table.
func checkNothingLost(t *testing.T, final *State, ms [2]Mutation, ds [2]Decision) {
	t.Helper()
	for i, m := range ms {
		for _, c := range ds[i].Conflicts {
			if c.Field != DeletedField && (final == nil || !EqualValues(final.Fields[c.Field], c.ServerValue)) {
				t.Errorf("mutation %d: conflict on %s but the final value is not the server's %v", i, c.Field, c.ServerValue)
			}
		}
		if m.Op == OpDelete {
			continue
		}
		for f, v := range m.Fields {
			inFinal := final != nil && EqualValues(final.Fields[f], v)
			logged := slices.ContainsFunc(ds[i].Conflicts, func(c FieldConflict) bool {
				return c.Field == f && EqualValues(c.ClientValue, v)
			})
			if !inFinal && !logged {
				t.Errorf("mutation %d: %s=%v neither kept nor logged as a conflict", i, f, v)
			}
		}
	}
}

// BenchmarkMerge is one typical push: a stale form, two fields changed, one of them conflicting.
func BenchmarkMerge(b *testing.B) {
	cur := form()
	m := upsertM(2, map[string]any{"outcome": "completed", "parts": []any{
		map[string]any{"name": "belt", "qty": json.Number("2"), "unitPrice": json.Number("1250")},
	}})
	for b.Loop() {
		if d := Merge(cur, m, false); d.Status != StatusConflict {
			b.Fatal(d.Status)
		}
	}
}
