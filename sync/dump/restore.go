package dump

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Sink is a store a dump can be restored into: sync/sqlitestore.Store and
// sync/mongostore.Store.
type Sink interface {
	// Empty reports whether the store holds none of the kinds a dump carries (records,
	// mutations, accounts, settings, audit, policies, compute state, photo metadata) and has
	// handed out no sequence number: Restore never mixes a dump with other data.
	Empty(ctx context.Context) (bool, error)
	// Import stores items, all of one kind (never header, trailer or object), exactly as they
	// are: sequence numbers, versions and times included. The sequence item comes last, once.
	Import(ctx context.Context, items []Item) error
}

// Errors of Restore; match them with errors.Is.
var (
	// ErrNotEmpty: the target store already holds data; restore only into an empty store.
	ErrNotEmpty = errors.New("dump: the target store is not empty")
	// ErrVersion: the dump's format version is not one this build reads.
	ErrVersion = errors.New("dump: unsupported format version")
	// ErrMalformed: the input is not a well-formed dump (the error names the line).
	ErrMalformed = errors.New("dump: malformed")
)

// RestoreOptions says how Restore loads a dump.
type RestoreOptions struct {
	// Objects receives the photo bytes of a dump that carries them; nil skips them.
	Objects Objects
	// BatchSize is the most items of one Sink.Import call; 500 when 0.
	BatchSize int
}

// Restore loads the dump read from r into dst, which must be empty (ErrNotEmpty otherwise). It
// refuses another format or version (ErrVersion), a malformed line (ErrMalformed, with its line
// number) and a dump whose trailer is missing or does not match its lines. The sequence is
// restored last, raised to at least the highest sequence number of the records restored, so
// that the restored store's next number is above every restored one. A failure part-way leaves
// what was imported so far: empty the target before trying again. It returns the counts read.
func Restore(ctx context.Context, dst Sink, r io.Reader, opt RestoreOptions) (Counts, error) {
	batchSize := opt.BatchSize
	if batchSize <= 0 {
		batchSize = 500
	}
	rd := &lineReader{r: bufio.NewReaderSize(r, 1<<16)}
	first, err := rd.next()
	if err == io.EOF {
		return nil, fmt.Errorf("line 1: empty input, no %s header: %w", Format, ErrMalformed)
	}
	if err != nil {
		return nil, err
	}
	if first.Kind != KindHeader || first.Header == nil || first.Header.Format != Format {
		return nil, fmt.Errorf("line 1: not a %s header: %w", Format, ErrMalformed)
	}
	if first.Header.Version != Version {
		return nil, fmt.Errorf("line 1: version %d (this build reads %d): %w", first.Header.Version, Version, ErrVersion)
	}
	empty, err := dst.Empty(ctx)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if !empty {
		return nil, ErrNotEmpty
	}

	counts := Counts{}
	var batch []Item
	batchLine := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := dst.Import(ctx, batch); err != nil {
			return fmt.Errorf("lines %d-%d: restore %s: %w", batchLine, batchLine+len(batch)-1, batch[0].Kind, err)
		}
		batch = batch[:0]
		return nil
	}
	seq := Sequence{}
	seqLine := 0
	var obj objectWriter
	for {
		it, err := rd.next()
		if err == io.EOF {
			return nil, fmt.Errorf("line %d: no trailer (truncated dump): %w", rd.line, ErrMalformed)
		}
		if err != nil {
			return nil, err
		}
		if err := checkItem(it); err != nil {
			return nil, fmt.Errorf("line %d: %w", rd.line, err)
		}
		switch it.Kind {
		case KindTrailer:
			if err := flush(); err != nil {
				return nil, err
			}
			if err := obj.done(); err != nil {
				return nil, fmt.Errorf("line %d: %w", rd.line, err)
			}
			if !maps.Equal(it.Trailer.Counts, counts) {
				return nil, fmt.Errorf("line %d: the trailer counts %v, the dump holds %v: %w", rd.line, it.Trailer.Counts, counts, ErrMalformed)
			}
			if _, err := rd.next(); err != io.EOF {
				return nil, fmt.Errorf("line %d: data after the trailer: %w", rd.line, ErrMalformed)
			}
			if seqLine > 0 || counts[KindRecord] > 0 {
				if err := dst.Import(ctx, []Item{{Kind: KindSequence, Sequence: &seq}}); err != nil {
					return nil, fmt.Errorf("line %d: restore sequence: %w", seqLine, err)
				}
			}
			return counts, nil
		case KindHeader:
			return nil, fmt.Errorf("line %d: a second header: %w", rd.line, ErrMalformed)
		case KindObject:
			counts[KindObject]++
			if opt.Objects != nil {
				if err := obj.add(ctx, opt.Objects, it.Object); err != nil {
					return nil, fmt.Errorf("line %d: %w", rd.line, err)
				}
			}
			continue
		case KindSequence:
			if seqLine > 0 {
				return nil, fmt.Errorf("line %d: a second sequence: %w", rd.line, ErrMalformed)
			}
			seqLine = rd.line
			seq.Allocated, seq.Purged = max(seq.Allocated, it.Sequence.Allocated), it.Sequence.Purged
			counts[KindSequence]++
			continue
		case KindRecord:
			seq.Allocated = max(seq.Allocated, it.Record.Seq)
		}
		counts[it.Kind]++
		if len(batch) > 0 && (batch[0].Kind != it.Kind || len(batch) == batchSize) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if len(batch) == 0 {
			batchLine = rd.line
		}
		batch = append(batch, it)
	}
}

// checkItem reports an item whose kind is unknown or whose field of that kind is missing.
func checkItem(it Item) error {
	set := map[Kind]bool{
		KindHeader: it.Header != nil, KindSequence: it.Sequence != nil, KindRecord: it.Record != nil,
		KindMutation: it.Mutation != nil, KindTeam: it.Team != nil, KindUser: it.User != nil,
		KindDevice: it.Device != nil, KindRefreshToken: it.RefreshToken != nil, KindSetting: it.Setting != nil,
		KindAudit: it.Audit != nil, KindPolicy: it.Policy != nil, KindCheckpoint: it.Checkpoint != nil,
		KindClosedMonth: it.ClosedMonth != nil, KindBlob: it.Blob != nil, KindObject: it.Object != nil,
		KindTrailer: it.Trailer != nil,
	}
	ok, known := set[it.Kind]
	if !known {
		return fmt.Errorf("unknown kind %q (known: %v): %w", it.Kind, slices.Sorted(maps.Keys(set)), ErrMalformed)
	}
	if !ok {
		return fmt.Errorf("kind %q without its %q object: %w", it.Kind, it.Kind, ErrMalformed)
	}
	return nil
}

// lineReader reads a dump's items one line at a time, counting lines from 1.
type lineReader struct {
	r    *bufio.Reader
	line int
}

// next returns the next item, io.EOF at the end, or an error naming the line.
func (l *lineReader) next() (Item, error) {
	for {
		b, err := l.r.ReadBytes('\n')
		if len(b) == 0 && err == io.EOF {
			return Item{}, io.EOF
		}
		if err != nil && err != io.EOF {
			return Item{}, fmt.Errorf("line %d: read: %w", l.line+1, err)
		}
		l.line++
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue // a blank line (an editor's final newline) carries nothing
		}
		it, derr := decodeItem(b)
		if derr != nil {
			return Item{}, fmt.Errorf("line %d: %v: %w", l.line, derr, ErrMalformed)
		}
		return it, nil
	}
}

// objectWriter assembles an object's chunks and stores it once complete.
type objectWriter struct {
	cur *ObjectChunk // the object being assembled (Data grows), nil between objects
}

func (w *objectWriter) add(ctx context.Context, objs Objects, c *ObjectChunk) error {
	if w.cur == nil || c.Offset == 0 {
		if err := w.done(); err != nil {
			return err
		}
		if c.Offset != 0 || c.Size < 0 {
			return fmt.Errorf("object %s: first chunk at offset %d of %d: %w", c.Key, c.Offset, c.Size, ErrMalformed)
		}
		w.cur = &ObjectChunk{Key: c.Key, Size: c.Size, ContentType: c.ContentType, Data: make([]byte, 0, c.Size)}
	}
	if c.Key != w.cur.Key || c.Offset != int64(len(w.cur.Data)) || c.Offset+int64(len(c.Data)) > w.cur.Size {
		return fmt.Errorf("object %s: chunk at offset %d out of order: %w", c.Key, c.Offset, ErrMalformed)
	}
	w.cur.Data = append(w.cur.Data, c.Data...)
	if int64(len(w.cur.Data)) < w.cur.Size {
		return nil
	}
	o := w.cur
	w.cur = nil
	if err := objs.Put(ctx, o.Key, bytes.NewReader(o.Data), Object{Key: o.Key, Size: o.Size, ContentType: o.ContentType}); err != nil {
		return fmt.Errorf("restore photo %s: %w", o.Key, err)
	}
	return nil
}

// done reports an object left incomplete.
func (w *objectWriter) done() error {
	if w.cur != nil {
		return fmt.Errorf("object %s: %d of %d bytes: %w", w.cur.Key, len(w.cur.Data), w.cur.Size, ErrMalformed)
	}
	return nil
}
