package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of the fieldsync server. Every value comes from a
// FIELDSYNC_* environment variable or the flag of the same name (the flag wins); defaults live in
// defaultConfig and nowhere else.
type Config struct {
	Listen          string        // FIELDSYNC_LISTEN, host:port
	DataDir         string        // FIELDSYNC_DATA_DIR; holds fieldsync.db (embedded documents) and objects/ (embedded photos)
	MongoURI        string        // FIELDSYNC_MONGO_URI; empty = the embedded SQLite store
	MongoDB         string        // FIELDSYNC_MONGO_DB, database name
	S3Endpoint      string        // FIELDSYNC_S3_ENDPOINT, host:port; empty = embedded object store
	S3AccessKey     string        // FIELDSYNC_S3_ACCESS_KEY
	S3SecretKey     string        // FIELDSYNC_S3_SECRET_KEY
	S3Bucket        string        // FIELDSYNC_S3_BUCKET
	S3Region        string        // FIELDSYNC_S3_REGION
	S3TLS           bool          // FIELDSYNC_S3_TLS
	LogLevel        string        // FIELDSYNC_LOG_LEVEL: debug, info, warn, error
	BodyLimit       int           // FIELDSYNC_BODY_LIMIT, bytes
	ShutdownTimeout time.Duration // FIELDSYNC_SHUTDOWN_TIMEOUT
	JWTSecret       string        // FIELDSYNC_JWT_SECRET; empty = generated once and stored in the database (settings)
	PasswordCost    int           // FIELDSYNC_PASSWORD_COST, bcrypt cost 4..31; 0 = the accounts policy's default
	DevClock        bool          // FIELDSYNC_DEV_CLOCK: an admin may set the server's clock (PUT /v1/dev/clock); development only
}

func defaultConfig() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		DataDir:         "./data",
		MongoDB:         "fieldsync",
		S3Bucket:        "fieldsync",
		S3Region:        "us-east-1",
		LogLevel:        "info",
		BodyLimit:       16 << 20,
		ShutdownTimeout: 20 * time.Second,
	}
}

// documentsFile is the embedded SQLite store's file in the data directory.
const documentsFile = "fieldsync.db"

// EmbeddedDocuments reports whether the documents are in the embedded SQLite store (no MongoDB URI).
func (c Config) EmbeddedDocuments() bool { return c.MongoURI == "" }

// DocumentsPath is the embedded SQLite store's file, <data dir>/fieldsync.db.
func (c Config) DocumentsPath() string { return filepath.Join(c.DataDir, documentsFile) }

// EmbeddedObjects reports whether the photos go to the in-process object store.
func (c Config) EmbeddedObjects() bool { return c.S3Endpoint == "" }

// loadConfig reads the environment through getenv, then the flags in args. It returns an error
// for an unparsable value or flag; "-h" returns flag.ErrHelp after printing usage to out.
func loadConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("fieldsync", flag.ContinueOnError)
	fs.SetOutput(out)
	var errs []error
	str := func(p *string, name, env, usage string) {
		if v := getenv(env); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" ("+env+")")
	}
	boolean := func(p *bool, name, env, usage string) {
		if v := getenv(env); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a boolean", env, v))
			}
			*p = b
		}
		fs.BoolVar(p, name, *p, usage+" ("+env+")")
	}
	integer := func(p *int, name, env, usage string) {
		if v := getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not an integer", env, v))
			}
			*p = n
		}
		fs.IntVar(p, name, *p, usage+" ("+env+")")
	}
	duration := func(p *time.Duration, name, env, usage string) {
		if v := getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration", env, v))
			}
			*p = d
		}
		fs.DurationVar(p, name, *p, usage+" ("+env+")")
	}
	str(&cfg.Listen, "listen", "FIELDSYNC_LISTEN", "HTTP listen address")
	str(&cfg.DataDir, "data-dir", "FIELDSYNC_DATA_DIR", "data directory for the embedded stores and generated secrets")
	str(&cfg.MongoURI, "mongo-uri", "FIELDSYNC_MONGO_URI", "MongoDB URI; empty runs the embedded SQLite store (<data-dir>/fieldsync.db)")
	str(&cfg.MongoDB, "mongo-db", "FIELDSYNC_MONGO_DB", "MongoDB database name")
	str(&cfg.S3Endpoint, "s3-endpoint", "FIELDSYNC_S3_ENDPOINT", "S3 endpoint host:port; empty runs the embedded object store")
	str(&cfg.S3AccessKey, "s3-access-key", "FIELDSYNC_S3_ACCESS_KEY", "S3 access key")
	str(&cfg.S3SecretKey, "s3-secret-key", "FIELDSYNC_S3_SECRET_KEY", "S3 secret key")
	str(&cfg.S3Bucket, "s3-bucket", "FIELDSYNC_S3_BUCKET", "S3 bucket")
	str(&cfg.S3Region, "s3-region", "FIELDSYNC_S3_REGION", "S3 region")
	boolean(&cfg.S3TLS, "s3-tls", "FIELDSYNC_S3_TLS", "use TLS to reach S3")
	str(&cfg.LogLevel, "log-level", "FIELDSYNC_LOG_LEVEL", "log level: debug, info, warn, error")
	integer(&cfg.BodyLimit, "body-limit", "FIELDSYNC_BODY_LIMIT", "largest request body in bytes")
	duration(&cfg.ShutdownTimeout, "shutdown-timeout", "FIELDSYNC_SHUTDOWN_TIMEOUT", "how long shutdown waits for in-flight requests")
	str(&cfg.JWTSecret, "jwt-secret", "FIELDSYNC_JWT_SECRET", "access-token signing key (at least 32 bytes); generated once into the database when empty")
	integer(&cfg.PasswordCost, "password-cost", "FIELDSYNC_PASSWORD_COST", "bcrypt cost of password hashes (4..31; 0: the default)")
	boolean(&cfg.DevClock, "dev-clock", "FIELDSYNC_DEV_CLOCK", "development only: let an admin set the server's clock (PUT /v1/dev/clock)")
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
	if c.Listen == "" {
		errs = append(errs, errors.New("listen address is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data directory is empty"))
	}
	if c.MongoDB == "" || strings.ContainsAny(c.MongoDB, "/\\. \"$") {
		errs = append(errs, fmt.Errorf("mongo database name %q is not valid", c.MongoDB))
	}
	if !c.EmbeddedObjects() && (c.S3AccessKey == "" || c.S3SecretKey == "") {
		errs = append(errs, errors.New("FIELDSYNC_S3_ACCESS_KEY and FIELDSYNC_S3_SECRET_KEY are required with FIELDSYNC_S3_ENDPOINT"))
	}
	if c.S3Bucket == "" {
		errs = append(errs, errors.New("bucket name is empty"))
	}
	if c.BodyLimit < 1<<20 {
		errs = append(errs, fmt.Errorf("body limit %d is below 1 MiB", c.BodyLimit))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.PasswordCost != 0 && (c.PasswordCost < 4 || c.PasswordCost > 31) {
		errs = append(errs, fmt.Errorf("password cost %d is outside 4..31", c.PasswordCost))
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("FIELDSYNC_JWT_SECRET must be at least 32 bytes"))
	}
	if strings.HasPrefix(strings.ToLower(c.JWTSecret), "change-me") {
		errs = append(errs, errors.New("FIELDSYNC_JWT_SECRET is still the placeholder of .env.example: set a random one (openssl rand -hex 32)"))
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}
