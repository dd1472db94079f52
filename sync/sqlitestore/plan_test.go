package sqlitestore

import (
	"strings"
	"testing"

	fsync "github.com/fieldsync/fieldsync/sync"
)

// TestChangesIsAnIndexRangeScan checks the query plan of Changes: every token arm searches the
// (token, seq) primary key of record_tokens and records are found by primary key, never scanned.
func TestChangesIsAnIndexRangeScan(t *testing.T) {
	s, _ := openTest(t)
	for _, q := range []fsync.ChangeQuery{
		{Tokens: []string{"a"}, Through: 10, Limit: 5},
		{Tokens: []string{"a", "b", "c"}, Collection: "forms", Through: 10, Limit: 5, SkipDeleted: true},
	} {
		query, args := changesQuery(q)
		all := queryPlan(t, s, query, args...)
		if n := strings.Count(all, "SEARCH t USING PRIMARY KEY (token=? AND seq>? AND seq<?)"); n != len(q.Tokens) {
			t.Errorf("%d range scans for %d tokens in plan:\n%s", n, len(q.Tokens), all)
		}
		if strings.Contains(all, "SCAN t") || strings.Contains(all, "SCAN r") {
			t.Errorf("full scan in plan:\n%s", all)
		}
	}
}

// TestPhotoQueriesUseTheIndex checks that the photo lookups search record_photos by photo and
// find records and tokens by key, never scanning a table.
func TestPhotoQueriesUseTheIndex(t *testing.T) {
	s, _ := openTest(t)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{photoVisibleQuery(2), []any{"h", "a", "b"}},
		{sqlReferring, []any{"h", 10}},
		{claimsQuery(2), []any{"h", "receipts", "forms", 10}},
	} {
		all := queryPlan(t, s, q.sql, q.args...)
		t.Logf("plan:\n%s", all)
		if !strings.HasPrefix(strings.TrimPrefix(all, "SCAN CONSTANT ROW\nSCALAR SUBQUERY 1\n"), "SEARCH p USING") &&
			!strings.HasPrefix(all, "SEARCH record_photos USING") {
			t.Errorf("record_photos is not the outer loop:\n%s", all)
		}
		if strings.Contains(all, "records_tombstones") {
			t.Errorf("records searched by deleted:\n%s", all)
		}
		if !strings.Contains(all, "photo=?") {
			t.Errorf("record_photos not searched by photo:\n%s", all)
		}
		for _, scan := range []string{"SCAN p", "SCAN r", "SCAN t", "SCAN record_photos"} {
			if strings.Contains(all, scan) {
				t.Errorf("full scan (%s) in plan of %s:\n%s", scan, q.sql, all)
			}
		}
	}
}

// queryPlan returns the EXPLAIN QUERY PLAN details of query, one line each.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.reader.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
