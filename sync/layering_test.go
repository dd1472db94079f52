package sync_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSyncDoesNotImportServer keeps the layering of issue 12: the packages
// under sync/ (the engine and its store adapters) never depend on the HTTP
// layer in server/, so a store or the engine can be used by cmd/ tools
// without pulling in fiber and the handlers.
func TestSyncDoesNotImportServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/fieldsync/fieldsync/server" || strings.HasPrefix(pkg, "github.com/fieldsync/fieldsync/server/") {
			t.Errorf("a package under sync/ depends on %s", pkg)
		}
	}
}
