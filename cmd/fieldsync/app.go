package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/fieldsync/fieldsync/server"
	"github.com/fieldsync/fieldsync/server/console"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/compute"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/objectstore"
	"github.com/fieldsync/fieldsync/sync/stores"
	"github.com/fieldsync/fieldsync/sync/versitygw"
)

// app is the wired program: the stores (embedded or external) and the HTTP server.
type app struct {
	cfg     Config
	log     *slog.Logger
	gateway *versitygw.Server // nil with an external S3
	docs    *stores.Set       // the document stores: embedded SQLite or MongoDB
	objects *objectstore.Store
	http    *server.Server
	lock    *dataLock         // the data directory's lock, held by a server with embedded photos
	users   *accounts.Service // accounts, tokens and authorization of the account endpoints
	engine  *sync.Engine      // the sync engine behind /v1/sync
	photos  *blobs.Service    // the photo service behind /v1/blobs and /v1/uploads
	// policies and rules are the versioned policy and the rules engine (sync/compute) behind
	// /v1/policy, /v1/months and /v1/year-end-bonuses; serve runs the worker.
	policies *compute.Policies
	rules    *compute.Worker
	clock    *devClock // the dev clock (FIELDSYNC_DEV_CLOCK); nil: the real clock
}

// newLogger returns the JSON slog logger every component shares.
func newLogger(w io.Writer, level string) *slog.Logger {
	l, _ := parseLevel(level)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// startApp starts the stores the configuration asks for and builds the HTTP server. On error,
// whatever was started is stopped again.
func startApp(ctx context.Context, cfg Config, log *slog.Logger) (_ *app, err error) {
	a := &app{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.stopStores(context.WithoutCancel(ctx))
		}
	}()
	if cfg.EmbeddedObjects() {
		if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if err := a.startDocuments(ctx); err != nil {
		return nil, err
	}
	if err := a.startAccounts(ctx); err != nil {
		return nil, err
	}

	if err := a.startObjects(ctx); err != nil {
		return nil, err
	}

	uploads, err := a.startPhotos(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.startRules(ctx); err != nil {
		return nil, err
	}

	activity := a.docs.NewActivity(a.now())
	a.http = server.New(server.Config{BodyLimit: cfg.BodyLimit, Logger: log, Version: version}, server.Deps{
		Ready: map[string]server.Check{
			"documents":   a.docs.Ping,
			"objectstore": a.objects.Check,
		},
		Accounts:    a.users,
		LoginLimits: a.docs.LoginLimits,
		Sync:        a.engine,
		Blobs:       a.photos,
		Uploads:     uploads,
		Policy:      a.policies,
		Scoring:     a.rules,
		Review:      compute.NewReviews(a.docs.Records, a.policies),
		PettyCash:   compute.NewPettyCash(a.docs.Records, a.engine, a.policies),
		DevClock:    a.devClockDep(),
		Console:     consoleFiles(),
		Exports:     compute.NewExports(a.rules, a.docs.Accounts),
		SyncHealth: compute.NewSyncHealth(compute.SyncHealthConfig{Activity: activity,
			Records: a.docs.Records, Users: a.docs.Accounts, Teams: a.docs.Accounts, Now: a.now()}),
		SyncActivity: activity,
	})
	return a, nil
}

// startObjects starts the embedded object store on <data dir>/objects (no S3 endpoint
// configured) and opens the photos' bucket on it or on the external S3.
func (a *app) startObjects(ctx context.Context) (err error) {
	cfg := a.cfg
	objCfg := objectstore.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Bucket: cfg.S3Bucket, Region: cfg.S3Region, UseTLS: cfg.S3TLS}
	if cfg.EmbeddedObjects() {
		access, secret, err := versitygw.LoadOrCreateCredentials(cfg.DataDir)
		if err != nil {
			return fmt.Errorf("object store credentials: %w", err)
		}
		dir := filepath.Join(cfg.DataDir, "objects")
		a.gateway, err = versitygw.Start(ctx, versitygw.Options{Dir: dir, AccessKey: access, SecretKey: secret,
			Region: cfg.S3Region, Logger: a.log})
		if err != nil {
			return fmt.Errorf("start embedded object store: %w", err)
		}
		objCfg = objectstore.Config{Endpoint: a.gateway.Endpoint(), AccessKey: access, SecretKey: secret,
			Bucket: cfg.S3Bucket, Region: cfg.S3Region}
		a.log.Info("objects: embedded versitygw (posix)", slog.String("dir", dir))
	} else {
		a.log.Info("objects: external S3", slog.String("endpoint", cfg.S3Endpoint), slog.String("bucket", cfg.S3Bucket))
	}
	if a.objects, err = objectstore.Open(ctx, objCfg); err != nil {
		return fmt.Errorf("open object store: %w", err)
	}
	return nil
}

// consoleFiles is the web console embedded in the binary (server/console), rooted at its web/.
func consoleFiles() fs.FS {
	sub, err := fs.Sub(console.Files, "web")
	if err != nil {
		panic(err) // "web" is a valid path: fs.Sub cannot fail on it
	}
	return sub
}

// stopStores closes the clients and stops the embedded servers, in reverse start order, then
// releases the data directory.
func (a *app) stopStores(ctx context.Context) {
	if a.docs != nil {
		if err := a.docs.Close(ctx); err != nil {
			a.log.Warn("close document store", slog.String("error", err.Error()))
		}
	}
	if a.gateway != nil {
		if err := a.gateway.Stop(ctx); err != nil {
			a.log.Warn("stop embedded object store", slog.String("error", err.Error()))
		}
	}
	a.lock.release()
}

// serve runs the server until ctx is cancelled, then shuts down gracefully: it stops accepting,
// finishes in-flight requests (up to ShutdownTimeout), then stops the stores.
func serve(ctx context.Context, cfg Config, logOut io.Writer) error {
	log := newLogger(logOut, cfg.LogLevel)
	a, err := startApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		a.stopStores(context.WithoutCancel(ctx))
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	objects := "s3"
	if cfg.EmbeddedObjects() {
		objects = "embedded"
	}
	log.Info("fieldsync listening", slog.String("addr", ln.Addr().String()), slog.String("documents", string(a.docs.Kind)),
		slog.String("objects", objects), slog.String("version", version))

	janitorCtx, stopJanitor := context.WithCancel(ctx)
	defer stopJanitor()
	go runJanitor(janitorCtx, a.docs, log)
	go runPhotoJanitor(janitorCtx, a.photos, log)
	go a.runRules(janitorCtx) // the rules engine: R1, assessments, unfinished closes (every instance; one lease)
	served := make(chan error, 1)
	go func() { served <- a.http.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		err = a.http.Shutdown(shutCtx)
		if serveErr := <-served; serveErr != nil && err == nil {
			err = serveErr
		}
	}
	a.stopStores(context.WithoutCancel(ctx))
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// startDocuments opens the document stores: the embedded SQLite file <data dir>/fieldsync.db
// when no MongoDB URI is configured, MongoDB otherwise. Errors: a data directory of the
// FerretDB-based release (it must be converted first, errLegacyDataDir), or the store's own.
func (a *app) startDocuments(ctx context.Context) (err error) {
	if !a.cfg.EmbeddedDocuments() {
		a.docs, err = stores.OpenMongo(ctx, mongostore.Config{URI: a.cfg.MongoURI, Database: a.cfg.MongoDB, Logger: a.log})
		if err != nil {
			return fmt.Errorf("open MongoDB: %w", err)
		}
		a.log.Info("documents: MongoDB", slog.String("database", a.cfg.MongoDB))
		return nil
	}
	if err := checkLegacyDataDir(a.cfg.DataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	path := a.cfg.DocumentsPath()
	if a.docs, err = stores.OpenSQLite(ctx, path); err != nil {
		return fmt.Errorf("open the embedded store: %w", err)
	}
	a.log.Info("documents: embedded SQLite", slog.String("file", path))
	return nil
}

// startAccounts loads the token signing key (FIELDSYNC_JWT_SECRET, or the one generated into the
// database on the first start) and builds the accounts service on the document store.
func (a *app) startAccounts(ctx context.Context) error {
	key, err := accounts.LoadSigningKey(ctx, a.docs.Settings, a.cfg.JWTSecret)
	if err != nil {
		return err
	}
	policy := accounts.DefaultPolicy()
	if a.cfg.PasswordCost != 0 {
		policy.PasswordCost = a.cfg.PasswordCost
	}
	a.users, err = accounts.New(accounts.Config{Store: a.docs.Accounts,
		Audit: a.docs.Audit, SigningKey: key, Policy: policy, Logger: a.log})
	a.clock = newDevClock(a.cfg, a.docs, a.log)
	a.policies = newPolicies(a.docs, a.now())
	a.engine = newEngine(a.docs, key, a.policies, a.now())
	return err
}
