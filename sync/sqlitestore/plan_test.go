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
		rows, err := s.reader.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		if n := strings.Count(all, "SEARCH t USING PRIMARY KEY (token=? AND seq>? AND seq<?)"); n != len(q.Tokens) {
			t.Errorf("%d range scans for %d tokens in plan:\n%s", n, len(q.Tokens), all)
		}
		if strings.Contains(all, "SCAN t") || strings.Contains(all, "SCAN r") {
			t.Errorf("full scan in plan:\n%s", all)
		}
	}
}
