package sqlitestore

import (
	"context"
	"fmt"
	"path/filepath"
	gosync "sync"
	"testing"
)

// TestOpenConcurrentlyOnAFreshFile: the server and an admin command may open a new data
// directory's file at the same moment; both must end up on the migrated schema.
func TestOpenConcurrentlyOnAFreshFile(t *testing.T) {
	ctx := context.Background()
	for round := range 3 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("race-%d.db", round))
		var wg gosync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(ctx, path)
				if err == nil {
					var v int64
					v, err = s.SchemaVersion(ctx)
					if err == nil && v != latestVersion {
						err = fmt.Errorf("schema version %d, want %d", v, latestVersion)
					}
					s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, opener %d: %v", round, i, err)
			}
		}
	}
}
