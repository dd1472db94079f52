package sync_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/sqlitestore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// The sync benchmarks (docs/benchmarks.md): the engine against the raw driver on the same
// database, same documents, same batch and page sizes.
//
//	go test -tags ferretdb_no_postgresql -run '^$' -bench . -benchtime 1x ./sync/
//	FIELDSYNC_BENCH=1 go test -tags ferretdb_no_postgresql -run TestSyncBenchReport ./sync/
//
// The report runner measures both sides in the same run and prints the ratios; it never fails
// on speed (speed targets live here, not in timed tests).

var benchReport = flag.Bool("bench-report", false, "run TestSyncBenchReport (or set FIELDSYNC_BENCH=1)")

const (
	benchBatch   = 100         // mutations per push, documents per raw bulk write
	benchRawColl = "bench_raw" // the raw driver's collection, next to the engine's records
)

// benchForms is the number of service forms per run: 10,000, or FIELDSYNC_BENCH_N.
var benchForms = envInt("FIELDSYNC_BENCH_N", 10_000)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchTech is the technician who pushes and pulls every benchmark form.
var benchTech = domain.Principal{UserID: "u-bench", Username: "bench", Role: domain.RoleTechnician, TeamID: "t-bench",
	DeviceID: "phone-bench"}

var benchCursorKey = []byte("bench-cursor-key-bench-cursor-key-0123")

// benchForm is one service form, id and fields, as a technician fills it after a visit: a work
// order, arrival and departure, fault and work done, two parts, the fee, outcome, satisfaction.
type benchForm struct {
	mutationID string
	id         string
	fields     map[string]any
}

// newBenchForms returns n service forms with fresh UUIDs.
func newBenchForms(n int) []benchForm {
	day := time.Date(2026, 11, 2, 9, 0, 0, 0, domain.Shanghai)
	out := make([]benchForm, n)
	for i := range out {
		arrived := day.Add(time.Duration(i%600) * time.Minute)
		out[i] = benchForm{mutationID: uuid.NewString(), id: uuid.NewString(), fields: map[string]any{
			"workOrderId": uuid.NewString(),
			"arrivedAt":   arrived.Format(time.RFC3339),
			"departedAt":  arrived.Add(95 * time.Minute).Format(time.RFC3339),
			"faultCause":  "压缩机启动电容老化，无法启动；冷凝器积尘严重",
			"workDone":    "更换启动电容，清洗冷凝器，补充制冷剂，试机运行 30 分钟正常",
			"parts": []any{
				map[string]any{"name": "启动电容 35μF", "qty": int64(1), "unitPriceFen": int64(4500)},
				map[string]any{"name": "R22 制冷剂", "qty": int64(2), "unitPriceFen": int64(12000 + i%7*100)},
			},
			"feeCollectedFen": int64(28500 + i%7*200),
			"outcome":         "completed",
			"satisfaction":    int64(1 + i%5),
			"status":          "draft",
			"note":            "客户要求下次上门前电话联系 #" + strconv.Itoa(i),
		}}
	}
	return out
}

// benchMutations returns the forms as push batches of size batch.
func benchMutations(forms []benchForm, batch int) [][]sync.Mutation {
	clientTime := time.Date(2026, 11, 2, 18, 0, 0, 0, domain.Shanghai)
	var out [][]sync.Mutation
	for chunk := range slices.Chunk(forms, batch) {
		muts := make([]sync.Mutation, len(chunk))
		for i, f := range chunk {
			muts[i] = sync.Mutation{MutationID: f.mutationID, Collection: domain.CollServiceForms, ID: f.id,
				Op: sync.OpUpsert, Fields: f.fields, ClientTime: clientTime}
		}
		out = append(out, muts)
	}
	return out
}

// benchRawModels returns the forms as raw InsertOne batches: what a plain CRUD server would store
// (the fields, the id, owner, team, a sequence number and a timestamp), no sync bookkeeping.
func benchRawModels(forms []benchForm, batch int) [][]mongo.WriteModel {
	now := time.Now().UTC()
	var out [][]mongo.WriteModel
	seq := int64(0)
	for chunk := range slices.Chunk(forms, batch) {
		models := make([]mongo.WriteModel, len(chunk))
		for i, f := range chunk {
			seq++
			doc := bson.D{{Key: "_id", Value: f.id}, {Key: "owner", Value: benchTech.UserID},
				{Key: "team", Value: benchTech.TeamID}, {Key: "seq", Value: seq}, {Key: "updatedAt", Value: now}}
			for _, k := range slices.Sorted(maps.Keys(f.fields)) {
				doc = append(doc, bson.E{Key: k, Value: f.fields[k]})
			}
			models[i] = mongo.NewInsertOneModel().SetDocument(doc)
		}
		out = append(out, models)
	}
	return out
}

// benchEnv is one fresh database with the engine wired as the brief of the benchmark says:
// the mongostore adapters and sync.DomainRules, without the audit log and the team's life cycles
// that the server adds (the HTTP benchmark, scripts/benchsync, runs with both).
type benchEnv struct {
	store  *mongostore.Store
	engine *sync.Engine
	raw    *mongo.Collection
}

func newBenchEnv(tb testing.TB) *benchEnv {
	tb.Helper()
	st := storetest.Mongo(tb)
	engine := sync.New(sync.Config{Records: mongostore.NewRecords(st), Sequencer: mongostore.NewSequencer(st, time.Now),
		Log: mongostore.NewMutationLog(st), Rules: sync.DomainRules{}, CursorKey: benchCursorKey})
	env := &benchEnv{store: st, engine: engine, raw: st.DB().Collection(benchRawColl)}
	_, err := env.raw.Indexes().CreateOne(context.Background(), mongo.IndexModel{Keys: bson.D{{Key: "seq", Value: 1}},
		Options: options.Index().SetName("seq").SetUnique(true)})
	if err != nil {
		tb.Fatalf("create raw index: %v", err)
	}
	return env
}

// pushAll pushes every batch through the engine and checks that each mutation was applied.
func (env *benchEnv) pushAll(ctx context.Context, batches [][]sync.Mutation) error {
	for _, muts := range batches {
		res, err := env.engine.Push(ctx, benchTech, "127.0.0.1", muts)
		if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		for _, r := range res {
			if r.Status != sync.StatusApplied {
				return fmt.Errorf("mutation %s: %s %+v", r.MutationID, r.Status, r.Error)
			}
		}
	}
	return nil
}

// writeRaw inserts every batch with one unordered BulkWrite each.
func (env *benchEnv) writeRaw(ctx context.Context, batches [][]mongo.WriteModel) error {
	for _, models := range batches {
		res, err := env.raw.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		if err != nil {
			return fmt.Errorf("bulk write: %w", err)
		}
		if res.InsertedCount != int64(len(models)) {
			return fmt.Errorf("bulk write inserted %d of %d", res.InsertedCount, len(models))
		}
	}
	return nil
}

// pullAll is a first sync: every page from an empty cursor. It returns the number of changes.
// limit 0 asks for the engine's default page.
func (env *benchEnv) pullAll(ctx context.Context, limit int) (int, error) {
	n, cursor := 0, ""
	for {
		page, err := env.engine.Pull(ctx, benchTech, cursor, limit)
		if err != nil {
			return n, fmt.Errorf("pull after %d: %w", n, err)
		}
		n += len(page.Changes)
		cursor = page.Cursor
		if !page.HasMore {
			return n, nil
		}
	}
}

// findRaw reads the raw collection in pages of limit sorted by the indexed seq (keyset paging,
// one document more than the page to learn whether another page follows, as the engine does),
// decoding into bson.M. It returns the number of documents.
func (env *benchEnv) findRaw(ctx context.Context, limit int) (int, error) {
	n, after := 0, int64(0)
	opts := options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit + 1))
	for {
		cur, err := env.raw.Find(ctx, bson.D{{Key: "seq", Value: bson.D{{Key: "$gt", Value: after}}}}, opts)
		if err != nil {
			return n, fmt.Errorf("find after %d: %w", after, err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			return n, fmt.Errorf("decode after %d: %w", after, err)
		}
		more := len(docs) > limit
		if more {
			docs = docs[:limit]
		}
		n += len(docs)
		if len(docs) > 0 {
			after = docs[len(docs)-1]["seq"].(int64)
		}
		if !more {
			return n, nil
		}
	}
}

// BenchmarkPush10k pushes 10,000 new service forms (FIELDSYNC_BENCH_N) through Engine.Push in
// batches of 100, on a fresh database each iteration.
func BenchmarkPush10k(b *testing.B) {
	batches := benchMutations(newBenchForms(benchForms), benchBatch)
	benchWrites(b, newBenchEnv, func(ctx context.Context, env *benchEnv) error { return env.pushAll(ctx, batches) })
}

// BenchmarkRawBulkWrite10k inserts the same forms with the raw driver: BulkWrite of InsertOne
// models, 100 a call, into a collection of the same database with a unique index on seq.
func BenchmarkRawBulkWrite10k(b *testing.B) {
	batches := benchRawModels(newBenchForms(benchForms), benchBatch)
	benchWrites(b, newBenchEnv, func(ctx context.Context, env *benchEnv) error { return env.writeRaw(ctx, batches) })
}

// benchWrites times write on a fresh database (newEnv) per iteration and reports mutations/s.
func benchWrites(b *testing.B, newEnv func(testing.TB) *benchEnv, write func(context.Context, *benchEnv) error) {
	for range b.N {
		b.StopTimer()
		env := newEnv(b)
		b.StartTimer()
		if err := write(context.Background(), env); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchForms*b.N)/b.Elapsed().Seconds(), "mutations/s")
}

// BenchmarkPull10k is the first sync of 10,000 service forms through Engine.Pull, in pages of 100
// and of the default page size (200).
func BenchmarkPull10k(b *testing.B) {
	env := newBenchEnv(b)
	if err := env.pushAll(context.Background(), benchMutations(newBenchForms(benchForms), benchBatch)); err != nil {
		b.Fatal(err)
	}
	benchReads(b, env.pullAll)
}

// BenchmarkRawFind10k reads the same forms with raw Find, sorted by the indexed seq, in pages of
// 100 and 200, decoding into bson.M.
func BenchmarkRawFind10k(b *testing.B) {
	env := newBenchEnv(b)
	if err := env.writeRaw(context.Background(), benchRawModels(newBenchForms(benchForms), benchBatch)); err != nil {
		b.Fatal(err)
	}
	benchReads(b, func(ctx context.Context, limit int) (int, error) { return env.findRaw(ctx, pageSize(limit)) })
}

// benchReads times read of every form in pages of 100 and of the default size, and reports docs/s.
func benchReads(b *testing.B, read func(ctx context.Context, limit int) (int, error)) {
	for _, limit := range []int{100, 0} {
		b.Run(pageName(limit), func(b *testing.B) {
			for range b.N {
				n, err := read(context.Background(), limit)
				if err != nil {
					b.Fatal(err)
				}
				if n != benchForms {
					b.Fatalf("read %d documents, want %d", n, benchForms)
				}
			}
			b.ReportMetric(float64(benchForms*b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

func pageName(limit int) string {
	if limit == 0 {
		return "page=default" + strconv.Itoa(sync.DefaultLimits.DefaultPullLimit)
	}
	return "page=" + strconv.Itoa(limit)
}

// pageSize is the page an engine pull with limit gets (0: the default).
func pageSize(limit int) int {
	if limit == 0 {
		return sync.DefaultLimits.DefaultPullLimit
	}
	return limit
}

// benchPair is one comparison of TestSyncBenchReport: the engine and the raw driver doing the
// same work on the same database. Each returns how many items it handled.
type benchPair struct {
	name        string
	engine, raw func(context.Context) (int, error)
}

// benchRate is items per second of wall-clock time and per second of this process's CPU time
// (user+sys; the embedded FerretDB runs in-process, so it is counted), which other processes on
// the machine disturb far less than the wall clock.
type benchRate struct{ wall, cpu float64 }

// TestSyncBenchReport is not a timed test: it measures the engine and the raw driver in the same
// run (FIELDSYNC_BENCH_RUNS runs, default 3, of FIELDSYNC_BENCH_N forms, default 10,000), prints
// the rates and ratios, and fails only when an operation fails. FIELDSYNC_BENCH_PULL=0 measures
// the pushes only. Skipped unless -bench-report or FIELDSYNC_BENCH=1.
//
// Output, for scripts/bench-sync: one "BENCH run=..." line per run and comparison, then per
// comparison "BENCH summary <name> engine=<median>/s raw=<median>/s ratio=<median> [min max]
// cpu: engine=<median>/s raw=<median>/s ratio=<median> [min max] runs=<n>" (medians over runs).
func TestSyncBenchReport(t *testing.T) {
	if !*benchReport && os.Getenv("FIELDSYNC_BENCH") != "1" {
		t.Skip("benchmark report: run with -bench-report or FIELDSYNC_BENCH=1")
	}
	runs := envInt("FIELDSYNC_BENCH_RUNS", 3)
	forms := newBenchForms(benchForms)
	fmt.Printf("BENCH start n=%d batch=%d runs=%d\n", len(forms), benchBatch, runs)
	results := map[string][][2]benchRate{} // comparison name -> per run {engine, raw}
	var names []string
	for r := range runs {
		t.Run("run"+strconv.Itoa(r+1), func(t *testing.T) {
			env := newBenchEnv(t)
			for _, p := range benchPairs(env, forms) {
				if !slices.Contains(names, p.name) {
					names = append(names, p.name)
				}
				var eng, raw benchRate
				// Alternate which side goes first, so that drift within a run favours neither.
				if r%2 == 0 {
					eng, raw = measure(t, p.name, len(forms), p.engine), measure(t, p.name+" raw", len(forms), p.raw)
				} else {
					raw, eng = measure(t, p.name+" raw", len(forms), p.raw), measure(t, p.name, len(forms), p.engine)
				}
				results[p.name] = append(results[p.name], [2]benchRate{eng, raw})
				fmt.Printf("BENCH run=%d %-8s engine=%.0f/s raw=%.0f/s ratio=%.3f cpu: engine=%.0f/s raw=%.0f/s ratio=%.3f\n",
					r+1, p.name, eng.wall, raw.wall, eng.wall/raw.wall, eng.cpu, raw.cpu, eng.cpu/raw.cpu)
			}
		})
	}
	for _, name := range names {
		var engine, raw, ratio, engineCPU, rawCPU, cpuRatio []float64
		for _, x := range results[name] {
			engine, raw, ratio = append(engine, x[0].wall), append(raw, x[1].wall), append(ratio, x[0].wall/x[1].wall)
			engineCPU, rawCPU = append(engineCPU, x[0].cpu), append(rawCPU, x[1].cpu)
			cpuRatio = append(cpuRatio, x[0].cpu/x[1].cpu)
		}
		fmt.Printf("BENCH summary %-8s engine=%.0f/s raw=%.0f/s ratio=%.3f [%.3f %.3f] "+
			"cpu: engine=%.0f/s raw=%.0f/s ratio=%.3f [%.3f %.3f] runs=%d\n",
			name, median(engine), median(raw), median(ratio), slices.Min(ratio), slices.Max(ratio),
			median(engineCPU), median(rawCPU), median(cpuRatio), slices.Min(cpuRatio), slices.Max(cpuRatio), len(ratio))
	}
}

// benchPairs are the comparisons of one run, in order: the pushes fill the database that the
// pulls then read.
func benchPairs(env *benchEnv, forms []benchForm) []benchPair {
	muts, models := benchMutations(forms, benchBatch), benchRawModels(forms, benchBatch)
	pairs := []benchPair{{name: "push",
		engine: func(ctx context.Context) (int, error) { return len(forms), env.pushAll(ctx, muts) },
		raw:    func(ctx context.Context) (int, error) { return len(forms), env.writeRaw(ctx, models) }}}
	if os.Getenv("FIELDSYNC_BENCH_PULL") == "0" {
		return pairs
	}
	for _, limit := range []int{100, 0} {
		pairs = append(pairs, benchPair{name: "pull" + strconv.Itoa(pageSize(limit)),
			engine: func(ctx context.Context) (int, error) { return env.pullAll(ctx, limit) },
			raw:    func(ctx context.Context) (int, error) { return env.findRaw(ctx, pageSize(limit)) }})
	}
	return pairs
}

// measure runs f once and returns its rate; it fails the test when f fails or handles other
// than want items.
func measure(t *testing.T, what string, want int, f func(context.Context) (int, error)) benchRate {
	t.Helper()
	cpu0, start := cpuTime(), time.Now()
	n, err := f(context.Background())
	wall, cpu := time.Since(start), cpuTime()-cpu0
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if n != want {
		t.Fatalf("%s: %d items, want %d", what, n, want)
	}
	return benchRate{wall: float64(n) / wall.Seconds(), cpu: float64(n) / cpu.Seconds()}
}

// cpuTime is the user+sys CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// newSQLiteBenchEnv is the same engine on the native SQLite adapter (sync/sqlitestore, issue 12),
// in a fresh file of tb's temporary directory (no raw collection).
func newSQLiteBenchEnv(tb testing.TB) *benchEnv {
	tb.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "fieldsync.db"))
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return &benchEnv{engine: sync.New(sync.Config{Records: sqlitestore.NewRecords(st),
		Sequencer: sqlitestore.NewSequencer(st, time.Now), Log: sqlitestore.NewMutationLog(st),
		Rules: sync.DomainRules{}, CursorKey: benchCursorKey})}
}

// BenchmarkPushSQLite10k is BenchmarkPush10k on the native SQLite adapter.
func BenchmarkPushSQLite10k(b *testing.B) {
	batches := benchMutations(newBenchForms(benchForms), benchBatch)
	benchWrites(b, newSQLiteBenchEnv, func(ctx context.Context, env *benchEnv) error { return env.pushAll(ctx, batches) })
}

// BenchmarkPullSQLite10k is BenchmarkPull10k on the native SQLite adapter.
func BenchmarkPullSQLite10k(b *testing.B) {
	env := newSQLiteBenchEnv(b)
	if err := env.pushAll(context.Background(), benchMutations(newBenchForms(benchForms), benchBatch)); err != nil {
		b.Fatal(err)
	}
	benchReads(b, env.pullAll)
}
