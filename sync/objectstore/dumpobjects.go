package objectstore

import (
	"context"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/fieldsync/fieldsync/sync/dump"
)

var _ dump.Objects = DumpObjects{}

// DumpObjects is a Store seen as dump.Objects: the photos that `fieldsync admin dump --photos`
// writes and `restore` puts back.
type DumpObjects struct{ Store *Store }

// List implements dump.Objects: the objects under prefix, by key.
func (d DumpObjects) List(ctx context.Context, prefix string) ([]dump.Object, error) {
	var out []dump.Object
	for o := range d.Store.client.ListObjects(ctx, d.Store.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, translate(o.Err, "list objects under %s", prefix)
		}
		out = append(out, dump.Object{Key: o.Key, Size: o.Size, ContentType: o.ContentType})
	}
	return out, nil
}

// Get implements dump.Objects.
func (d DumpObjects) Get(ctx context.Context, key string) (io.ReadCloser, dump.Object, error) {
	rc, info, err := d.Store.Get(ctx, key)
	if err != nil {
		return nil, dump.Object{}, err
	}
	return rc, dump.Object{Key: key, Size: info.Size, ContentType: info.ContentType}, nil
}

// Put implements dump.Objects. A photo original (dump.PhotoPrefix + its SHA-256) keeps its hash
// as the object's SHA-256 metadata, as an upload stores it.
func (d DumpObjects) Put(ctx context.Context, key string, r io.Reader, o dump.Object) error {
	sum := ""
	if h, ok := strings.CutPrefix(key, dump.PhotoPrefix); ok && len(h) == 64 {
		sum = h
	}
	_, err := d.Store.Put(ctx, key, r, o.Size, o.ContentType, sum)
	return err
}
