package dump

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Source is a store that can be dumped: sync/sqlitestore.Store and sync/mongostore.Exporter.
type Source interface {
	// Export calls emit once per item the store holds (every kind but header, trailer and
	// object), each with Kind and its one field set, in the order of the kinds' declaration.
	// It reads a consistent snapshot where the store offers one (SQLite); otherwise the store
	// should not be written meanwhile. It returns emit's first error.
	Export(ctx context.Context, emit func(Item) error) error
}

// Object describes one stored object: its key, size in bytes and content type.
type Object struct {
	Key         string
	Size        int64
	ContentType string
}

// Objects is an object store seen by key (the photos; sync/objectstore.DumpObjects).
type Objects interface {
	// List returns the objects whose key starts with prefix, by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Get opens the object under key.
	Get(ctx context.Context, key string) (io.ReadCloser, Object, error)
	// Put stores size bytes from r under key.
	Put(ctx context.Context, key string, r io.Reader, o Object) error
}

// PhotoPrefix is the key prefix of the photo originals (sync/blobs.OriginalKey) that a dump with
// Options.Objects carries; thumbnails are made again on demand and are not dumped.
const PhotoPrefix = "blobs/"

// Options says what Write puts in a dump.
type Options struct {
	// Objects, when set, adds the bytes of every object under PhotoPrefix (base64, in chunks of
	// ChunkSize).
	Objects Objects
	// Now is the header's creation time; time.Now when nil.
	Now func() time.Time
}

// Write writes the dump of src to w: the header, every item of src, the objects when
// opt.Objects is set, and the trailer. It returns the counts written (the trailer's).
func Write(ctx context.Context, src Source, w io.Writer, opt Options) (Counts, error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	counts := Counts{}
	put := func(it Item) error {
		if err := enc.Encode(it); err != nil {
			return fmt.Errorf("write dump %s: %w", it.Kind, err)
		}
		return nil
	}
	h := &Header{Format: Format, Version: Version, CreatedAt: now().UTC(), Photos: opt.Objects != nil}
	if err := put(Item{Kind: KindHeader, Header: h}); err != nil {
		return nil, err
	}
	err := src.Export(ctx, func(it Item) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		counts[it.Kind]++
		return put(it)
	})
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	if opt.Objects != nil {
		if err := writeObjects(ctx, opt.Objects, counts, put); err != nil {
			return nil, err
		}
	}
	if err := put(Item{Kind: KindTrailer, Trailer: &Trailer{Counts: counts}}); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write dump: %w", err)
	}
	return counts, nil
}

// writeObjects writes every photo original as chunks.
func writeObjects(ctx context.Context, objs Objects, counts Counts, put func(Item) error) error {
	list, err := objs.List(ctx, PhotoPrefix)
	if err != nil {
		return fmt.Errorf("dump photos: %w", err)
	}
	buf := make([]byte, ChunkSize)
	for _, o := range list {
		if err := writeObject(ctx, objs, o.Key, buf, counts, put); err != nil {
			return err
		}
	}
	return nil
}

func writeObject(ctx context.Context, objs Objects, key string, buf []byte, counts Counts, put func(Item) error) error {
	rc, o, err := objs.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("dump photo %s: %w", key, err)
	}
	defer rc.Close()
	var off int64
	for {
		n, err := io.ReadFull(rc, buf)
		if n > 0 || off == 0 {
			counts[KindObject]++
			c := &ObjectChunk{Key: key, Size: o.Size, ContentType: o.ContentType, Offset: off, Data: buf[:n]}
			if err := put(Item{Kind: KindObject, Object: c}); err != nil {
				return err
			}
			off += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return fmt.Errorf("dump photo %s: %w", key, err)
		}
	}
	if off != o.Size {
		return fmt.Errorf("dump photo %s: read %d of %d bytes", key, off, o.Size)
	}
	return nil
}
