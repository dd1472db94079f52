package sync

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fieldsync/fieldsync/domain"
)

// Limits on the fields of a mutation. They are part of the wire contract.
const (
	// MaxFieldNameLen is the longest field name, in bytes, at any depth.
	MaxFieldNameLen = 64
	// MaxDepth is how many objects and arrays may nest inside one field value: a list of parts
	// ([{...}]) has depth 2.
	MaxDepth = 8
	// maxFieldErrors caps the per-field messages of one error, so that a hostile body with
	// thousands of bad keys does not get an echo of thousands of lines.
	maxFieldErrors = 32
)

// reserved are the top-level names the server owns, lower-cased (see ReservedFields).
var reserved = map[string]string{
	"version": "version", "createdat": "createdAt", "updatedat": "updatedAt", "owner": "owner",
	"team": "team", "id": "id", "seq": "seq", "deleted": "deleted", "conflicts": "conflicts",
	"_id": "_id", "fieldversions": "fieldVersions",
}

// ReservedFields returns, sorted, the top-level field names that only the server writes: version,
// createdAt, updatedAt, owner, team, id, seq, deleted, conflicts, _id and fieldVersions (the pull
// puts the server-stamped ones next to the record's fields, so a client field must never shadow
// them; createdAt is stamped by the server like updatedAt). They are matched
// without regard to case ("Version" is refused too), because some decoders match keys that way.
// Besides these, every top-level name starting with '_' is reserved (_id, and the bookkeeping
// fields of client libraries: RxDB's _deleted, _rev, _meta, WatermelonDB's _status, _changed,
// which a client adapter must strip, not store). Nested objects may use these names freely (a
// line item may have an "id").
func ReservedFields() []string {
	return slices.Sorted(maps.Values(reserved))
}

// ValidateFieldName checks one top-level field name: it must be 1..MaxFieldNameLen bytes of
// valid UTF-8, must not start with '$' or contain '.' or NUL (MongoDB operator and path
// injection), and must not be reserved (ReservedFields). It returns nil or a *domain.Error with
// code invalid and one per-field message keyed by the name.
func ValidateFieldName(name string) error {
	msg := checkKey(name)
	if msg == "" {
		msg = checkReserved(name)
	}
	if msg != "" {
		return domain.Invalid("invalid field name", map[string]string{pathName(name): msg})
	}
	return nil
}

// checkKey is the part of the field-name rules that holds at every depth.
func checkKey(name string) string {
	switch {
	case name == "":
		return "field name is empty"
	case len(name) > MaxFieldNameLen:
		return fmt.Sprintf("field name is longer than %d bytes", MaxFieldNameLen)
	case !utf8.ValidString(name):
		return "field name is not valid UTF-8"
	case name[0] == '$':
		return "field name must not start with '$'"
	case strings.IndexByte(name, '.') >= 0:
		return "field name must not contain '.'"
	case strings.IndexByte(name, 0) >= 0:
		return "field name must not contain NUL"
	}
	return ""
}

// checkReserved is the top-level-only rule.
func checkReserved(name string) string {
	if _, ok := reserved[strings.ToLower(name)]; ok || strings.HasPrefix(name, "_") {
		return "field name is reserved for the server"
	}
	return ""
}

// ValidateFields checks the fields of an upsert: every top-level name passes ValidateFieldName,
// every key of a nested object passes the same rules except the reserved names, objects and
// arrays nest at most MaxDepth deep, and every value is a JSON value as encoding/json decodes it
// into an any: nil, bool, string (valid UTF-8), float64 (finite), json.Number (a valid JSON
// number within float64 range), []any or map[string]any. Go integer types are accepted too, for
// callers that build fields in code; any other type is refused. A nil or empty map is valid.
//
// It returns nil or a *domain.Error with code invalid whose Fields map a path ("parts[2].$gt",
// a quoted name when it is not printable or too long) to a message, at most 32 of them, chosen
// deterministically (sorted keys). Values never appear in messages: they may hold customer data.
func ValidateFields(fields map[string]any) error {
	v := validator{bad: map[string]string{}}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		path := pathName(name)
		if msg := checkKey(name); msg != "" {
			v.fail(path, msg)
			continue
		}
		if msg := checkReserved(name); msg != "" {
			v.fail(path, msg)
			continue
		}
		v.value(path, fields[name], 0)
	}
	if len(v.bad) > 0 {
		return domain.Invalid("invalid fields", v.bad)
	}
	return nil
}

type validator struct{ bad map[string]string }

func (v *validator) fail(path, msg string) {
	if len(v.bad) < maxFieldErrors {
		v.bad[path] = msg
	}
}

// value checks x found at path, inside depth enclosing objects and arrays of its field.
func (v *validator) value(path string, x any, depth int) {
	if len(v.bad) >= maxFieldErrors {
		return
	}
	switch x := x.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
	case string:
		if !utf8.ValidString(x) {
			v.fail(path, "text is not valid UTF-8")
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			v.fail(path, "number is not finite")
		}
	case json.Number:
		if !validNumber(string(x)) {
			v.fail(path, "not a valid number")
		} else if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			v.fail(path, "number is out of range")
		}
	case []any:
		if depth+1 > MaxDepth {
			v.fail(path, fmt.Sprintf("nested deeper than %d levels", MaxDepth))
			return
		}
		for i, e := range x {
			v.value(path+"["+strconv.Itoa(i)+"]", e, depth+1)
		}
	case map[string]any:
		if depth+1 > MaxDepth {
			v.fail(path, fmt.Sprintf("nested deeper than %d levels", MaxDepth))
			return
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			p := path + "." + pathName(k)
			if msg := checkKey(k); msg != "" {
				v.fail(p, msg)
				continue
			}
			v.value(p, x[k], depth+1)
		}
	default:
		v.fail(path, fmt.Sprintf("unsupported value type %T", x))
	}
}

// pathName is name as it appears in an error path: itself when short, printable and free of
// path syntax (. [ ] " \), else quoted (and cut to MaxFieldNameLen bytes) so that paths stay
// unambiguous, readable and bounded.
func pathName(name string) string {
	clean := name != "" && len(name) <= MaxFieldNameLen && utf8.ValidString(name)
	for _, r := range name {
		if !clean || !strconv.IsPrint(r) || strings.ContainsRune(`"\.[]`, r) {
			clean = false
			break
		}
	}
	if clean {
		return name
	}
	if len(name) > MaxFieldNameLen {
		return strconv.Quote(name[:MaxFieldNameLen]) + "..."
	}
	return strconv.Quote(name)
}

// validNumber reports whether s is a number by the JSON grammar (RFC 8259 section 6).
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// EqualValues reports whether a and b are the same JSON value, whatever Go types carry them:
// numbers compare by exact value across float64, json.Number and Go integer types (1, 1.0,
// json.Number("1e0") and int64(1) are equal; -0 equals 0), objects compare regardless of key
// order, a nil map or slice equals null (as encoding/json writes them). Other types are compared
// through their JSON encoding. Integers beyond 2^53 that went through a float64 may differ from
// their decimal literal; JavaScript clients cannot hold such numbers anyway.
func EqualValues(a, b any) bool {
	sa, aok := a.(string)
	sb, bok := b.(string)
	if aok && bok {
		return sa == sb
	}
	var ca, cb strings.Builder
	canonical(&ca, a)
	canonical(&cb, b)
	return ca.String() == cb.String()
}

// canonical writes x as canonical JSON: sorted keys, no spaces, numbers in canonNumber form.
// A value that cannot be encoded is written as a form no JSON value has, so it equals only an
// identical failure.
func canonical(w *strings.Builder, x any) {
	switch x := x.(type) {
	case nil:
		w.WriteString("null")
	case bool:
		w.WriteString(strconv.FormatBool(x))
	case string:
		w.WriteString(strconv.Quote(x))
	case json.Number:
		w.WriteString(canonNumber(string(x)))
	case float64:
		w.WriteString(canonFloat(x))
	case float32:
		w.WriteString(canonFloat(float64(x)))
	case int:
		w.WriteString(strconv.FormatInt(int64(x), 10))
	case int8:
		w.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		w.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		w.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		w.WriteString(strconv.FormatInt(x, 10))
	case uint:
		w.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint8:
		w.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint16:
		w.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint32:
		w.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint64:
		w.WriteString(strconv.FormatUint(x, 10))
	case []any:
		if x == nil {
			w.WriteString("null")
			return
		}
		w.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				w.WriteByte(',')
			}
			canonical(w, e)
		}
		w.WriteByte(']')
	case map[string]any:
		if x == nil {
			w.WriteString("null")
			return
		}
		w.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(strconv.Quote(k))
			w.WriteByte(':')
			canonical(w, x[k])
		}
		w.WriteByte('}')
	default:
		// Typed slices and maps, structs, types with MarshalJSON: compare what JSON sees.
		b, err := json.Marshal(x)
		var y any
		if err == nil {
			d := json.NewDecoder(strings.NewReader(string(b)))
			d.UseNumber()
			err = d.Decode(&y)
		}
		if err != nil {
			fmt.Fprintf(w, "!%T:%v", x, x)
			return
		}
		canonical(w, y)
	}
}

// canonNumber is the canonical form of a number literal: an exact integer in decimal when it is
// one, else the canonFloat form of its nearest float64, else (out of range, not a number) the
// literal itself behind a marker.
func canonNumber(s string) string {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return strconv.FormatUint(u, 10)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return canonFloat(f)
	}
	return "#" + s
}

// canonFloat is the canonical form of f: its exact value in decimal when it is an integer that
// fits 64 bits (so it equals the same Go integer, and -0 is 0), else the shortest form that
// reads back as f.
func canonFloat(f float64) string {
	const two63 = 1 << 63
	switch {
	case f != math.Trunc(f) || math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'g', -1, 64)
	case f >= -two63 && f < two63:
		return strconv.FormatInt(int64(f), 10)
	case f >= 0 && f < 2*two63:
		return strconv.FormatUint(uint64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// NormalizeNumbers converts a value decoded with json.Decoder.UseNumber into one a store keeps
// without changing its meaning: json.Number becomes int64 when it is an integer that fits (money
// in fen, counts) and float64 otherwise; maps and slices are converted recursively (into new
// ones). Other values pass through.
func NormalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		return NormalizeNumbersMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = NormalizeNumbers(e)
		}
		return out
	}
	return v
}

// NormalizeNumbersMap is NormalizeNumbers of every value of m, into a new map (never nil).
func NormalizeNumbersMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = NormalizeNumbers(v)
	}
	return out
}
