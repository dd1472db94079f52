package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
)

// RxDB's replication protocol (RxDB 17 replicateRxCollection), one collection per endpoint,
// mapped onto the same engine as /v1/sync (docs/sync-protocol.md, section "RxDB"):
//
//	POST /v1/rxdb/:collection/push    [{assumedMasterState, newDocumentState}] → [conflict docs]
//	GET  /v1/rxdb/:collection/pull?checkpoint=<cursor>&limit=<n> → {documents, checkpoint: {cursor}}
//	GET  /v1/rxdb/:collection/stream  Server-Sent Events: data: "RESYNC"

// rxdbStamped are the keys of an RxDB document that the server stamps: never sent as fields of a
// mutation (every key starting with '_' is RxDB's own and is left out too).
var rxdbStamped = map[string]bool{"id": true, "version": true, "owner": true, "team": true,
	"createdAt": true, "updatedAt": true, "deleted": true, "conflicts": true}

// rxdbResync is the stream event that tells RxDB to pull from its last checkpoint.
const rxdbResync = "data: \"RESYNC\"\n\n"

func (s *Server) rxdbRoutes() {
	g := s.app.Group("/v1/rxdb", s.requireAuth)
	g.Post("/:collection/push", s.rxdbPush)
	g.Get("/:collection/pull", s.rxdbPull)
	g.Get("/:collection/stream", s.rxdbStream)
}

// rxdbCollection is the :collection of the route: a synced or a server-computed collection.
// Errors: not_found for any other name.
func rxdbCollection(c *fiber.Ctx) (string, error) {
	// A copy: Fiber hands its context, params included, to the next request once a handler has
	// returned, and the stream keeps the name after that.
	name := strings.Clone(c.Params("collection"))
	if slices.Contains(domain.SyncedCollections(), name) || slices.Contains(domain.ComputedCollections(), name) {
		return name, nil
	}
	return "", domain.Errorf(domain.CodeNotFound, "no collection %q replicates", name)
}

// rxdbRow is one row of an RxDB push: the document as the client last had it from the server
// (absent for a document the server never sent) and the state the client wants.
type rxdbRow struct {
	AssumedMasterState map[string]any `json:"assumedMasterState"`
	NewDocumentState   map[string]any `json:"newDocumentState"`
}

// rxdbPush handles POST /v1/rxdb/:collection/push. Each row becomes one mutation
// (rxdbMutation), all of them one sync.Engine.Push batch; the answer is RxDB's list of
// conflicts (rxdbAnswer). Keys of a row other than assumedMasterState and newDocumentState are
// ignored. Errors: 400 invalid for a body that is not an array of rows with a string
// newDocumentState.id and a whole-number assumedMasterState.version; 413 too_large above
// Limits().MaxBatch rows or MaxPushBytes.
func (s *Server) rxdbPush(c *fiber.Ctx) error {
	coll, err := rxdbCollection(c)
	if err != nil {
		return err
	}
	if len(c.Body()) > MaxPushBytes {
		return domain.Errorf(domain.CodeTooLarge, "a push body holds at most %d bytes", MaxPushBytes)
	}
	var rows []rxdbRow
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.UseNumber() // numbers stay exact, for the diff and the mutation id
	if err := dec.Decode(&rows); err != nil || dec.More() {
		return domain.Invalid("malformed RxDB push: the body must be one JSON array of rows", nil)
	}
	if n := s.deps.Sync.Limits().MaxBatch; len(rows) > n {
		return domain.Errorf(domain.CodeTooLarge, "a push holds at most %d rows, this one %d", n, len(rows))
	}
	muts := make([]sync.Mutation, len(rows))
	for i, row := range rows {
		if muts[i], err = rxdbMutation(coll, row); err != nil {
			return domain.Invalid("malformed RxDB push row", map[string]string{fmt.Sprintf("[%d]", i): err.Error()})
		}
	}
	results, err := s.deps.Sync.Push(c.UserContext(), principalOf(c), c.IP(), muts)
	if err != nil {
		return err
	}
	answer, err := s.rxdbAnswer(c, coll, muts, results)
	if err != nil {
		return err
	}
	return c.JSON(answer)
}

// rxdbAnswer is the answer to a push: the server's current document (rxdbDoc) of every row the
// engine did not apply as sent (merged, conflict, rejected), in row order, so that RxDB's
// conflict handler takes it and converges; applied rows are left out. Rejected rows are logged
// with their code and field names, never values (they may hold customer data).
func (s *Server) rxdbAnswer(c *fiber.Ctx, coll string, muts []sync.Mutation, results []sync.Result) ([]map[string]any, error) {
	docs := make([]map[string]any, len(results))
	var lookup []string
	for i, r := range results {
		if r.Status == sync.StatusApplied {
			continue
		}
		if r.Status == sync.StatusRejected && r.Error != nil {
			s.cfg.Logger.Warn("rxdb push row rejected", slog.String("requestId", requestIDOf(c)),
				slog.String("collection", coll), slog.String("code", r.Error.Code),
				slog.Any("fields", slices.Sorted(maps.Keys(r.Error.Fields))))
		}
		if r.Record != nil {
			docs[i] = rxdbDoc(muts[i].ID, r.Record, r.Record["deleted"] == true, false)
		} else {
			lookup = append(lookup, muts[i].ID)
		}
	}
	var current map[string]map[string]any
	if len(lookup) > 0 {
		var err error
		if current, err = s.rxdbCurrent(c.UserContext(), principalOf(c), coll, lookup); err != nil {
			return nil, err
		}
	}
	answer := make([]map[string]any, 0, len(docs))
	for i, r := range results {
		switch {
		case docs[i] != nil:
			answer = append(answer, docs[i])
		case r.Status != sync.StatusApplied:
			answer = append(answer, current[muts[i].ID])
		}
	}
	return answer, nil
}

// rxdbMutation maps one RxDB push row onto a mutation: baseVersion is assumedMasterState.version
// (0 when absent); _deleted: true is a delete; otherwise an upsert of the top-level fields of
// newDocumentState that differ from assumedMasterState (sync.EqualValues; a field the new state
// dropped is cleared with null), leaving out the server-stamped keys and every key starting with
// '_'. Re-creating a document the client saw deleted sends all its fields (the engine rebuilds a
// re-created record from the sent fields alone). The mutation id is rxdbMutationID, so that a
// resend after a lost response is the same mutation. Errors: a row without a string
// newDocumentState.id, or whose assumedMasterState.version is not a whole number.
func rxdbMutation(collection string, row rxdbRow) (sync.Mutation, error) {
	doc, base := row.NewDocumentState, row.AssumedMasterState
	id, ok := doc["id"].(string)
	if !ok || id == "" {
		return sync.Mutation{}, fmt.Errorf("newDocumentState.id must be a string")
	}
	var version int64
	switch v := base["version"].(type) {
	case nil:
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		if err != nil {
			return sync.Mutation{}, fmt.Errorf("assumedMasterState.version must be a whole number")
		}
		version = n
	default:
		return sync.Mutation{}, fmt.Errorf("assumedMasterState.version must be a whole number")
	}
	m := sync.Mutation{MutationID: rxdbMutationID(collection, id, version, row), Collection: collection, ID: id,
		Op: sync.OpUpsert, BaseVersion: version}
	if doc["_deleted"] == true {
		m.Op = sync.OpDelete
		return m, nil
	}
	if base["_deleted"] == true {
		base = nil
	}
	m.Fields = map[string]any{}
	for k := range doc {
		if !rxdbStamped[k] && !strings.HasPrefix(k, "_") && !sync.EqualValues(doc[k], base[k]) {
			m.Fields[k] = doc[k]
		}
	}
	for k := range base {
		if _, kept := doc[k]; !kept && !rxdbStamped[k] && !strings.HasPrefix(k, "_") && !sync.EqualValues(nil, base[k]) {
			m.Fields[k] = nil
		}
	}
	return m, nil
}

// rxdbMutationID is the mutation id of a push row: SHA-256 (hex, 64 characters) of the
// collection, the document id, the base version and both document states in canonical JSON
// (encoding/json sorts object keys). RxDB resends a push that failed with the very same rows,
// so a resend hashes the same and the engine answers it from its receipt (exactly once). The
// assumed state is part of it so that the same new state pushed again from another base (an
// edit undone and redone before the client saw the server's new version) is a new mutation.
func rxdbMutationID(collection, id string, version int64, row rxdbRow) string {
	raw, _ := json.Marshal([]any{"rxdb/v1", collection, id, version, row.AssumedMasterState, row.NewDocumentState})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// rxdbDoc is a record as an RxDB document: the wire record (sync.WireRecord) with its "deleted"
// key replaced by RxDB's "_deleted" ("deleted" is a getter of RxDocument, refused by RxDB's
// schemas) and without its null fields (a cleared field is an absent key in RxDB, and the engine
// reads an absent field as null, so the two agree). A record the caller may no longer see
// (revoked), or none at all, is the stub {"id": id, "_deleted": true}, so that the client drops it.
func rxdbDoc(id string, record map[string]any, deleted, revoked bool) map[string]any {
	if revoked || record == nil {
		return map[string]any{"id": id, "_deleted": true}
	}
	doc := make(map[string]any, len(record))
	for k, v := range record {
		if v != nil && k != "deleted" {
			doc[k] = v
		}
	}
	doc["_deleted"] = deleted
	return doc
}

// rxdbCurrent returns the current document of each of ids as p sees it (rxdbDoc; the deleted
// stub for one p cannot see or that does not exist). The engine has no read by id, so it pulls
// the collection from the start, in pages of Limits().MaxPullLimit, until it has them all: a
// cost in the size of the collection, paid only for rows the engine answered without a record
// (rejected rows, and merged or conflicting ones answered again from the mutation log).
func (s *Server) rxdbCurrent(ctx context.Context, p domain.Principal, collection string, ids []string) (map[string]map[string]any, error) {
	docs := make(map[string]map[string]any, len(ids))
	for _, id := range ids {
		docs[id] = rxdbDoc(id, nil, true, true)
	}
	keys := make([]sync.RecordKey, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, sync.RecordKey{Collection: collection, ID: id})
	}
	current, err := s.deps.Sync.Get(ctx, p, keys)
	if err != nil {
		return nil, err
	}
	for k, ch := range current {
		docs[k.ID] = rxdbDoc(ch.ID, ch.Record, ch.Deleted, ch.Revoked)
	}
	return docs, nil
}

// rxdbCheckpoint is RxDB's checkpoint: the engine's opaque pull cursor.
type rxdbCheckpoint struct {
	Cursor string `json:"cursor"`
}

// rxdbPage is the answer of a pull: {"documents": [...], "checkpoint": {"cursor": "..."}}.
type rxdbPage struct {
	Documents  []map[string]any `json:"documents"`
	Checkpoint rxdbCheckpoint   `json:"checkpoint"`
}

// rxdbPull handles GET /v1/rxdb/:collection/pull?checkpoint=<cursor>&limit=<n>
// (sync.Engine.PullCollection): the documents changed after the checkpoint's cursor, deleted
// and revoked ones with _deleted: true. Errors as /v1/sync/pull: 400 invalid (checkpoint,
// limit), 410 resync_required.
func (s *Server) rxdbPull(c *fiber.Ctx) error {
	coll, err := rxdbCollection(c)
	if err != nil {
		return err
	}
	limit := 0
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return domain.Invalid("invalid limit", map[string]string{"limit": "must be a whole number from 1"})
		}
	}
	page, err := s.deps.Sync.PullCollection(c.UserContext(), principalOf(c), coll, c.Query("checkpoint"), limit)
	if err != nil {
		return err
	}
	out := rxdbPage{Documents: make([]map[string]any, 0, len(page.Changes)), Checkpoint: rxdbCheckpoint{Cursor: page.Cursor}}
	for _, ch := range page.Changes {
		out.Documents = append(out.Documents, rxdbDoc(ch.ID, ch.Record, ch.Deleted, ch.Revoked))
	}
	return c.JSON(out)
}

// rxdbStream handles GET /v1/rxdb/:collection/stream: Server-Sent Events whose data is an
// RxReplicationPullStreamItem. It sends "RESYNC" at once (the client may have missed changes
// while it was not connected) and again whenever a change of the collection visible to the
// caller commits, so that RxDB pulls from its own checkpoint; a ": heartbeat" comment every
// StreamTiming.Heartbeat.
func (s *Server) rxdbStream(c *fiber.Ctx) error {
	coll, err := rxdbCollection(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	cursor, _, err := s.deps.Sync.LatestCollection(c.UserContext(), p, coll, "")
	if err != nil {
		return err
	}
	poll := func(ctx context.Context, cursor string) (string, bool, error) {
		return s.deps.Sync.LatestCollection(ctx, p, coll, cursor)
	}
	s.serveEvents(c, cursor, "retry: 3000\n: connected\n\n"+rxdbResync, poll, func(string) string { return rxdbResync })
	return nil
}
