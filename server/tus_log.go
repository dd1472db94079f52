package server

import (
	"context"
	"log/slog"

	expslog "golang.org/x/exp/slog"
)

// tusLogger gives tusd (which logs through golang.org/x/exp/slog) the server's logger, warnings
// and errors only: tusd logs every request at INFO, which the server's own request log covers.
func tusLogger(l *slog.Logger) *expslog.Logger {
	return expslog.New(tusLogHandler{l: l})
}

// tusLogHandler forwards x/exp/slog records of level WARN and above to a log/slog logger.
type tusLogHandler struct {
	l     *slog.Logger
	attrs []slog.Attr
}

func (h tusLogHandler) Enabled(_ context.Context, level expslog.Level) bool {
	return level >= expslog.LevelWarn
}

func (h tusLogHandler) Handle(ctx context.Context, r expslog.Record) error {
	attrs := append([]slog.Attr{slog.String("component", "tusd")}, h.attrs...)
	r.Attrs(func(a expslog.Attr) bool {
		attrs = append(attrs, slog.Any(a.Key, a.Value.Any()))
		return true
	})
	h.l.LogAttrs(ctx, slog.Level(r.Level), r.Message, attrs...)
	return nil
}

func (h tusLogHandler) WithAttrs(as []expslog.Attr) expslog.Handler {
	attrs := append([]slog.Attr(nil), h.attrs...)
	for _, a := range as {
		attrs = append(attrs, slog.Any(a.Key, a.Value.Any()))
	}
	return tusLogHandler{l: h.l, attrs: attrs}
}

func (h tusLogHandler) WithGroup(string) expslog.Handler { return h }
