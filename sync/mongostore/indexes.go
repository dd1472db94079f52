package mongostore

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// indexes declares, per collection, the indexes Open creates (idempotently, every start). A
// feature that queries a collection adds its indexes here, next to the reason.
//
// Rules for entries:
//   - always name an index (SetName): the name is how a changed definition is noticed — MongoDB
//     refuses to create an index whose name exists with other keys, and Open then fails loudly
//     instead of running with a stale index. To change an index, give it a new name (and drop the
//     old one by hand, or in a migration).
//   - stay inside what FerretDB v1 (SQLite) supports: single-field and compound ascending or
//     descending keys and unique indexes. No partial, TTL, text or wildcard indexes: the embedded
//     default would not honor them.
var indexes = map[string][]mongo.IndexModel{
	// records: a pull reads one user's visible changes in commit order (aud in tokens, seq >
	// cursor, sorted by seq); revoked changes likewise; the purge finds old tombstones.
	collRecords: {
		{Keys: bson.D{{Key: "seq", Value: 1}}, Options: options.Index().SetName("seq").SetUnique(true)},
		{Keys: bson.D{{Key: "aud", Value: 1}, {Key: "seq", Value: 1}}, Options: options.Index().SetName("aud_seq")},
		{Keys: bson.D{{Key: "rev", Value: 1}, {Key: "seq", Value: 1}}, Options: options.Index().SetName("rev_seq")},
		{Keys: bson.D{{Key: "del", Value: 1}, {Key: "updatedAt", Value: 1}}, Options: options.Index().SetName("del_updatedAt")},
	},
	// mutations: the retention janitor deletes receipts older than the window (no TTL on FerretDB).
	collMutations: {
		{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetName("at")},
	},
	// audit_log: a team's audit trail, newest first (leader/HR views: team = ? ORDER BY at DESC).
	"audit_log": {
		{Keys: bson.D{{Key: "team", Value: 1}, {Key: "at", Value: -1}}, Options: options.Index().SetName("team_at")},
	},
}
