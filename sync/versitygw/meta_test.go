package versitygw

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// TestSidecarMetadataWhenNoXattrs takes the fallback for filesystems without user xattrs and
// checks that object metadata still round-trips, through a restart, kept under Dir/meta.
func TestSidecarMetadataWhenNoXattrs(t *testing.T) {
	saved := testXattrs
	testXattrs = func(string) error { return errors.New("xattrs are not supported on this filesystem") }
	t.Cleanup(func() { testXattrs = saved })

	ctx := context.Background()
	dir := t.TempDir()
	srv, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := srv.Options()
	c, err := minio.New(srv.Endpoint(), &minio.Options{Creds: mcreds.NewStaticV4(opts.AccessKey, opts.SecretKey, ""), Region: DefaultRegion})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(ctx, "side", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, "side", "k", bytes.NewReader([]byte("v")), 1,
		minio.PutObjectOptions{ContentType: "text/plain", UserMetadata: map[string]string{"sha256": "abc"}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(filepath.Join(dir, "meta")); err != nil || len(entries) == 0 {
		t.Fatalf("sidecar dir %s/meta: %d entries, %v", dir, len(entries), err)
	}
	again, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Stop(ctx) })
	info, err := c.StatObject(ctx, "side", "k", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "text/plain" || info.UserMetadata["Sha256"] != "abc" {
		t.Fatalf("after restart: content type %q, metadata %v", info.ContentType, info.UserMetadata)
	}
}
