package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/fieldsync/fieldsync/domain"
)

// errDuplicateKey stands in for the driver's duplicate-key error, whose text quotes the
// duplicated value (possibly a customer's phone number: never in logs, SPEC "客户隐私").
var errDuplicateKey = errors.New("E11000 duplicate key (value redacted)")

// Translate maps a driver error to a domain error, once, with a context message made from
// format and args (e.g. Translate(err, "load work order %s", id)). The message is the
// domain.Error's user-safe Message; the driver error stays in the chain as the cause, so
// errors.Is/As on the original still work. The mapping:
//
//   - nil → nil
//   - an error that already carries a domain code → wrapped with the message, code kept
//   - mongo.ErrNoDocuments → domain.ErrNotFound
//   - duplicate key (E11000 and kin) → domain.ErrConflict (the duplicated value is redacted)
//   - server selection failure, disconnected client, network error, driver timeout, a deadline
//     that passed before the database answered → domain.ErrUnavailable (503: retry)
//   - context.Canceled (the caller gave up) → passed through, wrapped with the message, no
//     domain code
//   - anything else → domain.CodeInternal
func Translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	var de *domain.Error
	var sse topology.ServerSelectionError
	switch {
	case errors.As(err, &de):
		return fmt.Errorf("%s: %w", msg, err)
	case errors.Is(err, mongo.ErrNoDocuments):
		return &domain.Error{Code: domain.CodeNotFound, Message: msg, Err: err}
	case mongo.IsDuplicateKeyError(err):
		return &domain.Error{Code: domain.CodeConflict, Message: msg, Err: errDuplicateKey}
	// Before the context check: a server selection timeout wraps context.DeadlineExceeded
	// even when the caller's context is still alive.
	case errors.As(err, &sse), errors.Is(err, mongo.ErrClientDisconnected), errors.As(err, new(topology.WaitQueueTimeoutError)):
		return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err}
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", msg, err)
	// A deadline passed while the database had not answered: the store is (at least now) not
	// available, which the client may retry (503), not an internal error.
	case errors.Is(err, context.DeadlineExceeded), mongo.IsNetworkError(err), mongo.IsTimeout(err):
		return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err}
	}
	return &domain.Error{Code: domain.CodeInternal, Message: msg, Err: err}
}
