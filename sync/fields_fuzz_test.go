package sync

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fieldsync/fieldsync/domain"
)

// FuzzValidateFields decodes JSON as the push handler does and checks ValidateFields against an
// independent reading of the same text through the JSON token stream.
// Run: go test -fuzz FuzzValidateFields ./sync
func FuzzValidateFields(f *testing.F) {
	for _, s := range []string{
		`{"outcome":"completed","parts":[{"id":"p1","qty":2,"price":1250}],"note":null}`,
		`{"$where":"1"}`,
		`{"q":{"a":{"$ne":null}}}`,
		`{"a.b":1}`,
		`{"a":{"b.c":[{"\u0000":1}]}}`,
		`{"Version":1,"_rev":"1-x"}`,
		`{"d":[[[[[[[[1]]]]]]]]}`,
		`{"d":[[[[[[[[[1]]]]]]]]]}`,
		`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}}`,
		`{"a":{"b":[{"c":{"d":[{"e":{"f":{"g":[1]}}}]}}]}}`,
		`{"n":1e400,"m":-0.0}`,
		`{"":1}`,
		`{"` + strings.Repeat("k", 65) + `":1}`,
		`{"\ud800":"\udfff"}`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, data string, useNumber bool) {
		d := json.NewDecoder(strings.NewReader(data))
		if useNumber {
			d.UseNumber()
		}
		var fields map[string]any
		if d.Decode(&fields) != nil || fields == nil {
			return
		}
		want, dup := referenceValid(t, data)
		if dup {
			return // the decoder keeps the last of duplicate keys, the token stream sees both
		}
		err := ValidateFields(fields)
		if (err == nil) != want {
			t.Fatalf("ValidateFields(%s) = %v, reference says valid=%v", data, err, want)
		}
		if err != nil {
			bad := domain.ErrorFields(err)
			if domain.ErrorCode(err) != domain.CodeInvalid || len(bad) == 0 || len(bad) > maxFieldErrors {
				t.Fatalf("error %v with %d field messages", err, len(bad))
			}
			for path, msg := range bad {
				if path == "" || msg == "" || len(path) > 4096 {
					t.Fatalf("bad message %q: %q", path, msg)
				}
			}
			return
		}
		// Valid fields survive a JSON round trip as the same value: what is stored is what was sent.
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatalf("valid fields do not encode: %v", err)
		}
		back := decodeObject(string(b), true)
		if !EqualValues(back, fields) || !EqualValues(fields, back) {
			t.Fatalf("round trip changed the value: %s -> %s", data, b)
		}
		for name := range fields {
			if ValidateFieldName(name) != nil {
				t.Fatalf("valid fields hold a bad name %q", name)
			}
		}
	})
}

// referenceValid reads the JSON object in data token by token and reports whether it is valid
// fields by the documented rules, and whether some object in it repeats a key.
func referenceValid(t *testing.T, data string) (valid, dup bool) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(data))
	d.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // an object expects a key next
	}
	var stack []*frame
	valid = true
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) || (err == nil && len(stack) == 0 && tok != json.Delim('{') && tok != nil) {
			break
		}
		if err != nil {
			t.Skip("the token stream disagrees with the decoder")
		}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.object && top.expect {
				if delim, ok := tok.(json.Delim); ok && delim == '}' {
					stack = stack[:len(stack)-1]
					if len(stack) == 0 {
						return valid, dup
					}
					stack[len(stack)-1].expect = stack[len(stack)-1].object
					continue
				}
				key := tok.(string)
				if top.keys[key] {
					dup = true
				}
				top.keys[key] = true
				valid = valid && refKeyOK(key, len(stack) == 1)
				top.expect = false
				continue
			}
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				if len(stack) > MaxDepth { // the top-level object is not a level of a field
					valid = false
				}
				stack = append(stack, &frame{object: tok == '{', keys: map[string]bool{}, expect: tok == '{'})
				continue
			default:
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return valid, dup
				}
			}
		case json.Number:
			if _, err := strconv.ParseFloat(string(tok), 64); err != nil {
				valid = false
			}
		}
		// A value ended: an enclosing object expects a key again.
		stack[len(stack)-1].expect = stack[len(stack)-1].object
	}
	return valid, dup
}

// refKeyOK restates the name rules without sharing code with fields.go.
func refKeyOK(k string, top bool) bool {
	if k == "" || len(k) > 64 || !utf8.ValidString(k) || strings.HasPrefix(k, "$") ||
		strings.Contains(k, ".") || strings.Contains(k, "\x00") {
		return false
	}
	if !top {
		return true
	}
	switch strings.ToLower(k) {
	case "version", "createdat", "updatedat", "owner", "team", "id", "seq", "deleted", "conflicts", "_id", "fieldversions":
		return false
	}
	return !strings.HasPrefix(k, "_")
}
