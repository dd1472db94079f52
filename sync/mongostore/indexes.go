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
		// photos: who may read a photo (a visible record refers to it), which records wait for it.
		{Keys: bson.D{{Key: "photos", Value: 1}}, Options: options.Index().SetName("photos")},
	},
	// blobs (photo metadata, keyed by SHA-256): the orphan janitor pages through the photos idle
	// longer than the retention window (docs/photos.md).
	collBlobs: {
		{Keys: bson.D{{Key: "idleSince", Value: 1}}, Options: options.Index().SetName("idleSince")},
	},
	// mutations: the retention janitor deletes receipts older than the window (no TTL on FerretDB).
	collMutations: {
		{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetName("at")},
	},
	// The account collections (users, teams, devices, refresh tokens, audit log, login rate limits):
	//   - users.username unique: the login lookup, and no two users share a name.
	//   - users.teamId: a leader's list of their team.
	//   - teams.name unique: the command line finds teams by name.
	//   - devices (userId, clientId, active): the login's "active device of this phone" upsert;
	//     devices.teamId: a leader's list. The per-request check is by _id.
	//   - refresh_tokens.deviceId and .userId: revocation; .expiresAt: the purge.
	//   - audit_log (team, at): a team's trail for the leader; (collection, recordId, at) and
	//     (at): a record's history and the whole log, newest first.
	//   - rate_limits.exp: the sweep.
	//
	// No TTL indexes (FerretDB v1 refuses expireAfterSeconds): expired refresh tokens and counters
	// are deleted by the code (PurgeRefreshTokens, LimiterStorage's sweep) and every read checks
	// expiry itself.
	collUsers: {
		{Keys: bson.D{{Key: "username", Value: 1}}, Options: options.Index().SetName("username_unique").SetUnique(true)},
		{Keys: bson.D{{Key: "teamId", Value: 1}}, Options: options.Index().SetName("teamId")},
	},
	collTeams: {
		{Keys: bson.D{{Key: "name", Value: 1}}, Options: options.Index().SetName("name_unique").SetUnique(true)},
	},
	collDevices: {
		{Keys: bson.D{{Key: "userId", Value: 1}, {Key: "clientId", Value: 1}, {Key: "active", Value: 1}},
			Options: options.Index().SetName("user_client_active")},
		{Keys: bson.D{{Key: "teamId", Value: 1}}, Options: options.Index().SetName("teamId")},
	},
	collRefreshTokens: {
		{Keys: bson.D{{Key: "deviceId", Value: 1}}, Options: options.Index().SetName("deviceId")},
		{Keys: bson.D{{Key: "userId", Value: 1}}, Options: options.Index().SetName("userId")},
		{Keys: bson.D{{Key: "expiresAt", Value: 1}}, Options: options.Index().SetName("expiresAt")},
	},
	collAuditLog: {
		{Keys: bson.D{{Key: "team", Value: 1}, {Key: "at", Value: -1}}, Options: options.Index().SetName("team_at")},
		{Keys: bson.D{{Key: "collection", Value: 1}, {Key: "recordId", Value: 1}, {Key: "at", Value: -1}},
			Options: options.Index().SetName("record_at")},
		{Keys: bson.D{{Key: "at", Value: -1}}, Options: options.Index().SetName("at")},
	},
	collRateLimits: {
		{Keys: bson.D{{Key: "exp", Value: 1}}, Options: options.Index().SetName("exp")},
	},
	// closed_months (the rules engine, R5): a team's closes in month order (grade reviews, bonuses,
	// placement of late incidents); the closes a crash left unfinished; the lock check of an
	// incident (is it frozen in one of its team's closes).
	collClosedMonths: {
		{Keys: bson.D{{Key: "team", Value: 1}, {Key: "month", Value: 1}}, Options: options.Index().SetName("team_month")},
		{Keys: bson.D{{Key: "done", Value: 1}}, Options: options.Index().SetName("done")},
		{Keys: bson.D{{Key: "team", Value: 1}, {Key: "incidents", Value: 1}}, Options: options.Index().SetName("team_incidents")},
	},
}
