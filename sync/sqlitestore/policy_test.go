package sqlitestore

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// TestPolicies: seed once, insert a new version, a taken version is a conflict, and versions
// read back oldest first, equal to what was stored.
func TestPolicies(t *testing.T) {
	s, _ := openTest(t)
	p := NewPolicies(s)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if vs, err := p.Versions(ctx); err != nil || len(vs) != 0 {
		t.Fatalf("Versions before seed = %v, %v", vs, err)
	}
	v1 := domain.DefaultPolicy()
	if err := compute.SeedPolicy(ctx, p, v1, at); err != nil {
		t.Fatal(err)
	}
	if err := compute.SeedPolicy(ctx, p, v1, at); err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	v2 := domain.DefaultPolicy()
	v2.Version = v1.Version + 1
	if err := p.Insert(ctx, v2, "admin", at); err != nil {
		t.Fatal(err)
	}
	if err := p.Insert(ctx, v2, "admin2", at); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("Insert of a taken version: %v", err)
	}
	if err := compute.SeedPolicy(ctx, p, v2, at); err != nil {
		t.Fatalf("Seed of an existing version: %v", err)
	}
	vs, err := p.Versions(ctx)
	if err != nil || len(vs) != 2 {
		t.Fatalf("Versions = %v, %v", vs, err)
	}
	if !reflect.DeepEqual(vs[0], v1) || !reflect.DeepEqual(vs[1], v2) {
		t.Fatalf("Versions = %+v; want %+v, %+v", vs, v1, v2)
	}
}
