package ferretdb_test

import (
	"context"
	"log/slog"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/sync/ferretdb"
)

// recorder is a slog.Handler that keeps every record it is given.
type recorder struct {
	mu      stdsync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func start(t *testing.T, opts ferretdb.Options) *ferretdb.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := ferretdb.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}

func connect(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(1).
		SetServerSelectionTimeout(3 * time.Second))
	if err != nil {
		t.Fatalf("connect %s: %v", uri, err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir() + "/nested/db" // Start creates missing parents
	rec := &recorder{}
	opts := ferretdb.Options{Dir: dir, Logger: slog.New(rec)}
	ctx := context.Background()

	srv := start(t, opts)
	c := connect(t, srv.URI())
	if _, err := c.Database("keep").Collection("items").InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 7}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	_ = c.Disconnect(ctx)
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	again := start(t, opts)
	c2 := connect(t, again.URI())
	var got struct {
		N int `bson:"n"`
	}
	if err := c2.Database("keep").Collection("items").FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil {
		t.Fatalf("find after restart: %v", err)
	}
	if got.N != 7 {
		t.Fatalf("n after restart = %d, want 7", got.N)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.records {
		if r.Level < slog.LevelWarn {
			t.Errorf("logger got a %s record %q; want WARN and above only", r.Level, r.Message)
		}
	}
}

func TestStoppedServerRefusesConnections(t *testing.T) {
	srv := start(t, ferretdb.Options{Dir: t.TempDir()})
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := connect(t, srv.URI()).Ping(ctx, nil); err == nil {
		t.Fatal("Ping after Stop succeeded; want an error")
	}
}

func TestTwoServersInOneProcess(t *testing.T) {
	ctx := context.Background()
	var wg stdsync.WaitGroup
	servers := make([]*ferretdb.Server, 2)
	errs := make([]error, 2)
	for i := range servers {
		wg.Go(func() {
			servers[i], errs[i] = ferretdb.Start(ctx, ferretdb.Options{Dir: t.TempDir()})
		})
	}
	wg.Wait()
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatalf("Start %d: %v", i, errs[i])
		}
		t.Cleanup(func() { _ = s.Stop(ctx) })
	}
	if servers[0].URI() == servers[1].URI() {
		t.Fatalf("both servers at %s", servers[0].URI())
	}
	for i, s := range servers {
		if err := connect(t, s.URI()).Ping(ctx, nil); err != nil {
			t.Errorf("ping server %d: %v", i, err)
		}
	}
}

func TestStartErrors(t *testing.T) {
	busy := start(t, ferretdb.Options{Dir: t.TempDir()})
	tests := []struct {
		name string
		opts ferretdb.Options
	}{
		{"no dir", ferretdb.Options{}},
		{"address in use", ferretdb.Options{Dir: t.TempDir(), ListenAddr: busy.Addr()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := ferretdb.Start(context.Background(), tc.opts)
			if err == nil {
				_ = srv.Stop(context.Background())
				t.Fatal("Start succeeded; want an error")
			}
		})
	}
}

// TestLogsCarryNoStoredValues provokes failed commands (a duplicate key quoting the stored
// value, an unknown command) and checks that no log record reaching the caller's logger quotes
// the value or dumps a wire message.
func TestLogsCarryNoStoredValues(t *testing.T) {
	rec := &recorder{}
	srv := start(t, ferretdb.Options{Dir: t.TempDir(), Logger: slog.New(rec)})
	c := connect(t, srv.URI())
	ctx := context.Background()
	coll := c.Database("privacy").Collection("customers")
	const phone = "13800138000"
	doc := bson.D{{Key: "_id", Value: phone}}
	if _, err := coll.InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, doc); err == nil {
		t.Fatal("duplicate insert succeeded")
	}
	_ = c.Database("privacy").RunCommand(ctx, bson.D{{Key: "noSuchCommand", Value: 1}}).Err()
	_ = c.Disconnect(ctx) // endSessions: not implemented by FerretDB, a failed command too

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.records {
		text := r.Message
		r.Attrs(func(a slog.Attr) bool { text += " " + a.String(); return true })
		if strings.Contains(text, phone) || strings.HasPrefix(r.Message, "Response") {
			t.Errorf("log record leaks a wire dump: %s %q", r.Level, text)
		}
	}
}
