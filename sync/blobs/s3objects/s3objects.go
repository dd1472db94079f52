// Package s3objects is the blob service's object storage on S3 (blobs.Objects): the bucket of
// sync/objectstore, plus the server-side copy, listing and multipart clean-up that the photo
// service needs, through the same minio-go client.
package s3objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/objectstore"
)

// Objects implements blobs.Objects on one bucket.
type Objects struct {
	store *objectstore.Store
	core  minio.Core
}

// New returns the photo service's view of the bucket of store.
func New(store *objectstore.Store) *Objects {
	return &Objects{store: store, core: minio.Core{Client: store.Client()}}
}

// Put implements blobs.Objects.
func (o *Objects) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	_, err := o.store.Put(ctx, key, r, size, contentType, "")
	return err
}

// Copy implements blobs.Objects with S3 CopyObject (metadata and content type come along).
func (o *Objects) Copy(ctx context.Context, src, dst string) error {
	_, err := o.store.Client().CopyObject(ctx, minio.CopyDestOptions{Bucket: o.store.Bucket(), Object: dst},
		minio.CopySrcOptions{Bucket: o.store.Bucket(), Object: src})
	return translate(err, "copy object %s to %s", src, dst)
}

// Get implements blobs.Objects.
func (o *Objects) Get(ctx context.Context, key string) (io.ReadCloser, blobs.Object, error) {
	rc, info, err := o.store.Get(ctx, key)
	if err != nil {
		return nil, blobs.Object{}, err
	}
	return rc, toObject(info), nil
}

// Stat implements blobs.Objects.
func (o *Objects) Stat(ctx context.Context, key string) (blobs.Object, error) {
	info, err := o.store.Stat(ctx, key)
	if err != nil {
		return blobs.Object{}, err
	}
	return toObject(info), nil
}

// Delete implements blobs.Objects.
func (o *Objects) Delete(ctx context.Context, key string) error { return o.store.Delete(ctx, key) }

// List implements blobs.Objects.
func (o *Objects) List(ctx context.Context, prefix string, fn func(blobs.Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the listing goroutine when fn stops early
	for info := range o.store.Client().ListObjects(ctx, o.store.Bucket(), minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if info.Err != nil {
			return translate(info.Err, "list objects under %s", prefix)
		}
		if err := fn(blobs.Object{Key: info.Key, Size: info.Size, ContentType: info.ContentType, Modified: info.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// AbortUploads implements blobs.Objects.
func (o *Objects) AbortUploads(ctx context.Context, prefix string, cutoff time.Time) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := 0
	for up := range o.store.Client().ListIncompleteUploads(ctx, o.store.Bucket(), prefix, true) {
		if up.Err != nil {
			return n, translate(up.Err, "list multipart uploads under %s", prefix)
		}
		if up.Initiated.IsZero() || !up.Initiated.Before(cutoff) {
			continue
		}
		if err := o.core.AbortMultipartUpload(ctx, o.store.Bucket(), up.Key, up.UploadID); err != nil &&
			minio.ToErrorResponse(err).Code != "NoSuchUpload" {
			return n, translate(err, "abort multipart upload of %s", up.Key)
		}
		n++
	}
	return n, nil
}

func toObject(info objectstore.ObjectInfo) blobs.Object {
	return blobs.Object{Key: info.Key, Size: info.Size, ContentType: info.ContentType, Modified: info.LastModified}
}

// translate maps a minio-go error of the calls above to a domain error, as sync/objectstore does
// for its own: a missing key or bucket → not found; 503 and network failures → unavailable; the
// caller's context passes through; anything else is internal.
func translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	resp := minio.ToErrorResponse(err)
	var netErr net.Error
	switch {
	case resp.Code == minio.NoSuchKey || resp.Code == minio.NoSuchBucket:
		return &domain.Error{Code: domain.CodeNotFound, Message: msg, Err: err}
	case resp.StatusCode == http.StatusServiceUnavailable || resp.Code == "SlowDown":
		return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", msg, err)
	case errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF):
		return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err}
	}
	return &domain.Error{Code: domain.CodeInternal, Message: msg, Err: err}
}
