package storetest_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/storetest"
	"github.com/fieldsync/fieldsync/sync/versitygw"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestMongoGivesEachTestItsOwnDatabase(t *testing.T) {
	ctx := context.Background()
	var names []string
	for _, sub := range []string{"first", "second"} {
		t.Run(sub, func(t *testing.T) {
			st := storetest.Mongo(t)
			names = append(names, st.DB().Name())
			if _, err := st.DB().Collection("c").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("database names %v, want two different ones", names)
	}
	watcher := storetest.Mongo(t)
	left, err := watcher.Client().ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if slices.Contains(left, n) {
			t.Errorf("database %s still exists after its test", n)
		}
	}
}

func TestObjectStoresAreEmptiedAndRemoved(t *testing.T) {
	ctx := context.Background()
	type used struct {
		client *minio.Client
		bucket string
	}
	var buckets []used
	t.Run("use", func(t *testing.T) {
		for name, st := range storetest.ObjectStores(t) {
			if _, err := st.Put(ctx, "some/key", strings.NewReader("x"), 1, "text/plain", ""); err != nil {
				t.Fatalf("%s: Put: %v", name, err)
			}
			buckets = append(buckets, used{st.Client(), st.Bucket()})
		}
	})
	if len(buckets) == 0 {
		t.Fatal("no object stores")
	}
	storetest.ObjectServer(t) // keep the shared gateway up while looking
	for _, b := range buckets {
		ok, err := b.client.BucketExists(ctx, b.bucket)
		if err != nil || ok {
			t.Errorf("bucket %s after its test: exists=%v err=%v", b.bucket, ok, err)
		}
	}
}

// TestReserveObjectGateway walks the rules of the package doc: shared use, then a reservation
// that stops the shared gateway and runs its own, then shared use again on a new gateway.
func TestReserveObjectGateway(t *testing.T) {
	ctx := context.Background()
	var sharedAddr string
	t.Run("shared", func(t *testing.T) {
		sharedAddr = storetest.ObjectServer(t).Endpoint()
		if err := storetest.ObjectStore(t).Check(ctx); err != nil {
			t.Fatal(err)
		}
		if wd, _ := os.Getwd(); wd == storetest.WorkDir() {
			t.Errorf("working directory is still %s while the gateway runs", wd)
		}
	})
	t.Run("reserved", func(t *testing.T) {
		storetest.ReserveObjectGateway(t)
		if conn, err := net.DialTimeout("tcp", sharedAddr, time.Second); err == nil {
			_ = conn.Close()
			t.Fatalf("shared gateway at %s still accepts connections", sharedAddr)
		}
		if wd, _ := os.Getwd(); wd != storetest.WorkDir() {
			t.Errorf("working directory %s, want %s back", wd, storetest.WorkDir())
		}
		own, err := versitygw.Start(ctx, versitygw.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatalf("own gateway: %v", err)
		}
		t.Cleanup(func() { _ = own.Stop(ctx) })
		o := own.Options()
		st, err := objectstore.Open(ctx, objectstore.Config{Endpoint: own.Endpoint(), AccessKey: o.AccessKey, SecretKey: o.SecretKey, Bucket: "mine"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Put(ctx, "k", bytes.NewReader([]byte("v")), 1, "", ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("shared again", func(t *testing.T) {
		if err := storetest.ObjectStore(t).Check(ctx); err != nil {
			t.Fatalf("shared gateway after a reservation: %v", err)
		}
	})
}

func TestWorkDirIsThePackageDirectory(t *testing.T) {
	if _, err := os.Stat(filepath.Join(storetest.WorkDir(), "storetest.go")); err != nil {
		t.Fatalf("WorkDir %s does not hold this package: %v", storetest.WorkDir(), err)
	}
}
