package domain

import (
	"os"
	"strings"
	"testing"
)

// TestGrantTableIsDocumented keeps docs/accounts.md's grant table equal to the code's: one row per
// collection, one cell per role, "action scope" pairs in Actions order, "—" for none.
func TestGrantTableIsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/accounts.md")
	if err != nil {
		t.Fatalf("read the docs: %v", err)
	}
	doc := map[string]string{}
	for line := range strings.SplitSeq(string(raw), "\n") {
		for _, c := range Collections() {
			if prefix := "| `" + c + "` | "; strings.HasPrefix(line, prefix) && strings.Count(line, "|") == len(Roles)+2 {
				doc[c] = line
			}
		}
	}
	for _, c := range Collections() {
		cells := []string{"`" + c + "`"}
		for _, r := range Roles {
			var parts []string
			for _, a := range Actions {
				if s := GrantScope(r, c, a); s != ScopeNone {
					parts = append(parts, string(a)+" "+string(s))
				}
			}
			if len(parts) == 0 {
				parts = []string{"—"}
			}
			cells = append(cells, strings.Join(parts, ", "))
		}
		if want := "| " + strings.Join(cells, " | ") + " |"; doc[c] != want {
			t.Errorf("docs/accounts.md row of %s:\n got %s\nwant %s", c, doc[c], want)
		}
	}
}
