// Command fieldsync is the fieldsync server: the sync endpoint of the after-sales team's mobile
// app, with its stores. With nothing configured it runs on an embedded SQLite store and an
// embedded object store under ./data; with FIELDSYNC_MONGO_URI and FIELDSYNC_S3_ENDPOINT it runs on MongoDB
// and MinIO.
//
// Usage:
//
//	fieldsync [serve] [flags]          run the server (the default)
//	fieldsync healthcheck [--url URL]  exit 0 when the server answers /readyz with 200
//	fieldsync admin [server flags] <command> [flags]
//	                                   set up accounts and move data on the server's store (beside
//	                                   a running server on the embedded store):
//	    create-team --name NAME
//	    create-user --username U --role ROLE [--team NAME] [--display-name N] [--hire-date D]
//	                [--grade A|B|C] [--monthly-pay-fen N] [--probation-passed]
//	    reset-password --username U
//	    disable-user --username U
//	    dump [--photos] [--out FILE]   a portable dump (JSON Lines, docs/moving-data.md)
//	    restore [--photos] [--in FILE] load a dump into an empty store
//	    backup DIR                     a consistent copy of the embedded data directory
//	  The password of create-user and reset-password is read from the first line of stdin, or from
//	  FIELDSYNC_ADMIN_PASSWORD; never from the arguments.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fieldsync:", err)
		os.Exit(1)
	}
}

// run dispatches the subcommand. It returns when the command is done or ctx is cancelled
// (SIGINT/SIGTERM), after a graceful shutdown.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "healthcheck") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "healthcheck" {
		return healthcheck(ctx, args, getenv, stderr)
	}
	if len(args) > 0 && args[0] == "admin" {
		return admin(ctx, args[1:], getenv, stdin, stdout, stderr)
	}
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stderr)
}
