package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// healthcheck asks a running server's /readyz and returns nil only for 200. It is the container
// healthcheck (the image has no curl). The default URL is built from FIELDSYNC_LISTEN.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	listen := getenv("FIELDSYNC_LISTEN")
	if listen == "" {
		listen = defaultConfig().Listen
	}
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://"+loopbackOf(listen)+"/readyz", "readiness URL")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for an answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("healthcheck: %s: %s", resp.Status, body)
	}
	return nil
}

// loopbackOf turns a listen address such as 0.0.0.0:8080 or :8080 into one a local client can dial.
func loopbackOf(listen string) string {
	switch {
	case len(listen) > 0 && listen[0] == ':':
		return "127.0.0.1" + listen
	case len(listen) > 8 && listen[:8] == "0.0.0.0:":
		return "127.0.0.1" + listen[7:]
	}
	return listen
}
