package objectstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/storetest"
	"github.com/fieldsync/fieldsync/sync/versitygw"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestObjectLifecycle runs the adapter's contract against every available server.
func TestObjectLifecycle(t *testing.T) {
	for name, st := range storetest.ObjectStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			body := []byte("\xff\xd8 a receipt photo \x00 with binary bytes")
			key := "receipts/" + sum(body)

			put, err := st.Put(ctx, key, bytes.NewReader(body), int64(len(body)), "image/jpeg", sum(body))
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if put.Key != key || put.Size != int64(len(body)) || put.SHA256 != sum(body) || put.ETag == "" {
				t.Errorf("Put returned %+v", put)
			}

			info, err := st.Stat(ctx, key)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			want := objectstore.ObjectInfo{Key: key, Size: int64(len(body)), ContentType: "image/jpeg", SHA256: sum(body), ETag: put.ETag}
			if info.Key != want.Key || info.Size != want.Size || info.ContentType != want.ContentType ||
				info.SHA256 != want.SHA256 || info.ETag != want.ETag || time.Since(info.LastModified) > time.Hour {
				t.Errorf("Stat = %+v, want %+v and a recent LastModified", info, want)
			}

			rc, got, err := st.Get(ctx, key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			read, err := io.ReadAll(rc)
			_ = rc.Close()
			if err != nil || !bytes.Equal(read, body) {
				t.Fatalf("Get read %q, %v; want %q", read, err, body)
			}
			if got.SHA256 != sum(body) || got.ContentType != "image/jpeg" {
				t.Errorf("Get info = %+v", got)
			}

			if err := st.Delete(ctx, key); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if err := st.Delete(ctx, key); err != nil {
				t.Fatalf("Delete again: %v", err)
			}
			if _, err := st.Stat(ctx, key); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
			}
			if _, _, err := st.Get(ctx, key); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("Get after Delete = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestPutVariants(t *testing.T) {
	for name, st := range storetest.ObjectStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
			tests := []struct {
				name        string
				key         string
				body        io.Reader
				size        int64
				contentType string
				wantSize    int64
				wantType    string
				wantErr     error
			}{
				{"streamed, size unknown", "stream", io.MultiReader(bytes.NewReader(big[:1<<19]), bytes.NewReader(big[1<<19:])), -1, "image/png", int64(len(big)), "image/png", nil},
				{"empty object, no content type", "empty", bytes.NewReader(nil), 0, "", 0, "application/octet-stream", nil},
				{"empty key", "", bytes.NewReader(big), int64(len(big)), "", 0, "", domain.ErrInvalid},
				{"reader fails", "broken", io.MultiReader(bytes.NewReader(big[:100]), errReader{}), 1000, "", 0, "", errBroken},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					_, err := st.Put(ctx, tc.key, tc.body, tc.size, tc.contentType, "")
					if tc.wantErr != nil {
						if !errors.Is(err, tc.wantErr) {
							t.Fatalf("Put = %v, want %v", err, tc.wantErr)
						}
						if tc.key != "" {
							if _, err := st.Stat(ctx, tc.key); !errors.Is(err, domain.ErrNotFound) {
								t.Errorf("a failed Put left an object: Stat = %v", err)
							}
						}
						return
					}
					if err != nil {
						t.Fatalf("Put: %v", err)
					}
					info, err := st.Stat(ctx, tc.key)
					if err != nil {
						t.Fatalf("Stat: %v", err)
					}
					if info.Size != tc.wantSize || info.ContentType != tc.wantType || info.SHA256 != "" {
						t.Errorf("Stat = %+v, want size %d type %q no sha256", info, tc.wantSize, tc.wantType)
					}
				})
			}
		})
	}
}

var errBroken = errors.New("disk on fire")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

func TestEnsureBucketIsIdempotent(t *testing.T) {
	for name, st := range storetest.ObjectStores(t) {
		t.Run(name, func(t *testing.T) {
			for i := range 3 {
				if err := st.EnsureBucket(context.Background()); err != nil {
					t.Fatalf("EnsureBucket #%d: %v", i+1, err)
				}
			}
			if err := st.Check(context.Background()); err != nil {
				t.Fatalf("Check: %v", err)
			}
		})
	}
}

func TestCheckMissingBucket(t *testing.T) {
	st := storetest.ObjectStore(t)
	ctx := context.Background()
	if err := st.Client().RemoveBucket(ctx, st.Bucket()); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Check without the bucket = %v, want ErrUnavailable", err)
	}
	if err := st.EnsureBucket(ctx); err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check after EnsureBucket: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	shared := storetest.ObjectStoreConfig(t)
	wrongKey := shared
	wrongKey.SecretKey = "not-the-secret"

	tests := []struct {
		name string
		cfg  objectstore.Config
		want domain.Code
	}{
		{"no endpoint", objectstore.Config{AccessKey: "a", SecretKey: "b", Bucket: "c"}, domain.CodeInvalid},
		{"no bucket", objectstore.Config{Endpoint: closed, AccessKey: "a", SecretKey: "b"}, domain.CodeInvalid},
		{"nobody listening", objectstore.Config{Endpoint: closed, AccessKey: "a", SecretKey: "b", Bucket: "ccc"}, domain.CodeUnavailable},
		{"wrong secret", wrongKey, domain.CodeInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := objectstore.Open(ctx, tc.cfg)
			if code := domain.ErrorCode(err); code != tc.want {
				t.Fatalf("Open = %v (code %q), want code %q", err, code, tc.want)
			}
		})
	}
}

// TestCheckFollowsTheGateway stops the gateway under an open Store and starts it again on the
// same port and directory: Check must say unavailable within its timeout, then recover.
func TestCheckFollowsTheGateway(t *testing.T) {
	storetest.ReserveObjectGateway(t)
	ctx := context.Background()
	srv, err := versitygw.Start(ctx, versitygw.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(ctx) })
	opts := srv.Options()
	st, err := objectstore.Open(ctx, objectstore.Config{Endpoint: srv.Endpoint(), AccessKey: opts.AccessKey, SecretKey: opts.SecretKey, Bucket: "readyz"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}

	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := st.Check(ctx); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Check with the gateway stopped = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > objectstore.CheckTimeout+500*time.Millisecond {
		t.Errorf("Check took %v to fail, want at most %v", d, objectstore.CheckTimeout)
	}

	again, err := versitygw.Start(ctx, opts)
	if err != nil {
		t.Fatalf("restart on %s: %v", opts.ListenAddr, err)
	}
	t.Cleanup(func() { _ = again.Stop(ctx) })
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check after restart: %v", err)
	}
}
