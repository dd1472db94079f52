// Command fieldsim simulates one after-sales team (a leader, technicians with one or two phones
// each, purchasing and the GM office) over a period, one calendar month by default, against a
// running fieldsync over its public HTTP API, then checks the server against its own event log
// and prints the month's report. It is the demo and the soak test (docs/fieldsim.md).
//
//	fieldsync --dev-clock &                       # the server, with the settable clock
//	FIELDSIM_ADMIN_PASSWORD=... fieldsim          # one month, 6 technicians, seed 1
//
// Exit status: 0 when every check passed, 1 when one failed (the report lists the record ids),
// 2 when the simulation could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	"golang.org/x/term"
)

// Config is the simulator's configuration: FIELDSIM_* environment variables or the flags of the
// same name (the flag wins); defaults in defaultConfig only.
type Config struct {
	URL           string        // FIELDSIM_URL: the fieldsync server
	AdminUser     string        // FIELDSIM_ADMIN_USER: an admin account (creates the team, sets the dev clock)
	AdminPassword string        // FIELDSIM_ADMIN_PASSWORD
	Seed          uint64        // FIELDSIM_SEED: the scenario's random seed (same seed, same month)
	Technicians   int           // FIELDSIM_TECHNICIANS
	Start         string        // FIELDSIM_START: first simulated day YYYY-MM-DD; empty = the previous calendar month
	Days          int           // FIELDSIM_DAYS: simulated days; 0 = to the end of the start's month
	Batch         int           // FIELDSIM_BATCH: mutations per push
	PullLimit     int           // FIELDSIM_PULL_LIMIT: changes per pull page
	DropRate      float64       // FIELDSIM_DROP_RATE: share of pushes whose answer is dropped and resent
	PhotoMinBytes int           // FIELDSIM_PHOTO_MIN_BYTES: smallest photo
	PhotoMaxBytes int           // FIELDSIM_PHOTO_MAX_BYTES: largest photo (the resumable upload)
	Settle        time.Duration // FIELDSIM_SETTLE: quiet time waited for the rules worker at the end
	RunID         string        // FIELDSIM_RUN_ID: prefixes names and ids; empty = random
	Progress      string        // FIELDSIM_PROGRESS: auto (a bar on a terminal unless CI is set), on, off
	Timeout       time.Duration // FIELDSIM_TIMEOUT: the whole run
}

func defaultConfig() Config {
	return Config{URL: "http://127.0.0.1:8080", AdminUser: "admin", Seed: 1, Technicians: 6, Batch: 50, PullLimit: 200,
		DropRate: 0.05, PhotoMinBytes: 300_000, PhotoMaxBytes: 4_000_000, Settle: 2 * time.Second, Progress: "auto",
		Timeout: 30 * time.Minute}
}

// loadConfig reads the environment through getenv, then the flags in args.
func loadConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("fieldsim", flag.ContinueOnError)
	fs.SetOutput(out)
	var errs []error
	env := func(name string, set func(string) error) {
		if v := getenv(name); v != "" {
			if err := set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %q: %w", name, v, err))
			}
		}
	}
	str := func(p *string, name, envName, usage string) {
		env(envName, func(v string) error { *p = v; return nil })
		fs.StringVar(p, name, *p, usage+" ("+envName+")")
	}
	integer := func(p *int, name, envName, usage string) {
		env(envName, func(v string) (err error) { *p, err = strconv.Atoi(v); return })
		fs.IntVar(p, name, *p, usage+" ("+envName+")")
	}
	str(&cfg.URL, "url", "FIELDSIM_URL", "fieldsync server URL")
	str(&cfg.AdminUser, "admin-user", "FIELDSIM_ADMIN_USER", "admin username")
	str(&cfg.AdminPassword, "admin-password", "FIELDSIM_ADMIN_PASSWORD", "admin password")
	env("FIELDSIM_SEED", func(v string) (err error) { cfg.Seed, err = strconv.ParseUint(v, 10, 64); return })
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed of the scenario (FIELDSIM_SEED)")
	integer(&cfg.Technicians, "technicians", "FIELDSIM_TECHNICIANS", "technicians in the team")
	str(&cfg.Start, "start", "FIELDSIM_START", "first day YYYY-MM-DD (Asia/Shanghai); empty: the previous calendar month")
	integer(&cfg.Days, "days", "FIELDSIM_DAYS", "days to simulate; 0: to the end of the start's month")
	integer(&cfg.Batch, "batch", "FIELDSIM_BATCH", "mutations per push (1..500)")
	integer(&cfg.PullLimit, "pull-limit", "FIELDSIM_PULL_LIMIT", "changes per pull page (1..1000)")
	env("FIELDSIM_DROP_RATE", func(v string) (err error) { cfg.DropRate, err = strconv.ParseFloat(v, 64); return })
	fs.Float64Var(&cfg.DropRate, "drop-rate", cfg.DropRate, "share of push answers dropped and resent (FIELDSIM_DROP_RATE)")
	integer(&cfg.PhotoMinBytes, "photo-min-bytes", "FIELDSIM_PHOTO_MIN_BYTES", "smallest photo, bytes")
	integer(&cfg.PhotoMaxBytes, "photo-max-bytes", "FIELDSIM_PHOTO_MAX_BYTES", "largest photo, bytes")
	env("FIELDSIM_SETTLE", func(v string) (err error) { cfg.Settle, err = time.ParseDuration(v); return })
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "quiet time waited for the rules worker at the end (FIELDSIM_SETTLE)")
	str(&cfg.RunID, "run-id", "FIELDSIM_RUN_ID", "run id prefixing names (empty: random)")
	str(&cfg.Progress, "progress", "FIELDSIM_PROGRESS", "progress bar: auto, on, off")
	env("FIELDSIM_TIMEOUT", func(v string) (err error) { cfg.Timeout, err = time.ParseDuration(v); return })
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "limit of the whole run (FIELDSIM_TIMEOUT)")
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

func (c Config) validate() error {
	var errs []error
	if c.AdminPassword == "" {
		errs = append(errs, errors.New("the admin password is required (FIELDSIM_ADMIN_PASSWORD)"))
	}
	if c.Technicians < 1 || c.Technicians > 50 {
		errs = append(errs, fmt.Errorf("technicians %d outside 1..50", c.Technicians))
	}
	if c.Batch < 1 || c.Batch > 500 {
		errs = append(errs, fmt.Errorf("batch %d outside 1..500", c.Batch))
	}
	if c.PullLimit < 1 || c.PullLimit > 1000 {
		errs = append(errs, fmt.Errorf("pull limit %d outside 1..1000", c.PullLimit))
	}
	if c.DropRate < 0 || c.DropRate > 1 {
		errs = append(errs, fmt.Errorf("drop rate %v outside 0..1", c.DropRate))
	}
	if c.PhotoMinBytes < 1000 || c.PhotoMaxBytes < c.PhotoMinBytes {
		errs = append(errs, errors.New("photo sizes: want 1000 <= min <= max"))
	}
	if c.Progress != "auto" && c.Progress != "on" && c.Progress != "off" {
		errs = append(errs, fmt.Errorf("progress %q: want auto, on or off", c.Progress))
	}
	return errors.Join(errs...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the command: 0 passed, 1 a check failed, 2 could not run.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fieldsim:", err)
		return 2
	}
	showBar := cfg.Progress == "on" || cfg.Progress == "auto" && getenv("CI") == "" && isTerminal(stderr)
	res, err := Simulate(ctx, cfg, stdout, progressTo(stderr, showBar))
	if err != nil {
		fmt.Fprintln(stderr, "fieldsim:", err)
		return 2
	}
	if len(res.Failures) > 0 {
		return 1
	}
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
