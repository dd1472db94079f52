package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// MaxPushBytes is the largest push body (5 MB); larger answers 413 too_large before anything is
// applied (sync protocol v1).
const MaxPushBytes = 5 << 20

func (s *Server) syncRoutes() {
	g := s.app.Group("/v1/sync", s.requireAuth)
	g.Post("/push", s.push)
	g.Get("/pull", s.pull)
	g.Get("/stream", s.stream)
	s.rxdbRoutes()
}

// pushRequest is the body of POST /v1/sync/push. Mutations are decoded one by one, so that one
// malformed mutation is rejected alone.
type pushRequest struct {
	DeviceID  string            `json:"deviceId"`
	Mutations []json.RawMessage `json:"mutations"`
}

// wireMutation is one mutation as a phone sends it.
type wireMutation struct {
	MutationID  string         `json:"mutationId"`
	Collection  string         `json:"collection"`
	ID          string         `json:"id"`
	Op          string         `json:"op"`
	BaseVersion int64          `json:"baseVersion"`
	Fields      map[string]any `json:"fields"`
	ClientTime  string         `json:"clientTime"`
}

// pushResponse is {"results": [...], "serverTime": "<RFC 3339>"}.
type pushResponse struct {
	Results    []sync.Result `json:"results"`
	ServerTime string        `json:"serverTime"`
}

// decodeJSON decodes b strictly: numbers stay exact (json.Number), unknown top-level keys fail.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// toMutation converts a wire mutation; a malformed one becomes a rejected result instead.
func toMutation(raw json.RawMessage) (sync.Mutation, *sync.Result) {
	var w wireMutation
	if err := decodeJSON(raw, &w); err != nil {
		var id struct {
			MutationID string `json:"mutationId"`
		}
		_ = json.Unmarshal(raw, &id)
		return sync.Mutation{}, &sync.Result{MutationID: id.MutationID, Status: sync.StatusRejected,
			Error: &sync.ResultError{Code: string(domain.CodeInvalid), Message: "malformed mutation: " + err.Error()}}
	}
	m := sync.Mutation{MutationID: w.MutationID, Collection: w.Collection, ID: w.ID, Op: sync.Op(w.Op),
		BaseVersion: w.BaseVersion, Fields: w.Fields}
	if w.ClientTime != "" {
		t, err := time.Parse(time.RFC3339Nano, w.ClientTime)
		if err != nil {
			return m, &sync.Result{MutationID: w.MutationID, Status: sync.StatusRejected, Error: &sync.ResultError{
				Code: string(domain.CodeInvalid), Message: "invalid mutation",
				Fields: map[string]string{"clientTime": "must be an RFC 3339 time"}}}
		}
		m.ClientTime = t
	}
	return m, nil
}

// push handles POST /v1/sync/push: every mutation gets a result, in order (sync.Engine.Push).
func (s *Server) push(c *fiber.Ctx) error {
	p := principalOf(c)
	if len(c.Body()) > MaxPushBytes {
		return domain.Errorf(domain.CodeTooLarge, "a push body holds at most %d bytes", MaxPushBytes)
	}
	var req pushRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return domain.Invalid("malformed push: "+err.Error(), nil)
	}
	// The access token names the device (its idempotency keys); a deviceId in the body is the
	// app's own label of it and is not checked.
	if n := s.deps.Sync.Limits().MaxBatch; len(req.Mutations) > n {
		return domain.Errorf(domain.CodeTooLarge, "a push holds at most %d mutations, this one %d", n, len(req.Mutations))
	}
	muts := make([]sync.Mutation, 0, len(req.Mutations))
	early := map[int]sync.Result{}
	index := make([]int, 0, len(req.Mutations))
	for i, raw := range req.Mutations {
		m, bad := toMutation(raw)
		if bad != nil {
			early[i] = *bad
			continue
		}
		muts = append(muts, m)
		index = append(index, i)
	}
	applied, err := s.deps.Sync.Push(c.UserContext(), p, c.IP(), muts)
	if err != nil {
		return err
	}
	results := make([]sync.Result, len(req.Mutations))
	for i, r := range early {
		results[i] = r
	}
	for j, r := range applied {
		results[index[j]] = r
	}
	return c.JSON(pushResponse{Results: results, ServerTime: s.serverTime(c).UTC().Format(time.RFC3339Nano)})
}

// serverTime is the time a push answer reports: the clock the engine stamps records with (the
// dev clock when it is on and set, docs/fieldsim.md), else the real one.
func (s *Server) serverTime(c *fiber.Ctx) time.Time {
	if s.deps.DevClock != nil {
		if now, set, err := s.deps.DevClock.Reading(c.UserContext()); err == nil && set {
			return now
		}
	}
	return time.Now()
}

// pull handles GET /v1/sync/pull?cursor=&limit= (sync.Engine.Pull).
func (s *Server) pull(c *fiber.Ctx) error {
	limit := 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return domain.Invalid("invalid limit", map[string]string{"limit": "must be a whole number from 1"})
		}
		limit = n
	}
	page, err := s.deps.Sync.Pull(c.UserContext(), principalOf(c), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// StreamTiming sets how often a stream polls the store and sends heartbeats.
type StreamTiming struct {
	Poll      time.Duration // default 1 s
	Heartbeat time.Duration // default 25 s
}

// stream handles GET /v1/sync/stream: Server-Sent Events. It sends
// "id: <cursor>\nevent: change\ndata: {"cursor":"<cursor>"}" whenever something visible to the
// caller changes, a ": heartbeat" comment every Heartbeat, and resumes after the cursor of a
// Last-Event-ID header (or ?cursor=). It polls the shared store, so it works with several
// server instances behind a load balancer.
func (s *Server) stream(c *fiber.Ctx) error {
	p := principalOf(c)
	cursor := c.Get("Last-Event-ID", c.Query("cursor"))
	// Validate before the stream starts, so that a bad cursor is a normal 400.
	if _, _, err := s.deps.Sync.Latest(c.UserContext(), p, cursor); err != nil {
		return err
	}
	poll := func(ctx context.Context, cur string) (string, bool, error) { return s.deps.Sync.Latest(ctx, p, cur) }
	s.serveEvents(c, strings.Clone(cursor), "retry: 3000\n: connected\n\n", poll, func(cur string) string {
		return fmt.Sprintf("id: %s\nevent: change\ndata: {\"cursor\":%q}\n\n", cur, cur)
	})
	return nil
}
