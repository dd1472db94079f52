package sync

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fieldsync/fieldsync/domain"
)

func TestValidateFieldName(t *testing.T) {
	tests := []struct {
		name  string
		field string
		ok    bool
	}{
		{"plain", "arrivalTime", true},
		{"snake case", "parts_used", true},
		{"unicode", "客户签名", true},
		{"64 bytes", strings.Repeat("a", 64), true},
		{"65 bytes", strings.Repeat("a", 65), false},
		{"empty", "", false},
		{"operator", "$where", false},
		{"dollar inside is fine", "price$", true},
		{"dot path", "parts.0.qty", false},
		{"trailing dot", "a.", false},
		{"NUL", "a\x00b", false},
		{"invalid UTF-8", "a\xffb", false},
		{"reserved", "version", false},
		{"reserved, other case", "UpdatedAt", false},
		{"reserved _id", "_id", false},
		{"client library bookkeeping", "_deleted", false},
		{"reserved fieldVersions", "fieldversions", false},
		{"not reserved: prefix only", "versionNote", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateFieldName(tc.field)
			if tc.ok {
				if err != nil {
					t.Fatalf("ValidateFieldName(%q) = %v, want nil", tc.field, err)
				}
				return
			}
			if domain.ErrorCode(err) != domain.CodeInvalid || len(domain.ErrorFields(err)) != 1 {
				t.Fatalf("ValidateFieldName(%q) = %v, want invalid with one field message", tc.field, err)
			}
		})
	}
}

func TestValidateFields(t *testing.T) {
	deep := any("leaf")
	for range MaxDepth {
		deep = []any{deep}
	}
	tests := []struct {
		name   string
		fields map[string]any
		want   []string // error paths; nil: valid
	}{
		{name: "nil", fields: nil},
		{name: "a service form", fields: map[string]any{
			"outcome": "completed", "fee": json.Number("12000"), "signed": true, "note": nil,
			"parts": []any{map[string]any{"id": "p1", "name": "belt", "qty": float64(2), "_x": "nested names may be reserved"}},
		}},
		{name: "Go integers", fields: map[string]any{"qty": 2, "big": uint64(math.MaxUint64)}},
		{name: "every bad top-level name", fields: map[string]any{"$set": 1, "a.b": 1, "": 1, "id": 1, "_rev": 1},
			want: []string{`""`, `"a.b"`, "$set", "_rev", "id"}},
		{name: "operator in a nested object", fields: map[string]any{"q": map[string]any{"a": map[string]any{"$ne": nil}}},
			want: []string{"q.a.$ne"}},
		{name: "operator in an object in a list", fields: map[string]any{"parts": []any{"x", map[string]any{"ok": 1, "$gt": 1}}},
			want: []string{"parts[1].$gt"}},
		{name: "dotted nested key is quoted in the path", fields: map[string]any{"p": map[string]any{"a.b": 1}},
			want: []string{`p."a.b"`}},
		{name: "NUL nested key", fields: map[string]any{"p": map[string]any{"\x00": 1}}, want: []string{`p."\x00"`}},
		{name: "long name is cut in the path", fields: map[string]any{strings.Repeat("x", 100): 1},
			want: []string{`"` + strings.Repeat("x", 64) + `"...`}},
		{name: "depth at the limit", fields: map[string]any{"d": deep}},
		{name: "depth over the limit", fields: map[string]any{"d": []any{deep}}, want: []string{"d" + strings.Repeat("[0]", MaxDepth)}},
		{name: "objects over the limit", fields: map[string]any{"d": deepObject(MaxDepth + 1)}, want: []string{"d" + strings.Repeat(".k", MaxDepth)}},
		{name: "objects at the limit", fields: map[string]any{"d": deepObject(MaxDepth)}},
		{name: "NaN", fields: map[string]any{"n": math.NaN()}, want: []string{"n"}},
		{name: "infinity", fields: map[string]any{"n": math.Inf(1)}, want: []string{"n"}},
		{name: "bad number literal", fields: map[string]any{"n": json.Number("0x10")}, want: []string{"n"}},
		{name: "number out of range", fields: map[string]any{"n": json.Number("1e400")}, want: []string{"n"}},
		{name: "invalid UTF-8 text", fields: map[string]any{"s": "\xff"}, want: []string{"s"}},
		{name: "non-JSON types", fields: map[string]any{"f": func() {}, "m": map[string]string{}, "p": new(int), "s": struct{}{}},
			want: []string{"f", "m", "p", "s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateFields(tc.fields)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ValidateFields = %v, want nil", err)
				}
				return
			}
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("ValidateFields = %v, want code invalid", err)
			}
			if got := slices.Sorted(maps.Keys(domain.ErrorFields(err))); !slices.Equal(got, tc.want) {
				t.Errorf("error paths = %q, want %q", got, tc.want)
			}
		})
	}
}

// deepObject is n objects nested through the key "k".
func deepObject(n int) any {
	var v any = "leaf"
	for range n {
		v = map[string]any{"k": v}
	}
	return v
}

func TestValidateFieldsCapsMessages(t *testing.T) {
	fields := map[string]any{}
	for i := range 1000 {
		fields["$"+strings.Repeat("x", i%60)+string(rune('a'+i%26))+string(rune('a'+i/26))] = 1
	}
	err := ValidateFields(fields)
	if n := len(domain.ErrorFields(err)); n != maxFieldErrors {
		t.Fatalf("%d messages, want %d", n, maxFieldErrors)
	}
	again := ValidateFields(fields)
	if !maps.Equal(domain.ErrorFields(err), domain.ErrorFields(again)) {
		t.Fatal("the capped messages differ between two runs")
	}
}

func TestReservedFields(t *testing.T) {
	got := ReservedFields()
	want := []string{"_id", "conflicts", "createdAt", "deleted", "fieldVersions", "id", "owner", "seq", "team", "updatedAt", "version"}
	if !slices.Equal(got, want) {
		t.Fatalf("ReservedFields() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if ReservedFields()[0] != "_id" {
		t.Fatal("ReservedFields shares its slice with the caller")
	}
	for _, f := range want {
		if ValidateFieldName(f) == nil {
			t.Errorf("reserved %q accepted", f)
		}
	}
}

func TestEqualValues(t *testing.T) {
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"int and float", 1, float64(1), true},
		{"json.Number forms", json.Number("1.0"), json.Number("1e0"), true},
		{"json.Number and int64", json.Number("5000"), int64(5000), true},
		{"negative zero", math.Copysign(0, -1), 0, true},
		{"fractions", json.Number("0.1"), 0.1, true},
		{"different numbers", float64(1), float64(2), false},
		{"large integers exact", int64(1) << 60, float64(1 << 60), true},
		{"beyond int64", json.Number("18446744073709551615"), uint64(math.MaxUint64), true},
		{"huge float", json.Number("1e300"), 1e300, true},
		{"number and its text", float64(1), "1", false},
		{"null and missing", nil, nil, true},
		{"null and false", nil, false, false},
		{"null and empty text", nil, "", false},
		{"nil map is null", map[string]any(nil), nil, true},
		{"empty map is not null", map[string]any{}, nil, false},
		{"key order", map[string]any{"a": 1, "b": []any{1, "x"}}, map[string]any{"b": []any{float64(1), "x"}, "a": json.Number("1")}, true},
		{"list order matters", []any{1, 2}, []any{2, 1}, false},
		{"nested difference", map[string]any{"a": map[string]any{"b": 1}}, map[string]any{"a": map[string]any{"b": 2}}, false},
		{"typed slice through JSON", []string{"a"}, []any{"a"}, true},
		{"typed string through JSON", json.RawMessage(`"a"`), "a", true},
		{"text is compared exactly", "a", "A", false},
		{"invalid UTF-8 differs from its replacement", "\xff", "\uFFFD", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EqualValues(tc.a, tc.b); got != tc.want {
				t.Errorf("EqualValues(%#v, %#v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if got := EqualValues(tc.b, tc.a); got != tc.want {
				t.Errorf("EqualValues(%#v, %#v) = %v, want %v (reversed)", tc.b, tc.a, got, tc.want)
			}
		})
	}
}

func TestMutationValidate(t *testing.T) {
	ok := upsertM(0, map[string]any{"a": 1})
	tests := []struct {
		name   string
		change func(m *Mutation)
		want   []string
	}{
		{name: "valid", change: func(*Mutation) {}},
		{name: "uuid ids", change: func(m *Mutation) {
			m.ID, m.MutationID = "0b7e1f0e-6c1a-4d0e-9a77-3a4a0c1e2f3b", "6f1c2d3e-0000-4000-8000-000000000001"
		}},
		{name: "missing ids", change: func(m *Mutation) { m.ID, m.MutationID, m.Collection = "", "", "" },
			want: []string{"collection", "id", "mutationId"}},
		{name: "id with a path", change: func(m *Mutation) { m.ID = "../x" }, want: []string{"id"}},
		{name: "id too long", change: func(m *Mutation) { m.ID = strings.Repeat("a", MaxIDLen+1) }, want: []string{"id"}},
		{name: "collection with an operator", change: func(m *Mutation) { m.Collection = "$cmd" }, want: []string{"collection"}},
		{name: "collection with a dot", change: func(m *Mutation) { m.Collection = "system.users" }, want: []string{"collection"}},
		{name: "collection upper case", change: func(m *Mutation) { m.Collection = "Forms" }, want: []string{"collection"}},
		{name: "unknown op", change: func(m *Mutation) { m.Op = "" }, want: []string{"op"}},
		{name: "negative base", change: func(m *Mutation) { m.BaseVersion = -1 }, want: []string{"baseVersion"}},
		{name: "bad field", change: func(m *Mutation) { m.Fields = map[string]any{"a": map[string]any{"$x": 1}} }, want: []string{"fields.a.$x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.change(&m)
			err := m.Validate()
			got := slices.Sorted(maps.Keys(domain.ErrorFields(err)))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if domain.ErrorCode(err) != domain.CodeInvalid || !slices.Equal(got, tc.want) {
				t.Errorf("Validate = %v with fields %q, want invalid with %q", err, got, tc.want)
			}
		})
	}
}
