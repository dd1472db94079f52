package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerBinaryHasNoFerretDB: FerretDB is a test-only Mongo-wire server (issue 12); the
// server binary links neither it nor the wrapper that starts it, with or without the build tag
// the tests use.
func TestServerBinaryHasNoFerretDB(t *testing.T) {
	for _, tags := range []string{"", "ferretdb_no_postgresql"} {
		out, err := exec.Command("go", "list", "-deps", "-tags", tags, ".").CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.Contains(strings.ToLower(pkg), "ferretdb") {
				t.Errorf("tags %q: the server depends on %s", tags, pkg)
			}
		}
	}
}
