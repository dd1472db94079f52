package storetest

import (
	"cmp"
	"context"
	"fmt"
	"os"
	stdsync "sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/versitygw"
)

// sharedGateway is the binary's shared embedded gateway: running while at least one test holds
// a shared lease, stopped (srv nil) otherwise, so that the working directory of the process is
// the package directory whenever no object-store test runs. Its data directory is made once and
// reused by every start (the credentials in it too).
var sharedGateway struct {
	mu  stdsync.Mutex
	srv *versitygw.Server
	dir string
}

// ObjectServer returns the binary's shared embedded gateway, starting it if needed, and holds a
// shared lease on it until the test's cleanup (rule 1 in the package doc); the gateway stops
// when the last test holding a lease ends. Do not stop it yourself: use ReserveObjectGateway.
func ObjectServer(t testing.TB) *versitygw.Server {
	t.Helper()
	lease.acquireShared(t)
	g := &sharedGateway
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv != nil {
		return g.srv
	}
	if g.dir == "" {
		dir, err := tempDir("versitygw")
		if err != nil {
			t.Fatalf("storetest: gateway data dir: %v", err)
		}
		g.dir = dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := versitygw.Start(ctx, versitygw.Options{Dir: g.dir, Logger: logger})
	if err != nil {
		t.Fatalf("storetest: start gateway: %v", err)
	}
	g.srv = srv
	return srv
}

// stopSharedGateway stops the shared gateway if it runs; the lease calls it when the last
// shared holder is done.
func stopSharedGateway() {
	g := &sharedGateway
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.srv.Stop(ctx); err != nil {
		logger.Error("storetest: stop shared gateway", "err", err)
	}
	g.srv = nil
}

// ReserveObjectGateway gives the test the process's gateway slot (rule 2 in the package doc):
// it waits until no other test holds a lease (the shared gateway is then stopped), and keeps
// other tests from starting it again until the test's cleanup. The test may then start a
// gateway of its own (versitygw.Start, or the app in embedded mode), stop and restart it; it
// must stop it in a t.Cleanup registered after this call.
func ReserveObjectGateway(t testing.TB) {
	t.Helper()
	lease.acquireExclusive(t)
	stopSharedGateway() // already stopped by the last shared holder; kept for certainty
}

// ObjectStoreConfig returns a Config for a bucket of the shared gateway that no other test uses,
// without creating it (objectstore.Open does); the bucket is emptied and removed at the test's
// cleanup. Use it to hand the object store to code that opens its own (the whole app, say).
func ObjectStoreConfig(t testing.TB) objectstore.Config {
	t.Helper()
	opts := ObjectServer(t).Options()
	cfg := objectstore.Config{
		Endpoint:  opts.ListenAddr,
		AccessKey: opts.AccessKey,
		SecretKey: opts.SecretKey,
		Region:    opts.Region,
		Bucket:    uniqueName(t, "t-", 63),
	}
	removeBucketAtCleanup(t, cfg)
	return cfg
}

// ObjectStore opens a Store on a fresh bucket of the shared embedded gateway (ObjectStoreConfig).
func ObjectStore(t testing.TB) *objectstore.Store {
	t.Helper()
	return open(t, ObjectStoreConfig(t))
}

// ObjectStores returns a Store on a fresh bucket of every object server available, by name:
// "versitygw" always, "minio" when EnvMinioEndpoint is set (with EnvMinioAccessKey and
// EnvMinioSecretKey). Run shared behavior with t.Run(name, ...) over the map.
func ObjectStores(t testing.TB) map[string]*objectstore.Store {
	t.Helper()
	stores := map[string]*objectstore.Store{"versitygw": ObjectStore(t)}
	if endpoint := os.Getenv(EnvMinioEndpoint); endpoint != "" {
		cfg := objectstore.Config{
			Endpoint:  endpoint,
			AccessKey: os.Getenv(EnvMinioAccessKey),
			SecretKey: os.Getenv(EnvMinioSecretKey),
			Bucket:    uniqueName(t, "t-", 63),
		}
		removeBucketAtCleanup(t, cfg)
		stores["minio"] = open(t, cfg)
	}
	return stores
}

func open(t testing.TB, cfg objectstore.Config) *objectstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := objectstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: open bucket %s on %s: %v", cfg.Bucket, cfg.Endpoint, err)
	}
	return st
}

// removeBucketAtCleanup empties and removes cfg.Bucket when the test ends, if it exists then.
func removeBucketAtCleanup(t testing.TB, cfg objectstore.Config) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := removeBucket(ctx, cfg); err != nil {
			t.Errorf("storetest: remove bucket %s: %v", cfg.Bucket, err)
		}
	})
}

func removeBucket(ctx context.Context, cfg objectstore.Config) error {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Region:       cmp.Or(cfg.Region, objectstore.DefaultRegion),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return err
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil || !ok {
		return err
	}
	for obj := range client.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("list: %w", obj.Err)
		}
		if err := client.RemoveObject(ctx, cfg.Bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("remove %s: %w", obj.Key, err)
		}
	}
	for up := range client.ListIncompleteUploads(ctx, cfg.Bucket, "", true) {
		if up.Err != nil {
			return fmt.Errorf("list uploads: %w", up.Err)
		}
		if err := client.RemoveIncompleteUpload(ctx, cfg.Bucket, up.Key); err != nil {
			return fmt.Errorf("abort upload %s: %w", up.Key, err)
		}
	}
	return client.RemoveBucket(ctx, cfg.Bucket)
}
