package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// localRecord is a record on a device: the server's state as the device last heard it (from a
// pull or a push answer) and its version, the base of the device's next edit.
type localRecord struct {
	version int64
	deleted bool
	server  map[string]any
}

// phone is one simulated device: its own sign-in, a local copy of what it may read, an outbox
// of mutations made offline, the photos it took, and a pull cursor. It syncs only when the
// scenario says it has signal.
type phone struct {
	sim     *sim
	owner   *member
	name    string
	api     *client
	local   map[recKey]*localRecord
	outbox  []mutation
	cursor  string
	offline bool
	// photos taken and not yet known to be on the server; uploadFirst uploads them before the
	// records that refer to them are pushed (else after).
	photos      []*photo
	uploadFirst bool
	stats       *syncStats
}

// syncStats counts what one member's devices did.
type syncStats struct {
	Pushed, Resent, Applied, Merged, Conflicts, Rejected int
	Uploaded, Deduplicated, Resumed, PullPages, Pulled   int
	UploadedBytes                                        int64
}

func (s *syncStats) add(o syncStats) {
	s.Pushed += o.Pushed
	s.Resent += o.Resent
	s.Applied += o.Applied
	s.Merged += o.Merged
	s.Conflicts += o.Conflicts
	s.Rejected += o.Rejected
	s.Uploaded += o.Uploaded
	s.Deduplicated += o.Deduplicated
	s.Resumed += o.Resumed
	s.PullPages += o.PullPages
	s.Pulled += o.Pulled
	s.UploadedBytes += o.UploadedBytes
}

// edit records a change made on the device at the simulated time at: an upsert of fields (only
// the changed ones, docs/sync-protocol.md), against the version the device holds. reject is
// the error code the scenario expects for a deliberate refusal, "" for none.
func (p *phone) edit(at time.Time, coll, id string, fields map[string]any, reject string) string {
	return p.queue(at, coll, id, "upsert", fields, reject)
}

// remove records a delete made on the device.
func (p *phone) remove(at time.Time, coll, id string) string {
	return p.queue(at, coll, id, "delete", nil, "")
}

func (p *phone) queue(at time.Time, coll, id, op string, fields map[string]any, reject string) string {
	k := recKey{coll, id}
	rec := p.local[k]
	if rec == nil {
		rec = &localRecord{server: map[string]any{}}
		p.local[k] = rec
	}
	m := mutation{MutationID: p.sim.newID(), Collection: coll, ID: id, Op: op, BaseVersion: rec.version,
		Fields: fields, ClientTime: at.Format(time.RFC3339)}
	p.outbox = append(p.outbox, m)
	p.sim.ledger.queued(p, m, reject)
	return m.MutationID
}

// see returns the device's copy of a record's field ("" when it has none).
func (p *phone) see(coll, id, field string) any {
	if rec := p.local[recKey{coll, id}]; rec != nil {
		return rec.server[field]
	}
	return nil
}

// sync is what the app does when signal returns: upload photos (first or last, as this device
// is set up), push the outbox in batches, then pull every page. Offline devices do nothing.
func (p *phone) sync(ctx context.Context) error {
	if p.offline {
		return nil
	}
	if p.uploadFirst {
		if err := p.uploadPhotos(ctx); err != nil {
			return err
		}
	}
	for len(p.outbox) > 0 {
		n := min(len(p.outbox), p.sim.cfg.Batch)
		batch := p.outbox[:n]
		if err := p.pushBatch(ctx, batch); err != nil {
			return err
		}
		p.outbox = p.outbox[n:]
	}
	if !p.uploadFirst {
		if err := p.uploadPhotos(ctx); err != nil {
			return err
		}
	}
	return p.pullAll(ctx)
}

// pushBatch pushes one batch; now and then the answer is lost after the server committed (the
// simulator drops it on purpose) and the very same batch is sent again.
func (p *phone) pushBatch(ctx context.Context, batch []mutation) error {
	l := p.sim.ledger
	n := l.nextBatch()
	res, err := p.api.push(ctx, batch)
	if err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	p.stats.Pushed += len(batch)
	if p.sim.chance(p.sim.cfg.DropRate) {
		again, err := p.api.push(ctx, batch)
		if err != nil {
			return fmt.Errorf("%s resend: %w", p.name, err)
		}
		l.resent(res, again)
		p.stats.Resent += len(batch)
		res = again
	}
	for i, r := range res {
		m := batch[i]
		l.answered(m, r, n)
		k := recKey{m.Collection, m.ID}
		rec := p.local[k]
		switch r.Status {
		case "applied":
			p.stats.Applied++
			if r.Version > 0 {
				rec.version = r.Version
			}
			if m.Op == "delete" {
				rec.deleted = true
			}
			for f, v := range m.Fields {
				rec.server[f] = norm(v)
			}
		case "merged", "conflict":
			if r.Status == "merged" {
				p.stats.Merged++
			} else {
				p.stats.Conflicts++
			}
			rec.version = r.Version
			if r.Record != nil {
				rec.server = r.Record
				rec.deleted, _ = r.Record["deleted"].(bool)
			}
		case "rejected":
			p.stats.Rejected++
			if rec.version == 0 {
				delete(p.local, k) // never on the server: drop it
			}
		}
	}
	return nil
}

// uploadPhotos asks which of the device's photos the server lacks and uploads those.
func (p *phone) uploadPhotos(ctx context.Context) error {
	if len(p.photos) == 0 {
		return nil
	}
	hashes := make([]string, len(p.photos))
	for i, ph := range p.photos {
		hashes[i] = ph.Hash
	}
	missing, err := p.api.missing(ctx, hashes)
	if err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	p.stats.Deduplicated += len(hashes) - len(missing)
	for _, ph := range p.photos {
		if !slices.Contains(missing, ph.Hash) {
			continue
		}
		data, err := p.sim.photos.bytes(ph)
		if err != nil {
			return err
		}
		if p.sim.cutUpload == ph {
			offset, err := p.api.uploadResumable(ctx, ph.Hash, data, len(data)/2)
			if err != nil {
				return fmt.Errorf("%s resumable upload: %w", p.name, err)
			}
			p.sim.resumedAt = offset
			p.stats.Resumed++
		} else if created, err := p.api.putBlob(ctx, ph.Hash, data); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		} else if !created {
			p.stats.Deduplicated++
			continue
		}
		p.stats.Uploaded++
		p.stats.UploadedBytes += int64(len(data))
	}
	p.photos = nil
	return nil
}

// pullAll pulls every page after the device's cursor into its local copy.
func (p *phone) pullAll(ctx context.Context) error {
	for {
		pg, err := p.api.pull(ctx, p.cursor, p.sim.cfg.PullLimit)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		p.stats.PullPages++
		p.stats.Pulled += len(pg.Changes)
		for _, c := range pg.Changes {
			k := recKey{c.Collection, c.ID}
			if c.Revoked {
				delete(p.local, k)
				continue
			}
			p.local[k] = &localRecord{version: c.Version, deleted: c.Deleted, server: c.Record}
		}
		p.cursor = pg.Cursor
		if !pg.HasMore {
			return nil
		}
	}
}

// snapshot pulls everything this device's user may read from scratch (no cursor): the server's
// view, to compare with the device's copy.
func (p *phone) snapshot(ctx context.Context) (map[recKey]*localRecord, error) {
	out := map[recKey]*localRecord{}
	cursor := ""
	for {
		pg, err := p.api.pull(ctx, cursor, 1000)
		if err != nil {
			return nil, err
		}
		for _, c := range pg.Changes {
			k := recKey{c.Collection, c.ID}
			if c.Revoked || c.Deleted {
				delete(out, k)
				continue
			}
			out[k] = &localRecord{version: c.Version, server: c.Record}
		}
		cursor = pg.Cursor
		if !pg.HasMore {
			return out, nil
		}
	}
}

// live returns the device's records that are not deleted.
func (p *phone) live() map[recKey]*localRecord {
	out := maps.Clone(p.local)
	maps.DeleteFunc(out, func(_ recKey, r *localRecord) bool { return r.deleted })
	return out
}
