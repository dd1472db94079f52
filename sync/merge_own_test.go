package sync

import "testing"

// TestOwnWritesDoNotConflict: a device that edits one field twice before it learns the version
// its first edit made sends both from the same base; the second is its own newer intent, not a
// conflict. Another device doing the same still conflicts. Both arrival orders of the two
// devices are checked.
func TestOwnWritesDoNotConflict(t *testing.T) {
	base := &State{Version: 1, Fields: map[string]any{"note": "a"}, FieldVersions: map[string]int64{"note": 1}}
	first := Mutation{Writer: "u1/phone", MutationID: "m1", Collection: "service_forms", ID: "f1", Op: OpUpsert,
		BaseVersion: 1, Fields: map[string]any{"note": "b"}}
	d := Merge(base, first, false)
	if d.Status != StatusApplied || d.Next.FieldWriters["note"] != "u1/phone" {
		t.Fatalf("first edit: %+v", d)
	}
	again := first
	again.MutationID, again.Fields = "m2", map[string]any{"note": "c"}
	if d2 := Merge(d.Next, again, false); d2.Status != StatusMerged || d2.Next.Fields["note"] != "c" {
		t.Fatalf("the same device's second edit from the old base: %+v", d2)
	}
	other := again
	other.Writer = "u1/tablet"
	if d3 := Merge(d.Next, other, false); d3.Status != StatusConflict || d3.Conflicts[0].ClientValue != "c" {
		t.Fatalf("another device's edit from the old base: %+v", d3)
	}
	// Reverse arrival: the tablet first, then the phone: the phone's edit now conflicts.
	dt := Merge(base, Mutation{Writer: "u1/tablet", MutationID: "t1", Collection: "service_forms", ID: "f1",
		Op: OpUpsert, BaseVersion: 1, Fields: map[string]any{"note": "t"}}, false)
	if dp := Merge(dt.Next, first, false); dp.Status != StatusConflict || dp.Next != nil {
		t.Fatalf("phone after tablet: %+v", dp)
	}
	// A locked record refuses even its last writer.
	if dl := Merge(d.Next, again, true); dl.Status != StatusConflict {
		t.Fatalf("locked: %+v", dl)
	}
}
