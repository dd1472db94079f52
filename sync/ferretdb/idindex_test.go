package ferretdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fieldsync/fieldsync/sync/ferretdb"
)

// queryPlan returns SQLite's plan for the statement FerretDB runs for a `{_id: <string>}` find on
// the table of collection coll in database db.
func queryPlan(t *testing.T, dir, db, coll string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(dir, db+".sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var table string
	if err := conn.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = ?`, coll).Scan(&table); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"x"`)
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
	return strings.Join(plan, "; ")
}

func TestIndexIDsMakesIDLookupsIndexed(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, ferretdb.Options{Dir: dir, NoSync: true})
	client := connect(t, srv.URI())
	ctx := context.Background()
	coll := client.Database("app").Collection("records")
	for i := range 20 {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("r%d", i)}, {Key: "n", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	if plan := queryPlan(t, dir, "app", "records"); !strings.Contains(plan, "SCAN") {
		t.Fatalf("before IndexIDs the _id lookup should scan (FerretDB's own index has another expression): %s", plan)
	}
	for range 2 { // idempotent
		if err := srv.IndexIDs(ctx, "app"); err != nil {
			t.Fatal(err)
		}
	}
	if plan := queryPlan(t, dir, "app", "records"); !strings.Contains(plan, "USING INDEX") {
		t.Fatalf("after IndexIDs the _id lookup does not use an index: %s", plan)
	}
	// FerretDB still answers, and by the new index.
	var got bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "r7"}}).Decode(&got); err != nil || got["n"] != int32(7) {
		t.Fatalf("find r7 after IndexIDs: %v %v", got, err)
	}
	if err := srv.IndexIDs(ctx, "never-written"); err != nil {
		t.Fatalf("a database without a file: %v", err)
	}
	if err := srv.IndexIDs(ctx, "../etc"); err == nil {
		t.Fatal("a database name with a path separator was accepted")
	}
}
