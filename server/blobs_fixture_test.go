package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/s3objects"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// blobTestLimit is the photo size limit of the photo tests' policy: above the 5 MiB part size of
// resumable uploads, so that a resumed upload crosses a part, small enough to stay quick.
const blobTestLimit = 8 << 20

// blobFixture is the accounts fixture with the photo service and the tus endpoint on one object
// store, and the engine whose rules stamp photosPending and duplicateOf.
type blobFixture struct {
	*fixture
	objects *s3objects.Objects
	meta    *mongostore.Blobs
	addr    string // a real loopback listener, for the tests that need a connection
}

func newBlobFixture(t *testing.T, st *objectstore.Store) *blobFixture {
	t.Helper()
	f := newFixture(t)
	deps := photoDeps(t, f.store, st)
	deps.Accounts = f.svc
	bf := &blobFixture{fixture: f, objects: s3objects.New(st), meta: mongostore.NewBlobs(f.store)}
	f.srv = New(Config{Logger: f.srv.cfg.Logger, BodyLimit: 1 << 20}, deps)
	_, bf.addr = listen(t, f.srv)
	return bf
}

// photoDeps wires, on store and st, the engine whose rules stamp photosPending and duplicateOf,
// the photo service (with blobTestLimit) and the tus endpoint's store and locks; Accounts is
// left to the caller.
func photoDeps(tb testing.TB, store *mongostore.Store, st *objectstore.Store) Deps {
	tb.Helper()
	meta, records := mongostore.NewBlobs(store), mongostore.NewRecords(store)
	engine := sync.New(sync.Config{Records: records, Sequencer: mongostore.NewSequencer(store, time.Now),
		Log: mongostore.NewMutationLog(store), Rules: sync.DomainRules{Blobs: blobs.Lookup{Meta: meta, Records: records}},
		Audit: mongostore.NewAuditLog(store), CursorKey: []byte("fixture-cursor-key-0123456789abcdef0123")})
	policy := domain.DefaultPolicy()
	policy.MaxPhotoBytes = blobTestLimit
	photos := blobs.New(blobs.Config{Objects: s3objects.New(st), Meta: meta, Records: records, Engine: engine,
		Claims: mongostore.NewUploadLocks(store),
		Policy: func() domain.Policy { return policy }, Logger: storetest.Logger()})
	tus, err := s3objects.TusStore(context.Background(), st)
	if err != nil {
		tb.Fatal(err)
	}
	return Deps{LoginLimits: mongostore.NewLimiterStorage(store), Sync: engine, Blobs: photos,
		Uploads: &Uploads{Store: tus, Locker: NewUploadLocker(mongostore.NewUploadLocks(store).NewLock)}}
}

// eachBlobStore runs fn against every available object store, each with its own fixture.
func eachBlobStore(t *testing.T, fn func(t *testing.T, bf *blobFixture)) {
	t.Helper()
	for name, st := range storetest.ObjectStores(t) {
		t.Run(name, func(t *testing.T) { fn(t, newBlobFixture(t, st)) })
	}
}

// raw sends a request with a raw body as who (app.Test) and returns the status, headers and
// body bytes.
func (bf *blobFixture) raw(who, method, path string, body []byte, header map[string]string) (int, http.Header, []byte) {
	bf.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if tok := bf.token(who); tok != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+tok)
	}
	resp, err := bf.srv.App().Test(req, -1)
	if err != nil {
		bf.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

// put uploads a photo with PUT /v1/blobs/{hash} and returns the status and decoded body.
func (bf *blobFixture) put(who, hash string, body []byte, contentType string) (int, map[string]any) {
	bf.t.Helper()
	status, _, raw := bf.raw(who, http.MethodPut, "/v1/blobs/"+hash, body, map[string]string{fiber.HeaderContentType: contentType})
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return status, out
}

// pushOne pushes one upsert as who and fails unless it is applied.
func (bf *blobFixture) pushOne(who, collection, id string, fields map[string]any) {
	bf.t.Helper()
	status, _, body := bf.call(who, http.MethodPost, "/v1/sync/push", map[string]any{
		"mutations": []any{mutation(collection, id, 0, fields)}})
	if status != 200 || resultsOf(bf.t, body)[0]["status"] != "applied" {
		bf.t.Fatalf("push %s/%s as %s: %d %v", collection, id, who, status, body)
	}
}

// pulled pulls as who from cursor and returns the records by id and the next cursor.
func (bf *blobFixture) pulled(who, cursor string) (map[string]map[string]any, string) {
	bf.t.Helper()
	path := "/v1/sync/pull"
	if cursor != "" {
		path += "?cursor=" + cursor
	}
	status, _, body := bf.call(who, http.MethodGet, path, nil)
	if status != 200 {
		bf.t.Fatalf("pull as %s: %d %v", who, status, body)
	}
	out := map[string]map[string]any{}
	for _, c := range body["changes"].([]any) {
		ch := c.(map[string]any)
		if rec, ok := ch["record"].(map[string]any); ok {
			out[ch["id"].(string)] = rec
		}
	}
	next, _ := body["cursor"].(string)
	return out, next
}

// kept lists the object keys under prefix.
func (bf *blobFixture) kept(prefix string) []string {
	bf.t.Helper()
	var out []string
	if err := bf.objects.List(context.Background(), prefix, func(o blobs.Object) error {
		out = append(out, o.Key)
		return nil
	}); err != nil {
		bf.t.Fatalf("list %s: %v", prefix, err)
	}
	return out
}
