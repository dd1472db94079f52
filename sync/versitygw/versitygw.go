// Package versitygw runs an embedded versitygw v1.8.0 S3 gateway (posix backend) inside the
// process: the object store used when no external S3 endpoint is configured, and by tests. It
// checks SigV4 signatures and presigned-URL expiry like MinIO does.
//
// # Layout on disk
//
// Objects live under Options.Dir/buckets (one directory per bucket, one file per object).
// Object metadata (content type, user metadata, ETag) is kept in user extended attributes
// (meta.XattrMeta) when the filesystem of Dir supports them (ext4, xfs, btrfs, tmpfs do; /work and
// /tmp on the build machines do); otherwise Start falls back to sidecar files under
// Options.Dir/meta (meta.SideCar). Options.Dir/credentials.json holds generated keys (see
// LoadOrCreateCredentials).
//
// # One gateway per process, and the working directory
//
// At most one gateway runs in a process at a time, for three reasons found in the v1.8.0 source:
//   - the posix backend calls os.Chdir(root) in posix.New and then resolves buckets with paths
//     RELATIVE to the process working directory (os.Stat(bucket)); a second backend would move
//     the first one's root. This also means that while a gateway runs, the whole process's
//     working directory is Options.Dir/buckets: code in such a process must use absolute paths
//     (tests that read testdata/ must resolve it before the gateway starts);
//   - embedgw.RunVersityGW refuses a second concurrent call (a package-level atomic flag);
//   - bucket-name validation and the debug logger are package-level settings.
//
// Start therefore returns ErrRunning while another gateway of this process runs. Stop then
// Start again in the same process works, on the same Dir and the same port: Stop waits for
// RunVersityGW to return (which clears its flag) and restores the working directory that was
// current before Start.
package versitygw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/versity/versitygw/auth"
	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
	"github.com/versity/versitygw/s3api"
)

// DefaultListenAddr is the TCP address used when Options.ListenAddr is empty: loopback, with a
// free port picked at Start.
const DefaultListenAddr = "127.0.0.1:0"

// DefaultRegion is the region reported to S3 clients when Options.Region is empty.
const DefaultRegion = "us-east-1"

// Limits handed to the gateway. Requests beyond maxRequests wait; parts beyond maxParts in one
// multipart upload are refused (the S3 maximum is 10000).
const (
	maxConnections = 256
	maxRequests    = 128
	maxParts       = 10000
)

// ErrRunning is returned by Start while another gateway runs in this process.
var ErrRunning = errors.New("versitygw: a gateway already runs in this process (one per process)")

// Options configures an embedded gateway.
type Options struct {
	// Dir holds the buckets and metadata; created (0700) when missing. Required.
	Dir string
	// ListenAddr is the TCP host:port to serve S3 on; DefaultListenAddr when empty. Port 0 picks a
	// free port (read it back with Server.Endpoint).
	ListenAddr string
	// AccessKey and SecretKey are the root credentials clients sign with. When both are empty,
	// Start uses LoadOrCreateCredentials(Dir).
	AccessKey, SecretKey string
	// Region is the region clients must sign for; DefaultRegion when empty.
	Region string
	// Logger receives the gateway's lifecycle messages (which metadata store was chosen, a
	// gateway that stops on its own); slog.Default() when nil. Per-request logs are off.
	Logger *slog.Logger
}

// Server is a running embedded gateway. Stop it with Stop.
type Server struct {
	opts    Options // effective options: absolute Dir, bound ListenAddr, keys, region
	cancel  context.CancelFunc
	done    chan struct{} // closed when RunVersityGW has returned
	stopped chan struct{} // closed when Stop has restored the working directory
	runErr  error         // RunVersityGW's result; read after done is closed
	oldWd   string        // working directory before Start, restored by Stop
	stop    stdsync.Once
	logger  *slog.Logger
}

// running is true from a successful Start until the matching Stop has finished.
var running atomic.Bool

// Start starts the gateway and returns once it serves requests. ctx bounds the start only; the
// gateway runs until Stop. Errors: ErrRunning, a missing or unusable Dir, an address that cannot
// be bound, or ctx ending first.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("start versitygw: Options.Dir is required")
	}
	if !running.CompareAndSwap(false, true) {
		return nil, ErrRunning
	}
	s, err := start(ctx, opts)
	if err != nil {
		running.Store(false)
		return nil, err
	}
	return s, nil
}

func start(ctx context.Context, opts Options) (*Server, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("start versitygw: resolve dir %q: %w", opts.Dir, err)
	}
	opts.Dir = dir
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.ListenAddr == "" {
		opts.ListenAddr = DefaultListenAddr
	}
	if opts.AccessKey == "" && opts.SecretKey == "" {
		if opts.AccessKey, opts.SecretKey, err = LoadOrCreateCredentials(dir); err != nil {
			return nil, fmt.Errorf("start versitygw: %w", err)
		}
	}
	root := filepath.Join(dir, "buckets")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("start versitygw: create dir: %w", err)
	}
	store, err := metaStore(dir, root, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}

	oldWd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("start versitygw: working directory: %w", err)
	}
	// With port 0 the gateway gives no way to read the bound port back, so pick a free port
	// here; another process may take it in between, hence the retries.
	fixedPort := !isPortZero(opts.ListenAddr)
	for attempt := 0; ; attempt++ {
		addr := opts.ListenAddr
		if !fixedPort {
			if addr, err = freeAddr(opts.ListenAddr); err != nil {
				return nil, fmt.Errorf("start versitygw: %w", err)
			}
		}
		s, err := run(ctx, opts, addr, root, store)
		if err == nil {
			s.oldWd = oldWd
			return s, nil
		}
		_ = os.Chdir(oldWd) // posix.New has moved it
		if fixedPort || attempt == 2 || ctx.Err() != nil {
			return nil, fmt.Errorf("start versitygw on %s: %w", addr, err)
		}
	}
}

// copyObjectThreshold is the largest object CopyObject copies: the S3 limit, 5 GiB.
const copyObjectThreshold = 5 << 30

// run builds a backend and runs the gateway on addr until it serves or fails.
func run(ctx context.Context, opts Options, addr, root string, store meta.MetadataStorer) (*Server, error) {
	// The zero CopyObjectThreshold refuses every CopyObject (versitygw v1.8.0 documents a 5 GiB
	// default but only its command line sets it); the photo service copies verified uploads.
	be, err := posix.New(root, store, posix.PosixOpts{CopyObjectThreshold: copyObjectThreshold})
	if err != nil {
		return nil, fmt.Errorf("posix backend: %w", err)
	}
	listening := make(chan struct{})
	var once stdsync.Once
	cfg := &embedgw.Config{
		RootUserAccess:    opts.AccessKey,
		RootUserSecret:    opts.SecretKey,
		Region:            opts.Region,
		Ports:             []string{addr},
		MaxConnections:    maxConnections,
		MaxRequests:       maxRequests,
		MultipartMaxParts: maxParts,
		Quiet:             true, // no banner, no per-request lines on stdout
		// The same single-account IAM that embedgw builds by default, minus its line on stdout.
		IAMService: auth.NewIAMServiceSingle(auth.Account{Access: opts.AccessKey, Secret: opts.SecretKey, Role: auth.RoleAdmin}),
		S3Options: []s3api.Option{
			s3api.WithOnListen(func() { once.Do(func() { close(listening) }) }),
		},
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Server{cancel: cancel, done: make(chan struct{}), stopped: make(chan struct{}), logger: opts.Logger}
	s.opts = opts
	s.opts.ListenAddr = addr
	go func() {
		defer close(s.done)
		s.runErr = embedgw.RunVersityGW(runCtx, be, cfg)
		if s.runErr != nil && runCtx.Err() == nil {
			opts.Logger.Error("versitygw stopped on its own", "addr", addr, "err", s.runErr)
		}
	}()
	select {
	case <-listening:
	case <-s.done:
		cancel()
		if s.runErr == nil {
			return nil, errors.New("gateway returned before serving")
		}
		return nil, s.runErr
	case <-ctx.Done():
		cancel()
		<-s.done
		return nil, ctx.Err()
	}
	// OnListen fires just before fiber serves; wait until a TCP connection is accepted.
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
			return s, nil
		}
		select {
		case <-ctx.Done():
			cancel()
			<-s.done
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// testXattrs reports whether the filesystem of a path supports user xattrs; a variable so that
// tests can take the sidecar path on filesystems that do.
var testXattrs = meta.XattrMeta{}.Test

// metaStore picks xattr metadata when the filesystem of root supports user xattrs, sidecar
// files under dir/meta otherwise.
func metaStore(dir, root string, logger *slog.Logger) (meta.MetadataStorer, error) {
	err := testXattrs(root)
	if err == nil {
		return meta.XattrMeta{}, nil
	}
	logger.Warn("versitygw: no user xattrs on this filesystem; using sidecar metadata files", "dir", dir, "err", err)
	side := filepath.Join(dir, "meta")
	if err := os.MkdirAll(side, 0o700); err != nil {
		return nil, fmt.Errorf("create sidecar dir: %w", err)
	}
	sc, err := meta.NewSideCar(side)
	if err != nil {
		return nil, fmt.Errorf("sidecar metadata: %w", err)
	}
	return sc, nil
}

// Endpoint returns the host:port the gateway serves S3 on, e.g. "127.0.0.1:38211".
func (s *Server) Endpoint() string { return s.opts.ListenAddr }

// Options returns the effective options: absolute Dir, the bound ListenAddr, the credentials and
// the region. Start(ctx, srv.Options()) after Stop brings the same gateway back on the same port.
func (s *Server) Options() Options { return s.opts }

// Stop shuts the gateway down, waits for it to return and restores the working directory of
// the process. It is idempotent; it returns ctx.Err() when ctx ends first (the gateway then
// finishes stopping in the background, and Start keeps returning ErrRunning until it has).
func (s *Server) Stop(ctx context.Context) error {
	s.stop.Do(func() {
		s.cancel()
		go func() {
			<-s.done
			if err := os.Chdir(s.oldWd); err != nil {
				s.logger.Warn("versitygw: restore working directory", "dir", s.oldWd, "err", err)
			}
			running.Store(false)
			close(s.stopped)
		}()
	})
	select {
	case <-s.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop versitygw: %w", ctx.Err())
	}
}

func isPortZero(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

// freeAddr returns addr with port 0 replaced by a port that was free a moment ago.
func freeAddr(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("find a free port on %s: %w", addr, err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
