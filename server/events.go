package server

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// reauthEvery is how often an open event stream checks its access token again.
const reauthEvery = 5 * time.Second

// eventPoll returns the newest cursor to announce after cursor, and whether a change visible to
// the caller lies between them.
type eventPoll func(ctx context.Context, cursor string) (next string, changed bool, err error)

// serveEvents answers with a Server-Sent Events stream: head first, then event(next) whenever
// poll, called every StreamTiming.Poll from cursor on, reports a change, and a ": heartbeat"
// comment every StreamTiming.Heartbeat. It holds no state but the cursor, so it works with
// several server instances; it ends when the server shuts down or the client goes away. A
// failed poll is retried at the next tick.
func (s *Server) serveEvents(c *fiber.Ctx, cursor, head string, poll eventPoll, event func(cursor string) string) {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	timing := s.cfg.Stream
	ctx := s.shutdownCtx
	// The stream outlives its access token's check at the start: it checks the token again every
	// reauthEvery, so a revoked device, a disabled user or an expired token ends it.
	_, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	token = strings.Clone(strings.TrimSpace(token))
	lastAuth := time.Now()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		tick := time.NewTicker(timing.Poll)
		defer tick.Stop()
		beat := time.NewTicker(timing.Heartbeat)
		defer beat.Stop()
		fmt.Fprint(w, head)
		if w.Flush() != nil {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-beat.C:
				fmt.Fprint(w, ": heartbeat\n\n")
			case <-tick.C:
				if time.Since(lastAuth) >= reauthEvery && s.deps.Accounts != nil {
					actx, cancel := context.WithTimeout(ctx, 5*time.Second)
					_, err := s.deps.Accounts.Authenticate(actx, token)
					cancel()
					if domain.ErrorCode(err) == domain.CodeUnauthorized {
						return
					}
					lastAuth = time.Now()
				}
				qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				next, changed, err := poll(qctx, cursor)
				cancel()
				if err != nil || next == cursor {
					continue
				}
				cursor = next
				if !changed {
					continue
				}
				fmt.Fprint(w, event(cursor))
			}
			if w.Flush() != nil {
				return // the client went away
			}
		}
	})
}
