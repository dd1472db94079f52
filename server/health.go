package server

import (
	"context"
	"sort"
	stdsync "sync"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
)

// healthz answers 200 {"status":"ok"} while the process is alive; it checks no dependency.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version})
}

// readyResponse is the body of /readyz: {"status":"ready"|"unavailable","checks":{"documents":"ok",...}}.
type readyResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz runs every dependency check in parallel, each bounded by ReadyTimeout, and answers 200
// when all pass, or 503 with code unavailable naming the ones that failed.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.ReadyTimeout)
	defer cancel()
	results := make(map[string]string, len(s.deps.Ready))
	var mu stdsync.Mutex
	var wg stdsync.WaitGroup
	for name, check := range s.deps.Ready {
		wg.Go(func() {
			status := "ok"
			if err := check(ctx); err != nil {
				status = "unavailable"
			}
			mu.Lock()
			results[name] = status
			mu.Unlock()
		})
	}
	wg.Wait()
	var failed []string
	for name, status := range results {
		if status != "ok" {
			failed = append(failed, name)
		}
	}
	if len(failed) == 0 {
		return c.JSON(readyResponse{Status: "ready", Checks: results})
	}
	sort.Strings(failed)
	fields := make(map[string]string, len(failed))
	for _, name := range failed {
		fields[name] = "unavailable"
	}
	return &domain.Error{Code: domain.CodeUnavailable, Message: "not ready: " + joinComma(failed), Fields: fields}
}

func joinComma(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
