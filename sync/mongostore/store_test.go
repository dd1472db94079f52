package mongostore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/ferretdb"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// requireFerretDB skips tests about FerretDB behavior when FIELDSYNC_TEST_MONGO_URI points at
// a real MongoDB.
func requireFerretDB(t *testing.T, st *mongostore.Store) {
	t.Helper()
	if !st.IsFerretDB() {
		t.Skipf("server at %s is not FerretDB", os.Getenv(storetest.EnvMongoURI))
	}
}

// closedAddr returns a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestOpenEmbeddedFerretDBUsesOneConnection(t *testing.T) {
	st := storetest.Mongo(t)
	requireFerretDB(t, st)
	if got := st.MaxPoolSize(); got != 1 {
		t.Fatalf("MaxPoolSize = %d against FerretDB, want 1", got)
	}
}

func TestOpenExternalFerretDBForcesOneConnectionAndWarns(t *testing.T) {
	cfg := storetest.MongoConfig(t)
	if !cfg.Embedded {
		t.Skip("external server; this test needs the embedded FerretDB")
	}
	var logs bytes.Buffer
	cfg.Embedded = false
	cfg.URI += "?maxPoolSize=50"
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := mongostore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	if !st.IsFerretDB() || st.MaxPoolSize() != 1 {
		t.Fatalf("IsFerretDB=%v MaxPoolSize=%d, want true and 1", st.IsFerretDB(), st.MaxPoolSize())
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "FerretDB") {
		t.Fatalf("no FerretDB warning logged; logs: %q", logs.String())
	}
}

// TestConcurrentWritersAllLand is the lost-update guard: FerretDB v1 drops updates from
// concurrent connections; through the Store (one connection) every update must land.
func TestConcurrentWritersAllLand(t *testing.T) {
	const writers = 8
	tests := []struct {
		name  string
		each  int // updates per writer
		write func(ctx context.Context, st *mongostore.Store) error
	}{
		{"$inc", 25, func(ctx context.Context, st *mongostore.Store) error {
			_, err := st.DB().Collection("counters").UpdateOne(ctx, bson.D{{Key: "_id", Value: "c"}},
				bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}, options.UpdateOne().SetUpsert(true))
			return err
		}},
		{"compare-and-set on version", 5, func(ctx context.Context, st *mongostore.Store) error {
			coll := st.DB().Collection("counters")
			for {
				var doc struct {
					Version int `bson:"version"`
				}
				if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "c"}}).Decode(&doc); err != nil {
					return err
				}
				res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "version", Value: doc.Version}},
					bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: doc.Version + 1}}},
						{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
				if err != nil {
					return err
				}
				if res.ModifiedCount == 1 {
					return nil
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.Mongo(t)
			ctx := context.Background()
			if _, err := st.DB().Collection("counters").InsertOne(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: 0}, {Key: "version", Value: 0}}); err != nil {
				t.Fatal(err)
			}
			var wg stdsync.WaitGroup
			each := tc.each
			errs := make(chan error, writers*each)
			for range writers {
				wg.Go(func() {
					for range each {
						if err := tc.write(ctx, st); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("write: %v", err)
			}
			var doc struct {
				N int `bson:"n"`
			}
			if err := st.DB().Collection("counters").FindOne(ctx, bson.D{{Key: "_id", Value: "c"}}).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if doc.N != writers*each {
				t.Fatalf("n = %d after %d updates: %d lost", doc.N, writers*each, writers*each-doc.N)
			}
			if st.IsFerretDB() && st.OpenConnections() > 1 {
				t.Fatalf("%d connections open against FerretDB, want at most 1", st.OpenConnections())
			}
		})
	}
}

func TestOpenCreatesIndexesIdempotently(t *testing.T) {
	cfg := storetest.MongoConfig(t)
	ctx := context.Background()
	for i := range 2 {
		st, err := mongostore.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		cur, err := st.DB().Collection("audit_log").Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var specs []struct {
			Name string `bson:"name"`
			Key  bson.D `bson:"key"`
		}
		if err := cur.All(ctx, &specs); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range specs {
			if s.Name == "team_at" {
				found = len(s.Key) == 2 && s.Key[0].Key == "team" && s.Key[1].Key == "at"
			}
		}
		if !found {
			t.Errorf("Open #%d: audit_log has no team_at {team, at} index; has %v", i+1, specs)
		}
		_ = st.Close(ctx)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel() // waits on timeouts, not on the CPU
	tests := []struct {
		name string
		cfg  mongostore.Config
		want error
	}{
		{"no URI", mongostore.Config{Database: "x"}, domain.ErrInvalid},
		{"no database", mongostore.Config{URI: "mongodb://127.0.0.1:1/"}, domain.ErrInvalid},
		{"malformed URI", mongostore.Config{URI: "http://nope", Database: "x"}, domain.ErrInvalid},
		{"nobody listening", mongostore.Config{URI: "mongodb://" + closedAddr(t) + "/", Database: "x"}, domain.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			st, err := mongostore.Open(context.Background(), tc.cfg)
			if err == nil {
				_ = st.Close(context.Background())
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Open took %v to fail; want a few seconds at most", d)
			}
		})
	}
}

// TestPingFollowsTheServer stops and restarts a FerretDB under an open Store: Ping must fail
// with ErrUnavailable within the selection timeout, and succeed again once the server is back.
// (The Stop takes 3 s: FerretDB gives connected clients that long to leave.)
func TestPingFollowsTheServer(t *testing.T) {
	t.Parallel() // waits on timeouts, not on the CPU
	ctx := context.Background()
	opts := ferretdb.Options{Dir: t.TempDir(), ListenAddr: closedAddr(t)}
	srv, err := ferretdb.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := mongostore.Open(ctx, mongostore.Config{URI: srv.URI(), Database: "ping", Embedded: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(ctx) })
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := st.Ping(ctx); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Ping with the server stopped = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > mongostore.DefaultServerSelectionTimeout+time.Second {
		t.Errorf("Ping took %v to fail", d)
	}
	// A caller's deadline shorter than server selection is still "unavailable", not a bare
	// context error: /readyz bounds its checks this way.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := st.Ping(short); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Ping with a short deadline = %v, want ErrUnavailable", err)
	}
	again, err := ferretdb.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Stop(ctx) })
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	// Disconnect before the cleanup stops the server: FerretDB gives connected clients 3 s.
	_ = st.Close(ctx)
}
