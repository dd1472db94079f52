package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// The deployment files are checked here, with the loader docker compose
// itself uses, because no Docker engine runs on the machines that test
// fieldsync: a broken docker-compose.yml or Dockerfile would otherwise only
// show up on the first production start.

// composeExternalEnv lists the variables fieldsync needs when it runs against
// an external MongoDB and S3 store (the compose stack); each must be set and
// non-empty in the fieldsync service.
var composeExternalEnv = []string{
	"FIELDSYNC_LISTEN",
	"FIELDSYNC_DATA_DIR",
	"FIELDSYNC_MONGO_URI",
	"FIELDSYNC_MONGO_DB",
	"FIELDSYNC_S3_ENDPOINT",
	"FIELDSYNC_S3_ACCESS_KEY",
	"FIELDSYNC_S3_SECRET_KEY",
	"FIELDSYNC_S3_BUCKET",
	"FIELDSYNC_S3_REGION",
	"FIELDSYNC_S3_TLS",
	"FIELDSYNC_JWT_SECRET",
}

// composeDeployment is what the checks look at: the compose project as
// docker compose would load it, and the Dockerfile's instructions.
type composeDeployment struct {
	root       string
	project    *types.Project
	dockerfile []dockerInstruction
}

// dockerInstruction is one Dockerfile instruction with its continuation
// lines joined: Cmd is upper case ("FROM", "RUN"), Args the rest of the line.
type dockerInstruction struct {
	Cmd  string
	Args string
}

// composeCheck is one property of the deployment files. breakIt mutates a
// freshly loaded deployment so that the check must fail: it proves the check
// can catch the mistake it is written for.
type composeCheck struct {
	name    string
	check   func(d composeDeployment) error
	breakIt func(t *testing.T, d *composeDeployment)
}

func TestComposeDeployment(t *testing.T) {
	for _, tc := range composeChecks() {
		t.Run(tc.name, func(t *testing.T) {
			d := loadComposeDeployment(t, composeExampleEnv(t))
			if err := tc.check(d); err != nil {
				t.Fatalf("deployment files: %v", err)
			}
			broken := loadComposeDeployment(t, composeExampleEnv(t))
			tc.breakIt(t, &broken)
			if err := tc.check(broken); err == nil {
				t.Fatal("check passed on a deliberately broken deployment: it cannot fail")
			}
		})
	}
}

// TestComposeRequiresSecrets loads the stack without .env: compose must refuse
// to start rather than run with empty or default credentials.
func TestComposeRequiresSecrets(t *testing.T) {
	required := []string{
		"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD",
		"FIELDSYNC_S3_ACCESS_KEY", "FIELDSYNC_S3_SECRET_KEY", "FIELDSYNC_JWT_SECRET",
	}
	for _, name := range required {
		t.Run(name, func(t *testing.T) {
			env := composeExampleEnv(t)
			delete(env, name)
			_, err := loadComposeProject(t, composeRepoRoot(t), env)
			if err == nil {
				t.Fatalf("compose loaded without %s; want an error", name)
			}
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name %s: %v", name, err)
			}
		})
	}
}

func composeChecks() []composeCheck {
	return []composeCheck{
		{
			name: "four services",
			check: func(d composeDeployment) error {
				for _, name := range []string{"mongo", "minio", "minio-init", "fieldsync"} {
					if _, ok := d.project.Services[name]; !ok {
						return fmt.Errorf("service %q missing; have %v", name, d.project.ServiceNames())
					}
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) { delete(d.project.Services, "minio-init") },
		},
		{
			name: "images pinned",
			check: func(d composeDeployment) error {
				for name, s := range d.project.Services {
					if s.Build != nil {
						continue
					}
					_, tag, ok := strings.Cut(s.Image[strings.LastIndex(s.Image, "/")+1:], ":")
					if !ok || tag == "" || tag == "latest" {
						return fmt.Errorf("service %s: image %q is not pinned to a tag", name, s.Image)
					}
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "minio", func(s *types.ServiceConfig) { s.Image = "quay.io/minio/minio:latest" })
			},
		},
		{
			name: "mongo runs a replica set",
			check: func(d composeDeployment) error {
				if _, err := composeReplSet(d.project); err != nil {
					return err
				}
				if !slices.Contains(d.project.Services["mongo"].Command, "--bind_ip_all") {
					return errors.New("mongo does not listen beyond localhost (--bind_ip_all)")
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "mongo", func(s *types.ServiceConfig) { s.Command = types.ShellCommand{"--bind_ip_all"} })
			},
		},
		{
			name: "mongo healthcheck initiates the replica set",
			check: func(d composeDeployment) error {
				rs, err := composeReplSet(d.project)
				if err != nil {
					return err
				}
				test, err := composeHealthTest(d.project, "mongo")
				if err != nil {
					return err
				}
				if !strings.Contains(test, "rs.initiate(") || !regexp.MustCompile(`_id:\s*'`+regexp.QuoteMeta(rs)+`'`).MatchString(test) {
					return fmt.Errorf("mongo healthcheck does not initiate replica set %q: %s", rs, test)
				}
				if !strings.Contains(test, "mongo:27017") {
					return fmt.Errorf("replica set member is not the service address mongo:27017: %s", test)
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "mongo", func(s *types.ServiceConfig) {
					s.HealthCheck.Test = types.HealthCheckTest{"CMD", "mongosh", "--eval", "db.adminCommand('ping')"}
				})
			},
		},
		{
			name: "minio healthcheck",
			check: func(d composeDeployment) error {
				_, err := composeHealthTest(d.project, "minio")
				return err
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "minio", func(s *types.ServiceConfig) { s.HealthCheck = nil })
			},
		},
		{
			name: "bucket init creates the bucket once minio is healthy",
			check: func(d composeDeployment) error {
				s := d.project.Services["minio-init"]
				if got := s.DependsOn["minio"].Condition; got != types.ServiceConditionHealthy {
					return fmt.Errorf("minio-init depends on minio with condition %q", got)
				}
				script := strings.Join(s.Command, " ")
				if !strings.Contains(script, "mc mb --ignore-existing") || !strings.Contains(script, "$FIELDSYNC_S3_BUCKET") {
					return fmt.Errorf("minio-init does not create the bucket idempotently: %s", script)
				}
				if s.Environment["FIELDSYNC_S3_BUCKET"] == nil || *s.Environment["FIELDSYNC_S3_BUCKET"] != *d.project.Services["fieldsync"].Environment["FIELDSYNC_S3_BUCKET"] {
					return errors.New("minio-init and fieldsync disagree on the bucket")
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "minio-init", func(s *types.ServiceConfig) {
					bucket := "other"
					s.Environment["FIELDSYNC_S3_BUCKET"] = &bucket
				})
			},
		},
		{
			name: "fieldsync waits for its dependencies",
			check: func(d composeDeployment) error {
				want := map[string]string{
					"mongo":      types.ServiceConditionHealthy,
					"minio":      types.ServiceConditionHealthy,
					"minio-init": types.ServiceConditionCompletedSuccessfully,
				}
				deps := d.project.Services["fieldsync"].DependsOn
				for name, cond := range want {
					if got := deps[name].Condition; got != cond {
						return fmt.Errorf("fieldsync depends on %s with condition %q, want %q", name, got, cond)
					}
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "fieldsync", func(s *types.ServiceConfig) {
					s.DependsOn["minio-init"] = types.ServiceDependency{Condition: types.ServiceConditionStarted}
				})
			},
		},
		{
			name: "fieldsync environment for external mode",
			check: func(d composeDeployment) error {
				env := d.project.Services["fieldsync"].Environment
				for _, name := range composeExternalEnv {
					if v := env[name]; v == nil || *v == "" {
						return fmt.Errorf("fieldsync: %s is not set", name)
					}
				}
				if listen := *env["FIELDSYNC_LISTEN"]; !strings.HasPrefix(listen, "0.0.0.0:") {
					return fmt.Errorf("fieldsync listens on %s: unreachable from outside the container", listen)
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "fieldsync", func(s *types.ServiceConfig) { delete(s.Environment, "FIELDSYNC_JWT_SECRET") })
			},
		},
		{
			// The same parser the server runs at start: a renamed variable or
			// a value it rejects fails here, not in production.
			name: "fieldsync accepts its environment",
			check: func(d composeDeployment) error {
				env := d.project.Services["fieldsync"].Environment
				// .env.example's secret is a placeholder the server refuses on purpose: an operator
				// sets a real one, as here.
				getenv := func(k string) string {
					if k == "FIELDSYNC_JWT_SECRET" && composeValue(env, k) != "" {
						return "an-operator-generated-secret-0123456789abcdef"
					}
					return composeValue(env, k)
				}
				cfg, err := loadConfig(nil, getenv, io.Discard)
				if err != nil {
					return fmt.Errorf("fieldsync would refuse to start: %w", err)
				}
				if cfg.EmbeddedDocuments() || cfg.EmbeddedObjects() {
					return errors.New("fieldsync would run the embedded stores, not mongo and minio")
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "fieldsync", func(s *types.ServiceConfig) {
					tls := "sometimes"
					s.Environment["FIELDSYNC_S3_TLS"] = &tls
				})
			},
		},
		{
			name: "fieldsync reaches the compose services",
			check: func(d composeDeployment) error {
				rs, err := composeReplSet(d.project)
				if err != nil {
					return err
				}
				env := d.project.Services["fieldsync"].Environment
				u, err := url.Parse(composeValue(env, "FIELDSYNC_MONGO_URI"))
				if err != nil {
					return fmt.Errorf("fieldsync Mongo URI: %w", err)
				}
				if u.Scheme != "mongodb" || u.Host != "mongo:27017" || u.Query().Get("replicaSet") != rs {
					return fmt.Errorf("fieldsync Mongo URI %s does not name mongo:27017 and replica set %q", u, rs)
				}
				if got := composeValue(env, "FIELDSYNC_S3_ENDPOINT"); got != "minio:9000" {
					return fmt.Errorf("fieldsync S3 endpoint %q, want minio:9000", got)
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "fieldsync", func(s *types.ServiceConfig) {
					uri := "mongodb://mongo:27017/"
					s.Environment["FIELDSYNC_MONGO_URI"] = &uri
				})
			},
		},
		{
			name: "fieldsync healthcheck and restart",
			check: func(d composeDeployment) error {
				test, err := composeHealthTest(d.project, "fieldsync")
				if err != nil {
					return err
				}
				if !strings.Contains(test, "fieldsync healthcheck") {
					return fmt.Errorf("fieldsync healthcheck does not run `fieldsync healthcheck`: %s", test)
				}
				if got := d.project.Services["fieldsync"].Restart; got != types.RestartPolicyUnlessStopped {
					return fmt.Errorf("fieldsync restart policy %q", got)
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "fieldsync", func(s *types.ServiceConfig) { s.Restart = types.RestartPolicyNo })
			},
		},
		{
			name: "stateful services keep data in named volumes",
			check: func(d composeDeployment) error {
				want := map[string][]string{
					"mongo":     {"/data/db", "/data/configdb"},
					"minio":     {"/data"},
					"fieldsync": {"/data"},
				}
				for service, targets := range want {
					for _, target := range targets {
						if err := composeNamedVolume(d.project, service, target); err != nil {
							return err
						}
					}
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) { delete(d.project.Volumes, "minio-data") },
		},
		{
			name: "fieldsync builds from the Dockerfile",
			check: func(d composeDeployment) error {
				b := d.project.Services["fieldsync"].Build
				if b == nil {
					return errors.New("fieldsync has no build section")
				}
				path := b.Dockerfile
				if !filepath.IsAbs(path) {
					path = filepath.Join(b.Context, path)
				}
				if filepath.Clean(path) != filepath.Join(d.root, "Dockerfile") {
					return fmt.Errorf("fieldsync builds from %s, want the repository's Dockerfile", path)
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				composeEditService(t, d, "fieldsync", func(s *types.ServiceConfig) { s.Build.Dockerfile = "Dockerfile.dev" })
			},
		},
		{
			name: "Dockerfile final stage runs as non-root",
			check: func(d composeDeployment) error {
				final := composeFinalStage(d.dockerfile)
				if len(final) == 0 {
					return errors.New("Dockerfile has no FROM")
				}
				user := ""
				if from := strings.Fields(final[0].Args); len(from) > 0 && strings.HasSuffix(from[0], ":nonroot") {
					user = "nonroot"
				}
				for _, in := range final {
					if in.Cmd == "USER" {
						user = strings.Fields(in.Args)[0]
					}
				}
				if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
					return fmt.Errorf("final stage %q runs as root", final[0].Args)
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				d.dockerfile = append(d.dockerfile, dockerInstruction{Cmd: "USER", Args: "root"})
			},
		},
		{
			name: "Dockerfile builds a static binary",
			check: func(d composeDeployment) error {
				for _, in := range d.dockerfile {
					if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
						if !strings.Contains(in.Args, "CGO_ENABLED=0") || strings.Contains(in.Args, "ferretdb") {
							return fmt.Errorf("go build is not static, or builds FerretDB in: %s", in.Args)
						}
						return nil
					}
				}
				return errors.New("Dockerfile has no go build")
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				for i, in := range d.dockerfile {
					d.dockerfile[i].Args = strings.ReplaceAll(in.Args, "CGO_ENABLED=0", "CGO_ENABLED=1")
				}
			},
		},
		{
			name: "Dockerfile healthcheck and entrypoint use the binary",
			check: func(d composeDeployment) error {
				var health, entry string
				for _, in := range composeFinalStage(d.dockerfile) {
					switch in.Cmd {
					case "HEALTHCHECK":
						health = in.Args
					case "ENTRYPOINT":
						entry = in.Args
					}
				}
				if !strings.Contains(health, `"healthcheck"`) {
					return fmt.Errorf("HEALTHCHECK does not run the healthcheck subcommand: %q", health)
				}
				if !strings.Contains(entry, "fieldsync") {
					return fmt.Errorf("ENTRYPOINT is not the fieldsync binary: %q", entry)
				}
				return nil
			},
			breakIt: func(t *testing.T, d *composeDeployment) {
				d.dockerfile = slices.DeleteFunc(d.dockerfile, func(in dockerInstruction) bool { return in.Cmd == "HEALTHCHECK" })
			},
		},
	}
}
