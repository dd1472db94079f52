// Package server is fieldsync's HTTP layer (Fiber): it binds and validates requests, calls the
// sync engine and the domain, and writes responses. Every error goes through one error handler
// (errors.go) that maps domain error codes to HTTP statuses.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// Check reports whether one dependency is usable; it returns an error (wrapping
// domain.ErrUnavailable) when it is not. Checks must answer within a few seconds.
type Check func(ctx context.Context) error

// Config is the HTTP server's configuration.
type Config struct {
	// BodyLimit is the largest request body accepted, in bytes; larger bodies answer 413 too_large.
	BodyLimit int
	// ReadyTimeout bounds each readiness check.
	ReadyTimeout time.Duration
	// Logger receives one structured line per request and every internal error; never customer data.
	Logger *slog.Logger
	// Version is shown by /healthz.
	Version string
	// Stream times the Server-Sent Events of /v1/sync/stream (zero: 1 s poll, 25 s heartbeat).
	Stream StreamTiming
}

// SyncEngine is what the sync endpoints need from the engine (sync.Engine).
type SyncEngine interface {
	Push(ctx context.Context, p domain.Principal, address string, muts []sync.Mutation) ([]sync.Result, error)
	Pull(ctx context.Context, p domain.Principal, cursor string, limit int) (sync.Page, error)
	Latest(ctx context.Context, p domain.Principal, cursor string) (string, bool, error)
	PullCollection(ctx context.Context, p domain.Principal, collection, cursor string, limit int) (sync.Page, error)
	LatestCollection(ctx context.Context, p domain.Principal, collection, cursor string) (string, bool, error)
	Get(ctx context.Context, p domain.Principal, keys []sync.RecordKey) (map[sync.RecordKey]sync.Change, error)
	Limits() sync.Limits
}

// Deps are what the handlers need from the rest of the program.
type Deps struct {
	// Ready maps a dependency's name ("documents", "objectstore") to its readiness check.
	Ready map[string]Check
	// Accounts authenticates requests and serves the auth and account endpoints; without it
	// those routes are not registered.
	Accounts *accounts.Service
	// LoginLimits stores the login rate limiter's counters (shared by every instance:
	// mongostore.LimiterStorage); nil keeps them in this process's memory.
	LoginLimits fiber.Storage
	// Sync is the sync engine behind /v1/sync/*; without it (or Accounts) those routes are not
	// registered.
	Sync SyncEngine
	// Blobs is the photo service behind /v1/blobs/* (sync/blobs.Service); without it (or
	// Accounts) those routes are not registered. docs/photos.md.
	Blobs BlobService
	// Uploads is the resumable-upload (tus) storage behind /v1/uploads/; without it (or Blobs)
	// that route is not registered.
	Uploads *Uploads
	// Policy serves /v1/policy (compute.Policies); without it (or Accounts) those routes are not
	// registered.
	Policy PolicyService
	// Scoring serves /v1/months and /v1/year-end-bonuses (compute.Worker); without it (or
	// Accounts) those routes are not registered.
	Scoring ScoringService
	// Review serves GET /v1/review/queue (compute.Reviews); without it (or Accounts) that route
	// is not registered.
	Review ReviewService
	// PettyCash serves /v1/petty-cash/* (compute.PettyCashLedgers, R15); without it (or
	// Accounts) those routes are not registered.
	PettyCash PettyCashService
	// DevClock serves /v1/dev/clock (docs/fieldsim.md); nil (production) leaves the routes out.
	DevClock DevClock
	// Console is the web console's files (fs.Sub(console.Files, "web")) served under /console/;
	// with Accounts, /v1/console/session is served too. Nil leaves both out. docs/console-api.md.
	Console fs.FS
	// Exports serves /v1/exports/* (compute.Exports); without it (or Accounts) those routes are
	// not registered.
	Exports ExportService
	// SyncHealth serves GET /v1/sync/health (compute.SyncHealth), and SyncActivity records each
	// device's last push and pull for it (mongostore.SyncActivity); each is optional (with
	// Accounts).
	SyncHealth   SyncHealthService
	SyncActivity SyncActivityRecorder
}

// Server is the fieldsync HTTP server.
type Server struct {
	app     *fiber.App
	cfg     Config
	deps    Deps
	metrics *metrics
	// shutdownCtx ends long-lived responses (event streams) when Shutdown starts.
	shutdownCtx    context.Context
	shutdownCancel context.CancelFunc
}

// New builds the server with its middleware and routes. It does not listen yet.
func New(cfg Config, deps Deps) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 16 << 20
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 3 * time.Second
	}
	if cfg.Stream.Poll <= 0 {
		cfg.Stream.Poll = time.Second
	}
	if cfg.Stream.Heartbeat <= 0 {
		cfg.Stream.Heartbeat = 25 * time.Second
	}
	s := &Server{cfg: cfg, deps: deps, metrics: newMetrics()}
	s.shutdownCtx, s.shutdownCancel = context.WithCancel(context.Background())
	s.app = fiber.New(fiber.Config{
		AppName:               "fieldsync",
		BodyLimit:             cfg.BodyLimit,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		// Photo uploads stream; every other body is still read whole first (blobs_body.go).
		StreamRequestBody: true,
	})
	s.limitDeclaredBodies()
	s.app.Use(securityHeaders, requestID, s.observe, recover.New(), s.bufferBody)
	s.routes()
	return s
}

func (s *Server) routes() {
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	s.app.Get("/metrics", s.metrics.handler())
	if s.deps.Accounts != nil {
		s.accountRoutes()
	}
	if s.deps.Accounts != nil {
		s.syncHealthRoutes() // before the sync routes: it wraps them
	}
	if s.deps.Accounts != nil && s.deps.Sync != nil {
		s.syncRoutes()
	}
	if s.deps.Accounts != nil && s.deps.Blobs != nil {
		s.blobRoutes()
	}
	if s.deps.Accounts != nil && s.deps.Policy != nil {
		s.policyRoutes()
	}
	if s.deps.Accounts != nil && s.deps.Scoring != nil {
		s.scoringRoutes()
	}
	if s.deps.Accounts != nil && s.deps.Review != nil {
		s.reviewRoutes()
	}
	if s.deps.Accounts != nil && s.deps.PettyCash != nil {
		s.pettyCashRoutes()
	}
	if s.deps.Accounts != nil && s.deps.DevClock != nil {
		s.devClockRoutes()
	}
	if s.deps.Console != nil {
		s.consoleRoutes()
	}
	if s.deps.Accounts != nil && s.deps.Console != nil {
		s.consoleSessionRoutes()
	}
	if s.deps.Accounts != nil && s.deps.Exports != nil {
		s.exportRoutes()
	}
}

// App returns the underlying Fiber app (for tests with app.Test and for mounting more routes).
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown is called.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for in-flight requests to finish, until ctx ends.
// Event streams end at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownCancel()
	return s.app.ShutdownWithContext(ctx)
}
