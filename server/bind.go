package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// validate checks wire types by their `validate` tags; field names in errors are the JSON names.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

// bindBody decodes the JSON body into v strictly (unknown fields and trailing data are errors)
// and validates it. Errors: invalid, with one stable code per field: the failed rule, with its
// parameter when it has one ("required", "max=64", "oneof=A B C", "uuid").
func bindBody(c *fiber.Ctx, v any) error {
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.Invalid("malformed JSON body", jsonFieldError(err))
	}
	if dec.More() {
		return domain.Invalid("malformed JSON body: trailing data", nil)
	}
	return validateStruct(v)
}

// validateStruct runs the validator and turns its errors into a domain.Invalid.
func validateStruct(v any) error {
	err := validate.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := make(map[string]string, len(verrs))
	for _, fe := range verrs {
		code := fe.Tag()
		if fe.Param() != "" {
			code += "=" + fe.Param()
		}
		fields[fe.Field()] = code
	}
	return domain.Invalid("invalid request", fields)
}

// jsonFieldError names the field of a JSON type or unknown-field error, so that the client
// learns which field is wrong without the decoder's internals.
func jsonFieldError(err error) map[string]string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return map[string]string{te.Field: "type=" + te.Type.String()}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return map[string]string{strings.Trim(name, `"`): "unknown"}
	}
	return nil
}
