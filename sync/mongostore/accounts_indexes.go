package mongostore

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// accountIndexes are the indexes of the account collections (users, teams, devices, refresh
// tokens, audit log, login rate limits). init adds them to the store's table (indexes.go), so
// that Open creates them with the others.
//
//   - users.username unique: the login lookup, and no two users share a name.
//   - users.teamId: a leader's list of their team.
//   - teams.name unique: the command line finds teams by name.
//   - devices (userId, clientId, active): the login's "active device of this phone" upsert;
//     devices.teamId: a leader's list. The per-request check is by _id.
//   - refresh_tokens.deviceId and .userId: revocation; .expiresAt: the purge.
//   - audit_log (collection, recordId, at) and (at): a record's history and the whole log,
//     newest first; a team's history uses indexes.go's team_at.
//   - rate_limits.exp: the sweep.
//
// No TTL indexes (FerretDB v1 refuses expireAfterSeconds): expired refresh tokens and counters
// are deleted by the code (PurgeRefreshTokens, LimiterStorage's sweep) and every read checks
// expiry itself.
var accountIndexes = map[string][]mongo.IndexModel{
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
		{Keys: bson.D{{Key: "collection", Value: 1}, {Key: "recordId", Value: 1}, {Key: "at", Value: -1}},
			Options: options.Index().SetName("record_at")},
		{Keys: bson.D{{Key: "at", Value: -1}}, Options: options.Index().SetName("at")},
	},
	collRateLimits: {
		{Keys: bson.D{{Key: "exp", Value: 1}}, Options: options.Index().SetName("exp")},
	},
}

// init merges accountIndexes into the store's index table (to be folded into indexes.go).
func init() {
	for coll, models := range accountIndexes {
		indexes[coll] = append(indexes[coll], models...)
	}
}
