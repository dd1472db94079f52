package versitygw_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	stdsync "sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/fieldsync/fieldsync/sync/versitygw"
)

func start(t *testing.T, opts versitygw.Options) *versitygw.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := versitygw.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}

func client(t *testing.T, endpoint, access, secret string) *minio.Client {
	t.Helper()
	c, err := minio.New(endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(access, secret, ""),
		Region:     versitygw.DefaultRegion,
		MaxRetries: 1,
	})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	return c
}

func TestStopStartSamePortKeepsObjects(t *testing.T) {
	ctx := context.Background()
	wd, _ := os.Getwd()
	srv := start(t, versitygw.Options{Dir: t.TempDir()})
	opts := srv.Options()
	c := client(t, srv.Endpoint(), opts.AccessKey, opts.SecretKey)
	if err := c.MakeBucket(ctx, "keep", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	body := []byte("receipt bytes")
	if _, err := c.PutObject(ctx, "keep", "a/b.jpg", bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: "image/jpeg", UserMetadata: map[string]string{"sha256": "abc"}}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	if _, err := versitygw.Start(ctx, versitygw.Options{Dir: t.TempDir()}); !errors.Is(err, versitygw.ErrRunning) {
		t.Fatalf("second Start = %v, want ErrRunning", err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if now, _ := os.Getwd(); now != wd {
		t.Errorf("working directory after Stop = %s, want %s", now, wd)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := c.BucketExists(short, "keep"); err == nil {
		t.Fatal("BucketExists on a stopped gateway succeeded")
	}

	again := start(t, opts)
	if again.Endpoint() != srv.Endpoint() {
		t.Fatalf("restarted on %s, want %s", again.Endpoint(), srv.Endpoint())
	}
	info, err := c.StatObject(ctx, "keep", "a/b.jpg", minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("StatObject after restart: %v", err)
	}
	if info.ContentType != "image/jpeg" || info.UserMetadata["Sha256"] != "abc" || info.Size != int64(len(body)) {
		t.Errorf("after restart: content type %q, metadata %v, size %d", info.ContentType, info.UserMetadata, info.Size)
	}
	obj, err := c.GetObject(ctx, "keep", "a/b.jpg", minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read back %q, %v; want %q", got, err, body)
	}
}

func TestSignatureIsChecked(t *testing.T) {
	srv := start(t, versitygw.Options{Dir: t.TempDir(), AccessKey: "AKIATESTTESTTEST0001", SecretKey: "right-secret-right-secret"})
	tests := []struct {
		name, access, secret string
		wantOK               bool
	}{
		{"right keys", "AKIATESTTESTTEST0001", "right-secret-right-secret", true},
		{"wrong secret", "AKIATESTTESTTEST0001", "wrong-secret-wrong-secret", false},
		{"unknown access key", "AKIAUNKNOWNUNKNOWN01", "right-secret-right-secret", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(t, srv.Endpoint(), tc.access, tc.secret).ListBuckets(context.Background())
			if (err == nil) != tc.wantOK {
				t.Fatalf("ListBuckets err = %v, want ok=%v", err, tc.wantOK)
			}
		})
	}
}

func TestGeneratedCredentialsAreUsed(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, versitygw.Options{Dir: dir})
	access, secret, err := versitygw.LoadOrCreateCredentials(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateCredentials: %v", err)
	}
	if o := srv.Options(); o.AccessKey != access || o.SecretKey != secret {
		t.Fatalf("server keys %q/%q, file keys %q/%q", o.AccessKey, o.SecretKey, access, secret)
	}
	if _, err := client(t, srv.Endpoint(), access, secret).ListBuckets(context.Background()); err != nil {
		t.Fatalf("ListBuckets with generated keys: %v", err)
	}
}

func TestLoadOrCreateCredentials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	const n = 8
	type pair struct{ access, secret string }
	got := make([]pair, n)
	errs := make([]error, n)
	var wg stdsync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i].access, got[i].secret, errs[i] = versitygw.LoadOrCreateCredentials(dir) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("call %d returned %v, call 0 returned %v", i, got[i], got[0])
		}
	}
	if len(got[0].access) != 20 || len(got[0].secret) != 40 {
		t.Errorf("key lengths %d/%d, want 20/40", len(got[0].access), len(got[0].secret))
	}
	fi, err := os.Stat(filepath.Join(dir, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials.json mode %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only credentials.json", len(entries))
	}
	a, s, err := versitygw.LoadOrCreateCredentials(dir)
	if err != nil || (pair{a, s}) != got[0] {
		t.Fatalf("later call returned %q/%q/%v, want %v", a, s, err, got[0])
	}
	other, _, err := versitygw.LoadOrCreateCredentials(t.TempDir())
	if err != nil || other == got[0].access {
		t.Fatalf("another dir returned %q/%v; want fresh keys", other, err)
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "credentials.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := versitygw.LoadOrCreateCredentials(bad); err == nil {
		t.Fatal("corrupt credentials.json accepted; want an error")
	}
}
