package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/fieldsync/fieldsync/domain"
)

// translate maps a minio-go error to a domain error, once, with a context message; the minio
// error stays in the chain as the cause:
//
//   - NoSuchKey, NoSuchBucket → domain.ErrNotFound
//   - PreconditionFailed → domain.ErrConflict
//   - EntityTooLarge → domain.CodeTooLarge
//   - BadDigest, InvalidDigest, XAmzContentSHA256Mismatch → domain.ErrInvalid
//   - 503 / SlowDown / a server not ready, and network failures (refused, reset, dial
//     timeout, unexpected EOF) → domain.ErrUnavailable
//   - context.Canceled / DeadlineExceeded of the caller → passed through with the message
//   - anything else (wrong credentials included: a configuration error) → internal
func translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	wrap := func(code domain.Code) error { return &domain.Error{Code: code, Message: msg, Err: err} }
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case minio.NoSuchKey, minio.NoSuchBucket:
		return wrap(domain.CodeNotFound)
	case "PreconditionFailed":
		return wrap(domain.CodeConflict)
	case "EntityTooLarge":
		return wrap(domain.CodeTooLarge)
	case "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch":
		return wrap(domain.CodeInvalid)
	case "SlowDown", "ServiceUnavailable", "XMinioServerNotInitialized":
		return wrap(domain.CodeUnavailable)
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		return wrap(domain.CodeUnavailable)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", msg, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return wrap(domain.CodeUnavailable)
	}
	return wrap(domain.CodeInternal)
}
