package blobs_test

import (
	"context"
	"errors"
	"io"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/s3objects"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// testLimit is the photo size limit of the tests' policy.
const testLimit = 256 << 10

var (
	techA   = domain.Principal{UserID: "u-tech-a", Username: "li", Role: domain.RoleTechnician, TeamID: "team-a", DeviceID: "phone-a"}
	techA2  = domain.Principal{UserID: "u-tech-a2", Username: "wang", Role: domain.RoleTechnician, TeamID: "team-a", DeviceID: "phone-a2"}
	leaderA = domain.Principal{UserID: "u-lead-a", Username: "zhao", Role: domain.RoleLeader, TeamID: "team-a", DeviceID: "pc-a"}
	leaderB = domain.Principal{UserID: "u-lead-b", Username: "sun", Role: domain.RoleLeader, TeamID: "team-b", DeviceID: "pc-b"}
)

// env is the photo service on a fresh database and one object store, with the real engine whose
// rules stamp photosPending and duplicateOf.
type env struct {
	svc     *blobs.Service
	objects *s3objects.Objects
	meta    *mongostore.Blobs
	records *mongostore.Records
	engine  *sync.Engine
	now     time.Time
}

func newEnv(t *testing.T, st *objectstore.Store) *env {
	t.Helper()
	store := storetest.Mongo(t)
	e := &env{objects: s3objects.New(st), meta: mongostore.NewBlobs(store), records: mongostore.NewRecords(store),
		now: time.Now().UTC()}
	e.engine = sync.New(sync.Config{Records: e.records, Sequencer: mongostore.NewSequencer(store, time.Now),
		Log: mongostore.NewMutationLog(store), Rules: sync.DomainRules{Blobs: blobs.Lookup{Meta: e.meta, Records: e.records}},
		CursorKey: []byte("blobs-test-cursor-key-0123456789abcdef")})
	policy := domain.DefaultPolicy()
	policy.MaxPhotoBytes = testLimit
	e.svc = blobs.New(blobs.Config{Objects: e.objects, Meta: e.meta, Records: e.records, Engine: e.engine,
		Claims: mongostore.NewUploadLocks(store),
		Policy: func() domain.Policy { return policy }, Logger: storetest.Logger(), Now: func() time.Time { return e.now }})
	return e
}

// eachStore runs fn against every available object store (the embedded versitygw; MinIO when
// configured), each with a fresh database.
func eachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for name, st := range storetest.ObjectStores(t) {
		t.Run(name, func(t *testing.T) { fn(t, newEnv(t, st)) })
	}
}

// keys lists the object keys under prefix.
func (e *env) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	if err := e.objects.List(context.Background(), prefix, func(o blobs.Object) error {
		out = append(out, o.Key)
		return nil
	}); err != nil {
		t.Fatalf("list %s: %v", prefix, err)
	}
	return out
}

// push applies one upsert as p and fails the test unless it is applied.
func (e *env) push(t *testing.T, p domain.Principal, coll, id string, fields map[string]any) {
	t.Helper()
	res, err := e.engine.Push(context.Background(), p, "127.0.0.1", []sync.Mutation{{MutationID: uuid.NewString(),
		Collection: coll, ID: id, Op: sync.OpUpsert, Fields: fields, ClientTime: time.Now()}})
	if err != nil || res[0].Status != sync.StatusApplied {
		t.Fatalf("push %s/%s: %v %+v", coll, id, err, res)
	}
}

// record loads the stored record.
func (e *env) record(t *testing.T, coll, id string) *sync.Record {
	t.Helper()
	k := sync.RecordKey{Collection: coll, ID: id}
	got, err := e.records.GetMany(context.Background(), []sync.RecordKey{k})
	if err != nil || got[k] == nil {
		t.Fatalf("load %s/%s: %v", coll, id, err)
	}
	return got[k]
}

// failReader fails the test if anybody reads it: proof that a body was not read.
type failReader struct {
	t    *testing.T
	mu   stdsync.Mutex
	read bool
}

func (f *failReader) Read([]byte) (int, error) {
	f.mu.Lock()
	f.read = true
	f.mu.Unlock()
	f.t.Error("the body was read")
	return 0, errors.New("must not be read")
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// cutReader returns the first n bytes of b, then io.ErrUnexpectedEOF (a client gone mid-body).
func cutReader(b []byte, n int) io.Reader {
	return io.MultiReader(strings.NewReader(string(b[:n])), errReader{io.ErrUnexpectedEOF})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func fieldOf(err error, name string) string { return domain.ErrorFields(err)[name] }
