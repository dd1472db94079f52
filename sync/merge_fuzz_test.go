package sync

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/fieldsync/fieldsync/domain"
)

// fuzzFlags are the bits of FuzzMerge's flags argument.
const (
	fuzzExists    = 1 << iota // the record exists
	fuzzDeleted               // ... as a tombstone
	fuzzLocked                // the record is locked
	fuzzDelete                // the mutation is a delete
	fuzzUseNumber             // the mutation's fields are decoded with UseNumber
	fuzzLegacy                // fields whose shape byte is 0 have no field version
)

// FuzzMerge builds a record from curJSON and shape (version, field versions), a mutation from
// mutJSON and base, and checks the invariants of Merge. Run: go test -fuzz FuzzMerge ./sync
func FuzzMerge(f *testing.F) {
	f.Add(`{"a":1,"b":"x","c":[1,{"d":2}]}`, `{"a":2,"c":[1,{"d":2.0}]}`, []byte{3, 1, 2, 3}, uint8(2), uint8(fuzzExists))
	f.Add(`{"a":1,"b":"x"}`, `{"a":1.0,"b":"y","e":null}`, []byte{5, 5, 1}, uint8(1), uint8(fuzzExists|fuzzUseNumber))
	f.Add(`{"a":1}`, `{"a":2}`, []byte{4, 4}, uint8(2), uint8(fuzzExists|fuzzDeleted))
	f.Add(`{"a":1}`, `{"a":2}`, []byte{4, 4}, uint8(4), uint8(fuzzExists|fuzzDeleted))
	f.Add(`{"a":1}`, `{}`, []byte{2, 0}, uint8(1), uint8(fuzzExists|fuzzDelete))
	f.Add(`{"a":1}`, `{"a":3}`, []byte{2, 0}, uint8(1), uint8(fuzzExists|fuzzLegacy))
	f.Add(`{"a":1}`, `{"a":3,"b":4}`, []byte{2, 2}, uint8(2), uint8(fuzzExists|fuzzLocked))
	f.Add(`{}`, `{"a":3,"$b":4}`, []byte{}, uint8(0), uint8(0))
	f.Add(`{}`, `{"a":{"b":{"c":1e308}}}`, []byte{}, uint8(0), uint8(fuzzUseNumber))
	f.Fuzz(func(t *testing.T, curJSON, mutJSON string, shape []byte, baseByte, flags uint8) {
		cur := fuzzState(curJSON, shape, flags)
		var version int64
		if cur != nil {
			version = cur.Version
		}
		m := upsertM(int64(baseByte)%(version+3)-1, decodeObject(mutJSON, flags&fuzzUseNumber != 0))
		if flags&fuzzDelete != 0 {
			m.Op = OpDelete
		}
		locked := flags&fuzzLocked != 0
		before, mBefore := snapshot(cur), snapshot(&State{Fields: m.Fields})
		d := Merge(cur, m, locked)
		if snapshot(cur) != before || snapshot(&State{Fields: m.Fields}) != mBefore {
			t.Fatal("Merge modified its input")
		}
		checkDecision(t, cur, m, locked, d)
		if again := Merge(cur, m, locked); decisionString(again) != decisionString(d) {
			t.Fatalf("not deterministic:\n%s\n%s", decisionString(d), decisionString(again))
		}
		if d.Next != nil {
			// A resend of a mutation already merged changes nothing.
			if re := Merge(d.Next, m, locked); re.Next != nil {
				t.Fatalf("resend wrote again: %s after %s", decisionString(re), decisionString(d))
			}
		}
	})
}

// decodeObject decodes s as a JSON object, or returns nil.
func decodeObject(s string, useNumber bool) map[string]any {
	d := json.NewDecoder(strings.NewReader(s))
	if useNumber {
		d.UseNumber()
	}
	var m map[string]any
	if d.Decode(&m) != nil {
		return nil
	}
	return m
}

// fuzzState is the record FuzzMerge starts from, or nil.
func fuzzState(curJSON string, shape []byte, flags uint8) *State {
	if flags&fuzzExists == 0 {
		return nil
	}
	byteAt := func(i int) byte {
		if i < len(shape) {
			return shape[i]
		}
		return 255
	}
	s := &State{Version: 1 + int64(byteAt(0)%7), Fields: decodeObject(curJSON, false), FieldVersions: map[string]int64{}}
	for i, f := range slices.Sorted(maps.Keys(s.Fields)) {
		b := byteAt(i + 1)
		if b == 0 && flags&fuzzLegacy != 0 {
			continue
		}
		s.FieldVersions[f] = int64(b) % (s.Version + 1)
	}
	if b := byteAt(len(s.Fields) + 1); b != 255 {
		s.FieldVersions["cleared"] = int64(b) % (s.Version + 1) // a field set to nothing earlier
	}
	if flags&fuzzDeleted != 0 {
		s.Deleted, s.DeletedVersion = true, s.Version
	}
	return s
}

func snapshot(s *State) string {
	if s == nil {
		return "nil"
	}
	var b strings.Builder
	canonical(&b, []any{s.Version, s.Deleted, s.DeletedVersion, s.Fields, s.FieldVersions})
	return b.String()
}

func decisionString(d Decision) string {
	var b strings.Builder
	b.WriteString(string(d.Status) + " changed=" + strings.Join(d.Changed, ","))
	for _, c := range d.Conflicts {
		b.WriteString(" conflict " + c.Field + " ")
		canonical(&b, []any{c.ServerValue, c.ClientValue})
	}
	if d.Err != nil {
		b.WriteString(" err=" + d.Err.Error())
		canonical(&b, domain.ErrorFields(d.Err))
	}
	if n := d.Next; n != nil {
		b.WriteString(" next ")
		canonical(&b, []any{n.Version, n.Deleted, n.DeletedVersion, n.Fields})
		for _, f := range slices.Sorted(maps.Keys(n.FieldVersions)) {
			canonical(&b, []any{f, n.FieldVersions[f]})
		}
	}
	return b.String()
}

// checkDecision asserts the invariants of one Merge.
func checkDecision(t *testing.T, cur *State, m Mutation, locked bool, d Decision) {
	t.Helper()
	var curFields map[string]any
	var curVersion int64
	if cur != nil {
		curFields, curVersion = cur.Fields, cur.Version
	}
	wantReject := m.Validate() != nil || m.BaseVersion > curVersion
	if (d.Status == StatusRejected) != wantReject || (d.Err != nil) != wantReject {
		t.Fatalf("rejected = %v, want %v: %s", d.Status == StatusRejected, wantReject, decisionString(d))
	}
	if wantReject {
		if d.Next != nil || d.Changed != nil || d.Conflicts != nil || domain.ErrorCode(d.Err) != domain.CodeInvalid {
			t.Fatalf("a rejection wrote or reported something: %s", decisionString(d))
		}
		return
	}
	switch {
	case d.Status != StatusApplied && d.Status != StatusMerged && d.Status != StatusConflict:
		t.Fatalf("unknown status %q", d.Status)
	case (d.Status == StatusConflict) != (len(d.Conflicts) > 0):
		t.Fatalf("status %s with %d conflicts", d.Status, len(d.Conflicts))
	case d.Status == StatusMerged && d.Next == nil:
		t.Fatal("merged without writing")
	case locked && d.Next != nil:
		t.Fatalf("a locked record was written: %s", decisionString(d))
	case !slices.IsSorted(d.Changed) || len(slices.Compact(slices.Clone(d.Changed))) != len(d.Changed):
		t.Fatalf("changed not sorted and unique: %q", d.Changed)
	case !slices.IsSortedFunc(d.Conflicts, func(a, b FieldConflict) int { return strings.Compare(a.Field, b.Field) }):
		t.Fatalf("conflicts not sorted: %v", d.Conflicts)
	}
	n := d.Next
	if n == nil {
		if len(d.Changed) > 0 {
			t.Fatalf("changed %q without writing", d.Changed)
		}
	} else {
		if n.Version != curVersion+1 || n.Fields == nil || n.FieldVersions == nil {
			t.Fatalf("next version %d from %d (or nil maps)", n.Version, curVersion)
		}
		if n.Deleted != (n.DeletedVersion == n.Version) || (!n.Deleted && n.DeletedVersion != 0) {
			t.Fatalf("deleted %v at %d in version %d", n.Deleted, n.DeletedVersion, n.Version)
		}
		// Changed is exactly the set of fields whose value differs.
		var differ []string
		for f := range joinKeys(curFields, n.Fields) {
			if !EqualValues(curFields[f], n.Fields[f]) {
				differ = append(differ, f)
			}
		}
		slices.Sort(differ)
		if !slices.Equal(differ, d.Changed) {
			t.Fatalf("changed %q, but the values of %q differ", d.Changed, differ)
		}
		for f, v := range n.FieldVersions {
			old, had := int64(0), false
			if cur != nil {
				old, had = cur.FieldVersions[f]
			}
			if v != n.Version && (!had || v != old) {
				t.Fatalf("field version of %s is %d (was %d), next version %d", f, v, old, n.Version)
			}
		}
		for _, f := range d.Changed {
			if n.FieldVersions[f] != n.Version {
				t.Fatalf("changed %s kept field version %d", f, n.FieldVersions[f])
			}
		}
		// No field changed after the base is overwritten with a different value.
		if cur != nil {
			for f := range cur.Fields {
				if cur.fieldVersion(f) > m.BaseVersion && !EqualValues(cur.Fields[f], n.Fields[f]) {
					t.Fatalf("%s changed at %d > base %d was overwritten", f, cur.fieldVersion(f), m.BaseVersion)
				}
			}
		}
	}
	if m.Op == OpDelete {
		if len(d.Changed) > 0 || (n != nil && !n.Deleted) {
			t.Fatalf("a delete changed fields or did not delete: %s", decisionString(d))
		}
		return
	}
	// Every field of the mutation is changed, a conflict or already equal; a conflict keeps the
	// server's value, anything else ends with the client's.
	for f, v := range m.Fields {
		i := slices.IndexFunc(d.Conflicts, func(c FieldConflict) bool { return c.Field == f })
		switch {
		case i >= 0:
			c := d.Conflicts[i]
			if !EqualValues(c.ClientValue, v) || !EqualValues(c.ServerValue, curFields[f]) || EqualValues(c.ServerValue, c.ClientValue) {
				t.Fatalf("conflict %v for %s=%v on server %v", c, f, v, curFields[f])
			}
			if n != nil && !EqualValues(n.Fields[f], curFields[f]) {
				t.Fatalf("conflicting %s was written", f)
			}
		case slices.Contains(d.Changed, f):
			if !EqualValues(n.Fields[f], v) {
				t.Fatalf("changed %s is %v, want %v", f, n.Fields[f], v)
			}
		case !EqualValues(curFields[f], v):
			t.Fatalf("%s=%v is neither changed, a conflict nor equal to %v", f, v, curFields[f])
		}
	}
}

func joinKeys(a, b map[string]any) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}
