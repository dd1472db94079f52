package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// ReviewService is what the review queue endpoint needs (compute.Reviews).
type ReviewService interface {
	Queue(ctx context.Context, caller domain.Principal) (compute.ReviewQueue, error)
}

// reviewRoutes registers GET /v1/review/queue (docs/rules.md). The reviews themselves are
// pushes of review fields through /v1/sync/push, so that a leader may review offline.
func (s *Server) reviewRoutes() {
	s.app.Get("/v1/review/queue", s.requireAuth, s.reviewQueue)
}

// reviewItemJSON is one item of the queue.
type reviewItemJSON struct {
	Kind       string `json:"kind"`
	Collection string `json:"collection"`
	ID         string `json:"id"`
	Owner      string `json:"owner"`
	Since      string `json:"since"`
	Summary    string `json:"summary"`
}

// reviewQueue handles GET /v1/review/queue → {"items": [{kind, collection, id, owner, since,
// summary}], "counts": {kind: n}}, oldest first (leader: their team; purchasing, gm: the purchase
// requests at their step). Errors: 403 for other roles.
func (s *Server) reviewQueue(c *fiber.Ctx) error {
	q, err := s.deps.Review.Queue(c.UserContext(), principalOf(c))
	if err != nil {
		return err
	}
	items := mapSlice(q.Items, func(it compute.ReviewItem) reviewItemJSON {
		return reviewItemJSON{Kind: it.Kind, Collection: it.Collection, ID: it.ID, Owner: it.Owner,
			Since: it.Since.UTC().Format(time.RFC3339Nano), Summary: it.Summary}
	})
	return c.JSON(fiber.Map{"items": items, "counts": q.Counts})
}
