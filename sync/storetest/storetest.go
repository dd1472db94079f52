// Package storetest gives tests real servers: a MongoDB-compatible database (embedded FerretDB,
// or the server named by FIELDSYNC_TEST_MONGO_URI) and S3 object stores (embedded versitygw, plus
// MinIO when FIELDSYNC_TEST_MINIO_ENDPOINT is set). Never mocks.
//
// The document server starts lazily, once per test binary; the object gateway runs while tests
// use it (below). Both are shared; isolation comes from names: each test gets a fresh database
// (dropped at its cleanup) and a fresh bucket (emptied and removed at its cleanup), so tests may
// run in parallel. Data directories live under os.TempDir() in
// "fieldsync-storetest-<pid>-*"; a later test binary removes those of processes that are gone.
//
// # The embedded object gateway: one per process
//
// versitygw runs at most once per process and, while it runs, the process's working directory
// is its data directory (see sync/versitygw). The rules that follow for a test binary:
//
//  1. Tests that need an object store call ObjectStore, ObjectStores or ObjectStoreConfig, or
//     ObjectServer for the gateway itself. They share the binary's one gateway and hold a shared
//     lease on it until their cleanup. The gateway starts with the first holder (~20 ms) and
//     stops when the last holder ends, which puts the working directory back.
//  2. A test that starts its own gateway — directly with versitygw.Start, or by starting the
//     whole app in its embedded-objects mode — or that stops the gateway (e.g. to watch /readyz
//     go 503 and recover) first calls ReserveObjectGateway. That waits until no other test holds
//     a lease and keeps other tests out until the reserving test's cleanup. The test must stop
//     its own gateway in a t.Cleanup registered AFTER the call (cleanups run last-in first-out).
//  3. Calling ReserveObjectGateway from a test (or a subtest of a test) that holds a shared
//     lease, or the reverse, would deadlock; it fails the test instead. A parallel test calls
//     t.Parallel() BEFORE any of these helpers: a test paused in t.Parallel() while holding a
//     lease would wait for a sequential test that waits for its lease.
//  4. While a test holds a lease (or runs its own gateway), relative paths resolve inside the
//     gateway's directory: read test files through WorkDir (filepath.Join(storetest.WorkDir(),
//     "testdata", ...)). Outside those tests the working directory is the package directory, so
//     go test's own relative reads (testdata/fuzz seed corpora) keep working.
//
// FerretDB has no such limit; several may run in one process. On FerretDB keep to one writing
// Store per database at a time (see sync/mongostore): when the app under test got MongoConfig,
// the test may read the database through a Store of its own but not write to it while the app
// runs.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Environment variables that point the helpers at external servers.
const (
	// EnvMongoURI, when set, is the MongoDB URI used instead of the embedded FerretDB.
	EnvMongoURI = "FIELDSYNC_TEST_MONGO_URI"
	// EnvMinioEndpoint (host:port), EnvMinioAccessKey and EnvMinioSecretKey name a MinIO server
	// that ObjectStores adds as "minio".
	EnvMinioEndpoint  = "FIELDSYNC_TEST_MINIO_ENDPOINT"
	EnvMinioAccessKey = "FIELDSYNC_TEST_MINIO_ACCESS_KEY"
	EnvMinioSecretKey = "FIELDSYNC_TEST_MINIO_SECRET_KEY"
)

// tempPrefix starts the name of every data directory this package creates.
const tempPrefix = "fieldsync-storetest-"

// workDir is the working directory when the test binary started: the package directory under
// go test. Captured before any gateway can change it.
var workDir, _ = os.Getwd()

// WorkDir returns the working directory the test binary started in (the package directory under
// go test). Resolve test files against it: an embedded object gateway changes the working
// directory of the process while it runs.
func WorkDir() string { return workDir }

// logger is given to the shared servers: warnings and errors to stderr. Tests outlive no
// logger this way (t.Log panics after a test ends).
var logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// Logger returns the logger the shared servers use (text, WARN and above, to stderr), for tests
// that open stores themselves.
func Logger() *slog.Logger { return logger }

// tempDir creates a data directory for a shared server, after removing those left by test
// binaries that have exited.
func tempDir(kind string) (string, error) {
	removeStale()
	return os.MkdirTemp("", tempPrefix+strconv.Itoa(os.Getpid())+"-"+kind+"-")
}

// removeStale deletes the data directories of storetest processes that no longer run.
func removeStale() {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), tempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		_ = os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
	}
}

// alive reports whether a process with that pid exists (signal 0 probes without sending).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// uniqueName returns prefix + 10 random hex digits + "-" + a slug of the test name, cut to max
// characters, lowercase letters, digits and '-' only, never ending in '-': a valid database
// name on MongoDB and FerretDB and a valid S3 bucket name.
func uniqueName(t testing.TB, prefix string, max int) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	slug := unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "-")
	name := prefix + hex.EncodeToString(b) + "-" + slug
	if len(name) > max {
		name = name[:max]
	}
	return strings.TrimRight(name, "-")
}
