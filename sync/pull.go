package sync

import (
	"context"
	"slices"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// Change is one entry of a pull page: {"collection","id","version","deleted","revoked","record"}.
// Revoked means the caller may no longer see the record: the phone drops it (Record is nil).
type Change struct {
	Collection string         `json:"collection"`
	ID         string         `json:"id"`
	Version    int64          `json:"version"`
	Deleted    bool           `json:"deleted"`
	Revoked    bool           `json:"revoked,omitempty"`
	Record     map[string]any `json:"record,omitempty"`
}

// Page is one pull answer: {"changes": [...], "cursor": "...", "hasMore": bool}.
type Page struct {
	Changes []Change `json:"changes"`
	Cursor  string   `json:"cursor"`
	HasMore bool     `json:"hasMore"`
}

// Pull returns the changes visible to p after cursor, in commit order, at most limit (0: the
// default; above Limits.MaxPullLimit: that). It never passes a change still being written, and
// never repeats one across pages. An empty cursor starts from the beginning and leaves out
// records already deleted. Errors: code invalid (field "cursor") for a malformed cursor, one of
// another user, or one from the future; code resync_required for one older than the tombstone
// retention (the phone must drop its data and pull from scratch); code invalid (field "limit")
// for a negative limit.
func (e *Engine) Pull(ctx context.Context, p domain.Principal, cursor string, limit int) (Page, error) {
	return e.PullCollection(ctx, p, "", cursor, limit)
}

// PullCollection is Pull limited to one collection ("" for all), for clients that replicate
// each collection on its own (RxDB). Its cursors are interchangeable with Pull's but only
// meaningful for the collection they were issued for.
func (e *Engine) PullCollection(ctx context.Context, p domain.Principal, collection, cursor string, limit int) (Page, error) {
	if limit < 0 {
		return Page{}, domain.Invalid("invalid limit", map[string]string{"limit": "must be 1 or more"})
	}
	if limit == 0 {
		limit = e.limits.DefaultPullLimit
	}
	limit = min(limit, e.limits.MaxPullLimit)
	after, err := decodeCursor(e.cursorKey, p.UserID, cursor)
	if err != nil {
		return Page{}, err
	}
	h, err := e.sequencer.Horizon(ctx)
	if err != nil {
		return Page{}, err
	}
	if after > h.Allocated {
		return Page{}, badCursor("is ahead of the server: it was not issued by this server's data")
	}
	if after > 0 && after < h.Purged {
		return Page{}, domain.Errorf(domain.CodeResync, "this cursor is older than the tombstone retention: drop local data and pull from scratch")
	}
	page := Page{Changes: []Change{}}
	if h.Stable <= after {
		page.Cursor = encodeCursor(e.cursorKey, p.UserID, after)
		return page, nil
	}
	tokens := e.rules.Tokens(p)
	recs, err := e.records.Changes(ctx, ChangeQuery{Tokens: tokens, Collection: collection, After: after, Through: h.Stable,
		Limit: limit + 1, SkipDeleted: after == 0})
	if err != nil {
		return Page{}, err
	}
	next := h.Stable
	if len(recs) > limit {
		recs, page.HasMore = recs[:limit], true
		next = recs[limit-1].Seq
	}
	for _, rec := range recs {
		page.Changes = append(page.Changes, e.change(p, tokens, rec))
	}
	page.Cursor = encodeCursor(e.cursorKey, p.UserID, next)
	return page, nil
}

// change is rec as p sees it: the record, or a revoked marker when none of p's tokens is in its
// audience any more.
func (e *Engine) change(p domain.Principal, tokens []string, rec *Record) Change {
	c := Change{Collection: rec.Collection, ID: rec.ID, Version: rec.Version, Deleted: rec.Deleted}
	if !slices.ContainsFunc(tokens, func(t string) bool { return slices.Contains(rec.Audience, t) }) {
		c.Revoked = true
		return c
	}
	c.Record = WireRecord(e.rules.View(p, rec), rec)
	return c
}

// WireRecord is the JSON shape of a record for a client: its visible fields (fields, the
// caller's view of rec) plus the server-stamped ones (id, version, owner, team, createdAt,
// updatedAt, deleted, and the conflict log entries of visible fields).
func WireRecord(fields map[string]any, rec *Record) map[string]any {
	out := make(map[string]any, len(fields)+8)
	for k, v := range fields {
		out[k] = v
	}
	out["id"] = rec.ID
	out["version"] = rec.Version
	out["owner"] = rec.Owner
	out["team"] = rec.Team
	out["createdAt"] = rec.CreatedAt.UTC().Format(time.RFC3339Nano)
	out["updatedAt"] = rec.UpdatedAt.UTC().Format(time.RFC3339Nano)
	out["deleted"] = rec.Deleted
	// The conflict log holds values of fields too: an entry of a field the view leaves out
	// (customer details outside the team) is left out with it.
	conflicts := make([]ConflictEntry, 0, len(rec.Conflicts))
	for _, c := range rec.Conflicts {
		_, inRecord := rec.Fields[c.Field]
		if _, visible := fields[c.Field]; inRecord && !visible {
			continue
		}
		conflicts = append(conflicts, c)
	}
	out["conflicts"] = conflicts
	return out
}

// Latest returns the cursor a stream should announce to p: the newest stable position, and
// whether any change visible to p lies between after and it.
func (e *Engine) Latest(ctx context.Context, p domain.Principal, cursor string) (string, bool, error) {
	return e.LatestCollection(ctx, p, "", cursor)
}

// LatestCollection is Latest limited to one collection ("" for all).
func (e *Engine) LatestCollection(ctx context.Context, p domain.Principal, collection, cursor string) (string, bool, error) {
	after, err := decodeCursor(e.cursorKey, p.UserID, cursor)
	if err != nil {
		return "", false, err
	}
	h, err := e.sequencer.Horizon(ctx)
	if err != nil {
		return "", false, err
	}
	if h.Stable <= after {
		return cursor, false, nil
	}
	recs, err := e.records.Changes(ctx, ChangeQuery{Tokens: e.rules.Tokens(p), Collection: collection, After: after,
		Through: h.Stable, Limit: 1})
	if err != nil {
		return "", false, err
	}
	return encodeCursor(e.cursorKey, p.UserID, h.Stable), len(recs) > 0, nil
}

// Get returns the current state of the records of keys as p sees them, keyed by id, in the
// shape of a pull change: a record p may see (tombstones included), or a revoked marker for one
// p could see before. Records p never could see are absent, as are missing ones.
func (e *Engine) Get(ctx context.Context, p domain.Principal, keys []RecordKey) (map[RecordKey]Change, error) {
	recs, err := e.records.GetMany(ctx, keys)
	if err != nil {
		return nil, err
	}
	tokens := e.rules.Tokens(p)
	out := make(map[RecordKey]Change, len(recs))
	for k, rec := range recs {
		seen := func(list []string) bool {
			return slices.ContainsFunc(tokens, func(t string) bool { return slices.Contains(list, t) })
		}
		if seen(rec.Audience) || seen(rec.Revoked) {
			out[k] = e.change(p, tokens, rec)
		}
	}
	return out, nil
}
