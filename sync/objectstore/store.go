// Package objectstore is the S3 adapter (minio-go/v7): one bucket holding receipt images,
// signatures and photos. It talks to MinIO in production and to the embedded versitygw
// (sync/versitygw) by default and in tests; both check SigV4 signatures, so the client behaves
// the same against either.
package objectstore

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/fieldsync/fieldsync/domain"
)

// CheckTimeout bounds Check: a readiness probe gets its answer within it even when the server
// is gone or black-holed.
const CheckTimeout = 2 * time.Second

// DialTimeout bounds opening a TCP connection to the server.
const DialTimeout = 2 * time.Second

// maxRetries is the number of attempts per request (minio-go retries network errors and 5xx).
const maxRetries = 3

// DefaultRegion is used when Config.Region is empty (MinIO's and versitygw's default).
const DefaultRegion = "us-east-1"

// streamPartSize is the multipart part size for uploads of unknown size (size -1): memory held
// per upload, and with 10000 parts an upper bound of ~160 GiB per object. Without it minio-go
// would buffer parts of ~537 MiB.
const streamPartSize = 16 << 20

// sha256Meta is the user-metadata key holding the content's SHA-256 (x-amz-meta-sha256).
const sha256Meta = "sha256"

// Config says which bucket on which S3 server.
type Config struct {
	// Endpoint is the server's host:port, without scheme, e.g. "127.0.0.1:9000". Required.
	Endpoint string
	// AccessKey and SecretKey are the SigV4 credentials. Required.
	AccessKey, SecretKey string
	// Bucket is the bucket name (3–63 characters, lowercase letters, digits, '-', '.'). Required.
	Bucket string
	// Region is the region to sign for; DefaultRegion when empty.
	Region string
	// UseTLS selects https.
	UseTLS bool
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key          string
	Size         int64  // bytes
	ContentType  string // as given to Put; "application/octet-stream" when none was given
	SHA256       string // lowercase hex as given to Put; "" when none was given
	ETag         string // the server's entity tag, without quotes
	LastModified time.Time
}

// Store is one bucket on an S3 server. It is safe for concurrent use.
type Store struct {
	client *minio.Client
	bucket string
}

// Open creates the client and makes sure the bucket exists (EnsureBucket). ctx bounds the call.
// Errors: domain.ErrInvalid for a missing endpoint, credentials or bucket;
// domain.ErrUnavailable when the server cannot be reached; an internal error when the server
// refuses (e.g. wrong credentials).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.AccessKey == "" || cfg.SecretKey == "" || cfg.Bucket == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "open object store: endpoint, keys and bucket are required")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	transport, err := minio.DefaultTransport(cfg.UseTLS)
	if err != nil {
		return nil, fmt.Errorf("open object store: %w", err)
	}
	transport.DialContext = (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseTLS,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath, // no per-bucket DNS names in front of MinIO/versitygw
		Transport:    transport,
		// minio-go's default of 10 attempts with backoff spends ~8 s on a refused connection;
		// 3 attempts (~0.6 s) still ride out a blip, and a dead server is reported quickly.
		MaxRetries: maxRetries,
	})
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInvalid, Message: "open object store: bad endpoint", Err: err}
	}
	s := &Store{client: client, bucket: cfg.Bucket}
	if err := s.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Client returns the underlying minio client (e.g. for presigned URLs).
func (s *Store) Client() *minio.Client { return s.client }

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket unless it exists; calling it again, or concurrently, is fine.
// Errors as in Open.
func (s *Store) EnsureBucket(ctx context.Context) error {
	err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{})
	if err == nil {
		return nil
	}
	if code := minio.ToErrorResponse(err).Code; code == minio.BucketAlreadyOwnedByYou {
		return nil
	}
	// Some servers answer BucketAlreadyExists to the owner too: ask.
	if ok, existsErr := s.client.BucketExists(ctx, s.bucket); existsErr == nil && ok {
		return nil
	}
	return translate(err, "create bucket %s", s.bucket)
}

// Check reports whether the bucket is reachable, within CheckTimeout at most (less when ctx ends
// sooner). Every failure, a missing bucket included, wraps domain.ErrUnavailable.
func (s *Store) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	ok, err := s.client.BucketExists(ctx, s.bucket)
	switch {
	case err != nil:
		return &domain.Error{Code: domain.CodeUnavailable, Message: "check object store", Err: err}
	case !ok:
		return &domain.Error{Code: domain.CodeUnavailable, Message: fmt.Sprintf("check object store: bucket %s is missing", s.bucket)}
	}
	return nil
}

// Put stores r under key, replacing any object with that key. size is the exact byte count, or
// -1 when unknown (the body is then streamed in 16 MiB parts). contentType is recorded as the
// object's Content-Type ("application/octet-stream" when empty) and sha256Hex, when not empty,
// as user metadata x-amz-meta-sha256. Put does not hash the content: callers that address
// objects by hash verify it while streaming. The returned LastModified is zero (S3 does not
// return it on PUT; Stat does). Errors: domain.ErrInvalid for an empty key; domain.ErrUnavailable;
// the reader's error; internal otherwise.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType, sha256Hex string) (ObjectInfo, error) {
	if key == "" {
		return ObjectInfo{}, domain.Errorf(domain.CodeInvalid, "put object: empty key")
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	opts := minio.PutObjectOptions{ContentType: contentType}
	if sha256Hex != "" {
		opts.UserMetadata = map[string]string{sha256Meta: strings.ToLower(sha256Hex)}
	}
	if size < 0 {
		size = -1
		opts.PartSize = streamPartSize
	}
	body := &readErrRecorder{r: r}
	up, err := s.client.PutObject(ctx, s.bucket, key, body, size, opts)
	if err != nil {
		if body.err != nil {
			// The caller's reader failed (e.g. a size limit): that is the story, not the network.
			return ObjectInfo{}, fmt.Errorf("put object %s: %w", key, body.err)
		}
		return ObjectInfo{}, translate(err, "put object %s", key)
	}
	return ObjectInfo{
		Key:          key,
		Size:         up.Size,
		ContentType:  contentType,
		SHA256:       opts.UserMetadata[sha256Meta],
		ETag:         strings.Trim(up.ETag, `"`),
		LastModified: up.LastModified,
	}, nil
}

// Stat describes the object under key. Errors: domain.ErrNotFound when there is none;
// domain.ErrUnavailable; internal otherwise.
func (s *Store) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, translate(err, "stat object %s", key)
	}
	return toInfo(info), nil
}

// Get opens the object under key for reading; the caller closes the reader. Errors as in Stat
// (a missing object is reported here, not at the first Read).
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, ObjectInfo{}, translate(err, "get object %s", key)
	}
	// GetObject is lazy; Stat sends the request, so a missing key fails here.
	info, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		return nil, ObjectInfo{}, translate(err, "get object %s", key)
	}
	return obj, toInfo(info), nil
}

// Delete removes the object under key; deleting a missing object succeeds. Errors:
// domain.ErrUnavailable; internal otherwise.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err == nil || minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return nil
	}
	return translate(err, "delete object %s", key)
}

// readErrRecorder remembers the first error other than io.EOF returned by r.
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (rr *readErrRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}

func toInfo(info minio.ObjectInfo) ObjectInfo {
	out := ObjectInfo{
		Key:          info.Key,
		Size:         info.Size,
		ContentType:  info.ContentType,
		ETag:         strings.Trim(info.ETag, `"`),
		LastModified: info.LastModified,
	}
	// minio-go canonicalizes user-metadata keys ("Sha256"); match without case.
	for k, v := range info.UserMetadata {
		if strings.EqualFold(k, sha256Meta) || strings.EqualFold(k, "X-Amz-Meta-"+sha256Meta) {
			out.SHA256 = v
		}
	}
	return out
}
