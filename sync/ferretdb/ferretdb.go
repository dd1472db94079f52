// Package ferretdb runs an embedded FerretDB v1 (SQLite backend) inside the process: the
// document store used when no external MongoDB URI is configured, and by tests.
//
// Each database is one SQLite file under Options.Dir; data survives Stop and a later Start on the
// same Dir. Several servers may run in one process (on different Dirs), but two servers — or two
// processes — must never share a Dir.
//
// Limits of FerretDB v1 that callers must respect (measured, see INFRA.md): concurrent writes
// from several connections lose updates, so clients must use a connection pool of size 1
// (sync/mongostore does this on its own when it detects FerretDB); no multi-document
// transactions; no change streams; `$group` with more than one accumulator is wrong.
package ferretdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// DefaultListenAddr is the TCP address used when Options.ListenAddr is empty: loopback, with a
// port chosen by the kernel.
const DefaultListenAddr = "127.0.0.1:0"

// Options configures an embedded FerretDB.
type Options struct {
	// Dir holds the SQLite files, one per database. It is created (0700) when missing. Required.
	Dir string
	// ListenAddr is the TCP host:port to listen on; DefaultListenAddr when empty.
	ListenAddr string
	// NoSync turns SQLite's fsync off (synchronous=OFF): writes get ~4x faster, and a crash of
	// the machine (not of the process) may lose the last writes. For tests only; production keeps
	// SQLite's default, a synced WAL commit.
	NoSync bool
	// Logger receives FerretDB's own logs at WARN and above (FerretDB logs every connection at
	// INFO otherwise), without its wire dumps (see quiet); slog.Default() when nil.
	Logger *slog.Logger
}

// Server is a running embedded FerretDB. Stop it with Stop.
type Server struct {
	dir    string // absolute; one SQLite file per database
	uri    string
	addr   string
	cancel context.CancelFunc
	done   chan struct{} // closed when FerretDB's Run has returned
	stop   stdsync.Once
}

// newMu serializes ferretdb.New: it writes a package-level variable of FerretDB
// (version.Get().Package), which would race when two servers start at the same time.
var newMu stdsync.Mutex

// Start creates Dir, starts FerretDB on it and returns once the listener accepts TCP
// connections. ctx bounds the start only; the server runs until Stop. Errors: a missing Dir, a
// Dir that cannot be created, an address that cannot be bound, or ctx ending first.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("start ferretdb: Options.Dir is required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("start ferretdb: resolve dir %q: %w", opts.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start ferretdb: create dir: %w", err)
	}
	addr := opts.ListenAddr
	if addr == "" {
		addr = DefaultListenAddr
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}

	sqliteURL := "file:" + dir + "/"
	if opts.NoSync {
		sqliteURL += "?_pragma=synchronous(OFF)"
	}
	cfg := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Logger:    slog.New(quiet{next: logger.Handler()}),
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	}
	// FerretDB's New leaks its SQLite backend when it cannot bind the listener, and FerretDB
	// panics when the garbage collector finds a backend that was never closed: bind once
	// ourselves first, so that a taken address fails here, before New.
	if probe, err := net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("start ferretdb on %s: %w", addr, err)
	} else if err := probe.Close(); err != nil {
		return nil, fmt.Errorf("start ferretdb on %s: %w", addr, err)
	}
	// Telemetry needs no switch: the embedded FerretDB never creates a telemetry reporter and
	// marks telemetry disabled and locked in its state (ferretdb.New).
	newMu.Lock()
	f, err := ferretdb.New(cfg)
	newMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("start ferretdb on %s: %w", addr, err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	s := &Server{dir: dir, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = f.Run(runCtx) // always nil; it returns when runCtx is cancelled
	}()
	// ferretdb.New has bound the listener already, so MongoDBURI does not block.
	s.uri = f.MongoDBURI()
	s.addr = cfg.Listener.TCP
	if host, err := hostPort(s.uri); err == nil {
		s.addr = host
	}
	if err := waitAccepting(ctx, s.addr); err != nil {
		_ = s.Stop(context.Background())
		return nil, fmt.Errorf("start ferretdb on %s: %w", s.addr, err)
	}
	return s, nil
}

// URI returns the MongoDB connection string of the server, e.g. "mongodb://127.0.0.1:40321/".
func (s *Server) URI() string { return s.uri }

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// Stop closes the listener, then every connection, waits for FerretDB to return and closes the
// SQLite files. FerretDB gives connected clients 3 s to leave before it closes their
// connections, so Stop is immediate only when clients have disconnected first. It is
// idempotent; it returns ctx.Err() if ctx ends before FerretDB has returned (FerretDB then
// finishes stopping in the background).
func (s *Server) Stop(ctx context.Context) error {
	s.stop.Do(s.cancel)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop ferretdb: %w", ctx.Err())
	}
}

// hostPort returns the host:port of a mongodb:// URI.
func hostPort(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	return u.Host, nil
}

// waitAccepting dials addr until a TCP connection succeeds or ctx ends.
func waitAccepting(ctx context.Context, addr string) error {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for listener: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// quiet is the slog.Handler given to FerretDB: it passes WARN and above to next, except the
// wire dumps. FerretDB logs every failed command ({ok: 0}, e.g. a duplicate key, or the
// driver's endSessions that FerretDB does not implement) at WARN as two records, "Response
// header: ..." and "Response message: <the whole response document>", and the document can
// quote stored values — customer details must never reach the logs. Dumps are dropped at every
// level except a header at ERROR (a response that closes the connection).
//
// FerretDB derives a logger with attributes for every command it serves; deriving from the
// text or JSON handler formats those attributes at once, which cost ~10% of a push's CPU. quiet
// keeps them instead and formats them only for a record it passes on (rare: WARN and above).
type quiet struct {
	next slog.Handler
	with []func(slog.Handler) slog.Handler // WithAttrs and WithGroup calls, in order, not yet applied
}

func (h quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.next.Enabled(ctx, l)
}

func (h quiet) Handle(ctx context.Context, r slog.Record) error {
	if isWireDump(r.Message) && (r.Level < slog.LevelError || strings.Contains(r.Message, "message:")) {
		return nil
	}
	next := h.next
	for _, f := range h.with {
		next = f(next)
	}
	return next.Handle(ctx, r)
}

func (h quiet) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.derive(func(n slog.Handler) slog.Handler { return n.WithAttrs(attrs) })
}

func (h quiet) WithGroup(name string) slog.Handler {
	return h.derive(func(n slog.Handler) slog.Handler { return n.WithGroup(name) })
}

func (h quiet) derive(f func(slog.Handler) slog.Handler) quiet {
	return quiet{next: h.next, with: append(slices.Clip(h.with), f)}
}

// isWireDump reports whether a FerretDB log message is a request/response dump
// ("Response header: ...", "Response message:\n{...}", "Proxy response ...", "Request ...",
// "Header diff ...").
func isWireDump(msg string) bool {
	for _, p := range []string{"Response ", "Proxy response ", "Request ", "Header diff"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
