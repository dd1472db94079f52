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
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/storetest"
	"github.com/fieldsync/fieldsync/sync/versitygw"
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
	used := map[string]*minio.Client{} // bucket → a client of its server
	t.Run("use", func(t *testing.T) {
		for name, st := range storetest.ObjectStores(t) {
			if _, err := st.Put(ctx, "some/key", strings.NewReader("x"), 1, "text/plain", ""); err != nil {
				t.Fatalf("%s: Put: %v", name, err)
			}
			used[st.Bucket()] = st.Client()
			if name == "versitygw" {
				used[st.Bucket()] = nil // the gateway stops with the test; see below
			}
		}
	})
	if wd, _ := os.Getwd(); wd != storetest.WorkDir() {
		t.Errorf("working directory after the object-store test = %s, want %s", wd, storetest.WorkDir())
	}
	// A new shared gateway runs on the same data directory, with the same keys.
	o := storetest.ObjectServer(t).Options()
	gw, err := minio.New(o.ListenAddr, &minio.Options{Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""), Region: o.Region})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) == 0 {
		t.Fatal("no object stores")
	}
	for bucket, client := range used {
		if client == nil {
			client = gw
		}
		ok, err := client.BucketExists(ctx, bucket)
		if err != nil || ok {
			t.Errorf("bucket %s after its test: exists=%v err=%v", bucket, ok, err)
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
