package server

import (
	"context"
	"net"
	"testing"
	"time"
)

// listen serves s on a loopback port for tests that need a real connection; it shuts down at cleanup.
func listen(t *testing.T, s *Server) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return ln, ln.Addr().String()
}
