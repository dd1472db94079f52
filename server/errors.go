package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// errorBody is the JSON shape of every error response:
// {"error":{"code":"conflict","message":"...","fields":{...},"requestId":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      domain.Code       `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
}

// statusOf is the one place where error codes become HTTP statuses.
var statusOf = map[domain.Code]int{
	domain.CodeInvalid:      http.StatusBadRequest,
	domain.CodeUnauthorized: http.StatusUnauthorized,
	domain.CodeForbidden:    http.StatusForbidden,
	domain.CodeNotFound:     http.StatusNotFound,
	domain.CodeConflict:     http.StatusConflict,
	domain.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	domain.CodeRateLimited:  http.StatusTooManyRequests,
	domain.CodeGone:         http.StatusGone,
	domain.CodeResync:       http.StatusGone,
	domain.CodeUnavailable:  http.StatusServiceUnavailable,
	domain.CodeUnsupported:  http.StatusUnsupportedMediaType,
	domain.CodeCSRF:         http.StatusForbidden,
	domain.CodeInternal:     http.StatusInternalServerError,
}

// codeOfStatus maps Fiber's own errors (unknown route, body too large...) to our codes.
var codeOfStatus = map[int]domain.Code{
	http.StatusBadRequest:            domain.CodeInvalid,
	http.StatusUnauthorized:          domain.CodeUnauthorized,
	http.StatusForbidden:             domain.CodeForbidden,
	http.StatusNotFound:              domain.CodeNotFound,
	http.StatusMethodNotAllowed:      domain.CodeNotFound,
	http.StatusConflict:              domain.CodeConflict,
	http.StatusRequestEntityTooLarge: domain.CodeTooLarge,
	http.StatusTooManyRequests:       domain.CodeRateLimited,
	http.StatusUnsupportedMediaType:  domain.CodeUnsupported,
	http.StatusServiceUnavailable:    domain.CodeUnavailable,
}

// handleError is Fiber's error handler: the only place that writes error responses.
// Internal errors are logged once, with the request id, and shown as "internal error".
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	code := domain.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	// Fiber's own errors (no route, wrong method, body too large) keep their status.
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if code, ok = codeOfStatus[fe.Code]; !ok {
			code = domain.CodeInternal
		}
		status, err = fe.Code, &domain.Error{Code: code, Message: fe.Message}
	}
	rid := requestIDOf(c)
	if code == domain.CodeInternal {
		s.cfg.Logger.Error("internal error", slog.String("requestId", rid),
			slog.String("route", routeOf(c)), slog.String("error", err.Error()))
	}
	return c.Status(status).JSON(errorBody{Error: errorDetail{
		Code:      code,
		Message:   domain.ErrorMessage(err),
		Fields:    domain.ErrorFields(err),
		RequestID: rid,
	}})
}
