// Package domain is the language of the after-sales team: work orders, service forms, trips,
// receipts, scores, reimbursements and the policy that governs them (SPEC.md). It imports the
// standard library only; storage, HTTP and validation libraries live in other packages.
package domain

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Clients switch on it; it never changes meaning.
// The HTTP status for each code is decided in one place (server/errors.go).
type Code string

// The stable error codes. New codes are added, never renamed.
const (
	CodeInvalid      Code = "invalid"         // the input is malformed or breaks a rule; Fields says where
	CodeUnauthorized Code = "unauthorized"    // no valid credentials
	CodeForbidden    Code = "forbidden"       // authenticated, but not allowed
	CodeNotFound     Code = "not_found"       // no such thing, or not visible to the caller
	CodeConflict     Code = "conflict"        // a version clash or a locked record
	CodeTooLarge     Code = "too_large"       // a body or batch above its limit
	CodeRateLimited  Code = "rate_limited"    // too many attempts; retry later
	CodeGone         Code = "gone"            // a resource that no longer exists
	CodeResync       Code = "resync_required" // a sync cursor older than the tombstone retention: pull from scratch
	CodeUnavailable  Code = "unavailable"     // a dependency (database, object store) is down
	CodeUnsupported  Code = "unsupported"     // e.g. an unsupported media type
	CodeCSRF         Code = "csrf"            // a cookie-authenticated request from another origin, or without the console header
	CodeInternal     Code = "internal"        // anything unexpected; never shows details to the client
)

// Error is the one error type of fieldsync. Message is safe to show to the user; Fields maps a
// field name (JSON path) to a per-field message. Err, when set, is the cause (logged, never shown).
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	switch {
	case e.Message == "" && e.Err == nil:
		return string(e.Code)
	case e.Err == nil:
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	case e.Message == "":
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, domain.ErrNotFound) matches any not-found error.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
	}
	return false
}

// Sentinel errors to wrap with context: fmt.Errorf("load service form %s: %w", id, domain.ErrNotFound).
var (
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrConflict     = &Error{Code: CodeConflict}
	ErrUnavailable  = &Error{Code: CodeUnavailable}
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrForbidden    = &Error{Code: CodeForbidden}
	ErrInvalid      = &Error{Code: CodeInvalid}
)

// Errorf returns an *Error with the code and a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error with per-field messages.
func Invalid(message string, fields map[string]string) *Error {
	return &Error{Code: CodeInvalid, Message: message, Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal for any other
// error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the user-safe message of the first *Error in err's chain that has one;
// for a wrapped sentinel (fmt.Errorf("load work order %s: %w", id, ErrNotFound)) it is the
// wrapping text; for any error that is not an *Error it is "internal error".
func ErrorMessage(err error) string {
	if ErrorCode(err) == CodeInternal {
		return "internal error"
	}
	var e *Error
	for cur := err; errors.As(cur, &e); cur = e.Err {
		if e.Message != "" {
			return e.Message
		}
		if e.Err == nil {
			break
		}
	}
	return err.Error()
}

// ErrorFields returns the per-field messages of the first *Error in err's chain that has them.
func ErrorFields(err error) map[string]string {
	var e *Error
	for cur := err; errors.As(cur, &e); cur = e.Err {
		if len(e.Fields) > 0 {
			return e.Fields
		}
		if e.Err == nil {
			break
		}
	}
	return nil
}
