package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeRepoRoot returns the repository root: two levels above this package.
func composeRepoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// composeExampleEnv returns the variables of .env.example: the environment a
// fresh `cp .env.example .env` gives docker compose.
func composeExampleEnv(t *testing.T) map[string]string {
	t.Helper()
	env, err := dotenv.GetEnvFromFile(nil, []string{filepath.Join(composeRepoRoot(t), ".env.example")})
	if err != nil {
		t.Fatalf("read .env.example: %v", err)
	}
	return env
}

// loadComposeProject loads docker-compose.yml from root with exactly env as
// the project environment (no OS environment, no .env file), as
// `docker compose config` does.
func loadComposeProject(t *testing.T, root string, env map[string]string) (*types.Project, error) {
	t.Helper()
	pairs := make([]string, 0, len(env))
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(pairs),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// loadComposeDeployment loads both deployment files or fails the test.
func loadComposeDeployment(t *testing.T, env map[string]string) composeDeployment {
	t.Helper()
	root := composeRepoRoot(t)
	project, err := loadComposeProject(t, root, env)
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	text, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatalf("read Dockerfile: %v", err)
	}
	return composeDeployment{root: root, project: project, dockerfile: parseDockerfile(string(text))}
}

// parseDockerfile splits a Dockerfile into instructions, joining lines that
// end in a backslash and dropping comments and blank lines. Heredocs are not
// supported (the project's Dockerfile has none).
func parseDockerfile(text string) []dockerInstruction {
	var out []dockerInstruction
	var cur strings.Builder
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cont := strings.HasSuffix(line, `\`)
		cur.WriteString(strings.TrimSuffix(line, `\`))
		if cont {
			cur.WriteString(" ")
			continue
		}
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// composeFinalStage returns the instructions of the last build stage, its
// FROM first; nil when there is no FROM.
func composeFinalStage(ins []dockerInstruction) []dockerInstruction {
	for i := len(ins) - 1; i >= 0; i-- {
		if ins[i].Cmd == "FROM" {
			return ins[i:]
		}
	}
	return nil
}

// composeEditService applies edit to a copy of the named service and stores it.
func composeEditService(t *testing.T, d *composeDeployment, name string, edit func(s *types.ServiceConfig)) {
	t.Helper()
	s, ok := d.project.Services[name]
	if !ok {
		t.Fatalf("service %s missing", name)
	}
	edit(&s)
	d.project.Services[name] = s
}

// composeReplSet returns the replica set name mongo is started with.
func composeReplSet(p *types.Project) (string, error) {
	args := p.Services["mongo"].Command
	i := slices.Index(args, "--replSet")
	if i < 0 || i+1 >= len(args) || args[i+1] == "" {
		return "", fmt.Errorf("mongo is not started with --replSet NAME: %v", args)
	}
	return args[i+1], nil
}

// composeHealthTest returns the service's enabled healthcheck command as one
// string.
func composeHealthTest(p *types.Project, service string) (string, error) {
	h := p.Services[service].HealthCheck
	if h == nil || h.Disable || len(h.Test) < 2 || h.Test[0] == "NONE" {
		return "", fmt.Errorf("service %s has no healthcheck", service)
	}
	return strings.Join(h.Test[1:], " "), nil
}

// composeNamedVolume checks that service mounts a declared named volume at target.
func composeNamedVolume(p *types.Project, service, target string) error {
	for _, v := range p.Services[service].Volumes {
		if v.Target != target {
			continue
		}
		if v.Type != types.VolumeTypeVolume {
			return fmt.Errorf("service %s: %s is a %s mount, want a named volume", service, target, v.Type)
		}
		if _, ok := p.Volumes[v.Source]; !ok {
			return fmt.Errorf("service %s: volume %q is not declared", service, v.Source)
		}
		return nil
	}
	return fmt.Errorf("service %s: nothing mounted at %s", service, target)
}

// composeValue returns the value of an environment entry, "" when unset.
func composeValue(env types.MappingWithEquals, name string) string {
	if v := env[name]; v != nil {
		return *v
	}
	return ""
}
