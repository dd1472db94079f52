package sqlitestore

import (
	"context"
	"fmt"
	"testing"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

// BenchmarkPush measures one UpdateMany of 100 new records (with a sequence reservation), the
// write of one full push batch.
func BenchmarkPush(b *testing.B) {
	const batch = 100
	ctx := context.Background()
	s, _ := openTest(b)
	r, q := NewRecords(s), NewSequencer(s, time.Now)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		first, release, err := q.Reserve(ctx, batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		keys := make([]fsync.RecordKey, batch)
		next := make(map[fsync.RecordKey]*fsync.Record, batch)
		for j := range batch {
			x := rec("forms", fmt.Sprintf("r%09d", i), first+int64(j), "u:1", "team:t")
			i++
			keys[j] = fsync.RecordKey{Collection: x.Collection, ID: x.ID}
			next[keys[j]] = x
		}
		err = r.UpdateMany(ctx, keys, func(map[fsync.RecordKey]*fsync.Record) (map[fsync.RecordKey]*fsync.Record, error) {
			return next, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := release(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
}

// BenchmarkChanges measures a pull page of 500 records from 50,000, where one in five is
// visible to the puller (token u:1) and every one to its team.
func BenchmarkChanges(b *testing.B) {
	const total, page = 50_000, 500
	ctx := context.Background()
	s, _ := openTest(b)
	r := NewRecords(s)
	for start := 0; start < total; start += 1000 {
		recs := make([]*fsync.Record, 0, 1000)
		for i := start; i < start+1000; i++ {
			aud := []string{"team:t"}
			if i%5 == 0 {
				aud = append(aud, "u:1")
			}
			recs = append(recs, rec("forms", fmt.Sprintf("r%06d", i), int64(i+1), aud...))
		}
		put(b, r, recs...)
	}
	queries := []struct {
		name string
		q    fsync.ChangeQuery
	}{
		{"team middle", fsync.ChangeQuery{Tokens: []string{"team:t"}, After: total / 2, Through: total, Limit: page}},
		{"user and team", fsync.ChangeQuery{Tokens: []string{"u:1", "team:t"}, After: total / 2, Through: total, Limit: page}},
		{"user sparse", fsync.ChangeQuery{Tokens: []string{"u:1"}, After: 0, Through: total, Limit: page}},
	}
	for _, tc := range queries {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, err := r.Changes(ctx, tc.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != page {
					b.Fatalf("Changes = %d records, want %d", len(got), page)
				}
			}
		})
	}
}
