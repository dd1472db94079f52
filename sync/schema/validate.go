package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/fieldsync/fieldsync/domain"
)

// rfc3339 and civilDate are the layouts of the datetime tags: instants and civil dates.
const (
	rfc3339   = "2006-01-02T15:04:05Z07:00"
	civilDate = "2006-01-02"
)

// validate is the one validator of the wire types. Besides validator's tags it knows:
//
//	recordid  a reference to a synced record: 1..64 bytes of [A-Za-z0-9_-] (domain.IsRecordID)
//	userid    a user id: a UUID in either case (domain.IsUUID)
//	sha256    a photo address: 64 lowercase hex digits (domain.IsSHA256Hex; validator's
//	          hexadecimal would let "0x…" and upper case through)
//	phone     a phone number (domain.IsPhone)
//	submit    required once the record is complete: when the struct's Complete field is true
//	          (set from the record's status before validation); a list must not be empty
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	str := func(ok func(string) bool) validator.Func {
		return func(fl validator.FieldLevel) bool { return ok(fl.Field().String()) }
	}
	must(v.RegisterValidation("recordid", str(domain.IsRecordID)))
	must(v.RegisterValidation("userid", str(domain.IsUUID)))
	must(v.RegisterValidation("sha256", str(domain.IsSHA256Hex)))
	must(v.RegisterValidation("phone", str(domain.IsPhone)))
	must(v.RegisterValidation("submit", func(fl validator.FieldLevel) bool {
		complete := fl.Parent().FieldByName("Complete")
		if !complete.IsValid() || !complete.Bool() {
			return true
		}
		f := fl.Field()
		switch f.Kind() {
		case reflect.Slice, reflect.Map:
			return f.Len() > 0
		}
		return !f.IsZero()
	}, true))
	return v
}()

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// preparer is a wire type that derives something from its decoded fields before validation
// (its Complete flag, from the record's status).
type preparer interface{ prepare() }

// check decodes fields (a record's merged field map) into dst, a pointer to a wire struct, and
// validates it (after dst.prepare, when dst has it). It returns the per-field messages
// (domain.FieldMessage) keyed by JSON path ("parts[0].qty"), nil when all is well. Fields dst
// does not declare are ignored: the field table refuses unknown top-level fields before, and
// computed fields are read leniently.
func check(fields map[string]any, dst any) map[string]string {
	bad := decode(fields, dst)
	if len(bad) > 0 {
		return bad // validating zero values of undecodable fields would only add noise
	}
	if p, ok := dst.(preparer); ok {
		p.prepare()
	}
	var verrs validator.ValidationErrors
	if err := validate.Struct(dst); errors.As(err, &verrs) {
		bad = map[string]string{}
		for _, fe := range verrs {
			_, path, _ := strings.Cut(fe.Namespace(), ".") // drop the struct's own name
			if _, seen := bad[path]; !seen {
				bad[path] = message(fe)
			}
		}
	} else if err != nil {
		panic(fmt.Sprintf("validate %T: %v", dst, err)) // a wire type with a bad tag: a bug
	}
	if len(bad) == 0 {
		return nil
	}
	return bad
}

// decode sets each field of dst that fields holds, one top-level field at a time, so that a
// value of the wrong type is reported under its own path ("items[2].qty") and the others still
// decode. Nested objects may not hold unknown keys.
func decode(fields map[string]any, dst any) map[string]string {
	rv := reflect.ValueOf(dst).Elem()
	index := jsonIndex(rv.Type())
	bad := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		i, ok := index[name]
		if !ok || fields[name] == nil {
			continue
		}
		raw, err := json.Marshal(fields[name])
		if err != nil {
			bad[name] = domain.FieldMessage("type", "无法读取", "cannot be read")
			continue
		}
		if path, msg := decodeValue(raw, rv.Field(i)); msg != "" {
			bad[name+path] = msg
		}
	}
	return bad
}

// decodeValue decodes raw into field; on failure it returns the path inside the value
// ("[2].qty") and the message.
func decodeValue(raw []byte, field reflect.Value) (string, string) {
	target := reflect.New(field.Type())
	err := strictUnmarshal(raw, target.Interface())
	if err == nil {
		field.Set(target.Elem())
		return "", ""
	}
	if field.Kind() == reflect.Slice {
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) == nil {
			for i, e := range elems {
				if path, msg := decodeValue(e, reflect.New(field.Type().Elem()).Elem()); msg != "" {
					return fmt.Sprintf("[%d]%s", i, path), msg
				}
			}
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := ""
		if te.Field != "" && field.Kind() == reflect.Struct {
			path = "." + te.Field
		}
		return path, typeMessage(te.Type)
	}
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		return "." + strings.TrimSuffix(name, `"`), "unknown_field"
	}
	return "", domain.FieldMessage("type", "无法读取", "cannot be read")
}

func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	return dec.Decode(v)
}

// jsonIndexes caches, per wire type, the index of each top-level field by its JSON name.
var jsonIndexes stdsync.Map

func jsonIndex(t reflect.Type) map[string]int {
	if m, ok := jsonIndexes.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = i
		}
	}
	jsonIndexes.Store(t, m)
	return m
}

func typeMessage(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	zh, en := "正确的类型", "of the right type"
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		zh, en = "整数", "an integer"
	case reflect.String:
		zh, en = "文字", "a string"
	case reflect.Bool:
		zh, en = "true 或 false", "true or false"
	case reflect.Slice:
		zh, en = "列表", "a list"
	case reflect.Struct:
		zh, en = "对象", "an object"
	}
	return domain.FieldMessage("type", "应为"+zh, "must be "+en)
}

// message turns one validator error into a domain.FieldMessage whose code is the tag ("min",
// "oneof", ...); every required_* variant and submit are "required".
func message(fe validator.FieldError) string {
	param := fe.Param()
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_without":
		return domain.FieldMessage("required", "必填", "required")
	case "submit":
		return domain.FieldMessage("required", "提交前必填", "required before submitting")
	case "oneof":
		return domain.FieldMessage("oneof", "必须是以下之一: "+param, "must be one of: "+param)
	case "min", "max", "len":
		return sizeMessage(fe.Tag(), fe.Kind(), param)
	case "datetime":
		if param == civilDate {
			return domain.FieldMessage("date", "不是日期 (YYYY-MM-DD)", "is not a date (YYYY-MM-DD)")
		}
		return domain.FieldMessage("datetime", "不是 RFC 3339 时间", "is not an RFC 3339 date-time")
	case "recordid":
		return domain.FieldMessage("recordid", "不是记录 ID", "is not a record id")
	case "userid":
		return domain.FieldMessage("uuid", "不是用户 ID (UUID)", "is not a user id (UUID)")
	case "sha256":
		return domain.FieldMessage("sha256", "不是照片的 SHA-256 (64 位小写十六进制)", "is not a photo's SHA-256 (64 lowercase hex digits)")
	case "phone":
		return domain.FieldMessage("phone", "不是电话号码", "is not a phone number")
	}
	return domain.FieldMessage(fe.Tag(), "无效", "is invalid")
}

// sizeTexts are the texts of min, max and len, per kind of value: {中文, English} with the
// tag's parameter in place of %s.
var sizeTexts = map[string]map[string][2]string{
	"string": {"min": {"至少 %s 个字", "must be at least %s characters long"},
		"max": {"最多 %s 个字", "must be at most %s characters long"}, "len": {"必须是 %s 个字", "must be %s characters long"}},
	"list": {"min": {"至少 %s 项", "must have at least %s items"},
		"max": {"最多 %s 项", "must have at most %s items"}, "len": {"必须是 %s 项", "must have %s items"}},
	"number": {"min": {"不能小于 %s", "must be at least %s"},
		"max": {"不能大于 %s", "must be at most %s"}, "len": {"必须等于 %s", "must be %s"}},
}

func sizeMessage(tag string, kind reflect.Kind, n string) string {
	class := "number"
	switch kind {
	case reflect.String:
		class = "string"
	case reflect.Slice, reflect.Map:
		class = "list"
	}
	t := sizeTexts[class][tag]
	return domain.FieldMessage(tag, fmt.Sprintf(t[0], n), fmt.Sprintf(t[1], n))
}

// instant parses an RFC 3339 value already validated (zero for "" or anything unparsable:
// computed stamps are read leniently).
func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// civil parses a civil date already validated (zero for "").
func civil(s string) domain.Date {
	d, _ := domain.ParseDate(s)
	return d
}
