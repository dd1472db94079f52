package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// deviceDoc is the storage shape of a domain.Device. Active mirrors RevokedAt.IsZero() so that
// the login's lookup of the active device of (user, client id) is one indexed equality.
type deviceDoc struct {
	ID           string     `bson:"_id"`
	UserID       string     `bson:"userId"`
	TeamID       string     `bson:"teamId"`
	ClientID     string     `bson:"clientId"`
	Name         string     `bson:"name"`
	Active       bool       `bson:"active"`
	CreatedAt    time.Time  `bson:"createdAt"`
	LastSeenAt   time.Time  `bson:"lastSeenAt"`
	RevokedAt    *time.Time `bson:"revokedAt,omitempty"`
	RevokedBy    string     `bson:"revokedBy,omitempty"`
	RevokeReason string     `bson:"revokeReason,omitempty"`
}

func (d deviceDoc) toDomain() domain.Device {
	dev := domain.Device{ID: d.ID, UserID: d.UserID, TeamID: d.TeamID, ClientID: d.ClientID, Name: d.Name,
		CreatedAt: d.CreatedAt, LastSeenAt: d.LastSeenAt, RevokedBy: d.RevokedBy, RevokeReason: d.RevokeReason}
	if d.RevokedAt != nil {
		dev.RevokedAt = *d.RevokedAt
	}
	return dev
}

// OpenDevice implements accounts.Devices with one upsert on (userId, clientId, active).
func (a *Accounts) OpenDevice(ctx context.Context, d domain.Device) (domain.Device, error) {
	filter := bson.D{{Key: "userId", Value: d.UserID}, {Key: "clientId", Value: d.ClientID}, {Key: "active", Value: true}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "name", Value: d.Name}, {Key: "teamId", Value: d.TeamID},
			{Key: "lastSeenAt", Value: d.LastSeenAt.UTC()}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "_id", Value: d.ID}, {Key: "createdAt", Value: d.CreatedAt.UTC()}}},
	}
	var doc deviceDoc
	err := a.coll(collDevices).FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return domain.Device{}, Translate(err, "open device of user %s", d.UserID)
	}
	return doc.toDomain(), nil
}

// DeviceByID implements accounts.Devices: a primary-key lookup.
func (a *Accounts) DeviceByID(ctx context.Context, id string) (domain.Device, error) {
	var d deviceDoc
	if err := a.coll(collDevices).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return domain.Device{}, Translate(err, "load device %s", id)
	}
	return d.toDomain(), nil
}

// ListDevices implements accounts.Devices.
func (a *Accounts) ListDevices(ctx context.Context, q accounts.DeviceQuery) ([]domain.Device, error) {
	filter := bson.D{}
	if q.UserID != "" {
		filter = append(filter, bson.E{Key: "userId", Value: q.UserID})
	}
	if q.TeamID != "" {
		filter = append(filter, bson.E{Key: "teamId", Value: q.TeamID})
	}
	if !q.IncludeRevoked {
		filter = append(filter, bson.E{Key: "active", Value: true})
	}
	limit := q.Limit
	if limit <= 0 || limit > accounts.MaxDeviceList {
		limit = accounts.MaxDeviceList
	}
	opts := options.Find().SetSort(bson.D{{Key: "lastSeenAt", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit))
	var docs []deviceDoc
	if err := accountsFindAll(ctx, a.coll(collDevices), filter, opts, &docs); err != nil {
		return nil, Translate(err, "list devices")
	}
	out := make([]domain.Device, len(docs))
	for i, d := range docs {
		out[i] = d.toDomain()
	}
	return out, nil
}

// TouchDevice implements accounts.Devices.
func (a *Accounts) TouchDevice(ctx context.Context, id string, at time.Time) error {
	_, err := a.coll(collDevices).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "lastSeenAt", Value: at.UTC()}}}})
	if err != nil {
		return Translate(err, "touch device %s", id)
	}
	return nil
}

// revocation is the $set of a revoked device.
func revocation(by, reason string, at time.Time) bson.D {
	return bson.D{{Key: "$set", Value: bson.D{{Key: "active", Value: false}, {Key: "revokedAt", Value: at.UTC()},
		{Key: "revokedBy", Value: by}, {Key: "revokeReason", Value: reason}}}}
}

// RevokeDevice implements accounts.Devices: the device first (that is what stops its access
// tokens), then its refresh tokens.
func (a *Accounts) RevokeDevice(ctx context.Context, id, by, reason string, at time.Time) error {
	res, err := a.coll(collDevices).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "active", Value: true}},
		revocation(by, reason, at))
	if err != nil {
		return Translate(err, "revoke device %s", id)
	}
	if res.MatchedCount == 0 {
		if _, err := a.DeviceByID(ctx, id); err != nil {
			return err
		}
	}
	return a.revokeTokens(ctx, bson.D{{Key: "deviceId", Value: id}}, at)
}

// RevokeUserDevices implements accounts.Devices.
func (a *Accounts) RevokeUserDevices(ctx context.Context, userID, by, reason string, at time.Time) error {
	_, err := a.coll(collDevices).UpdateMany(ctx, bson.D{{Key: "userId", Value: userID}, {Key: "active", Value: true}},
		revocation(by, reason, at))
	if err != nil {
		return Translate(err, "revoke the devices of user %s", userID)
	}
	return a.revokeTokens(ctx, bson.D{{Key: "userId", Value: userID}}, at)
}

// refreshDoc is the storage shape of a domain.RefreshToken: _id is the token's SHA-256 (hex).
type refreshDoc struct {
	Hash      string     `bson:"_id"`
	UserID    string     `bson:"userId"`
	DeviceID  string     `bson:"deviceId"`
	State     string     `bson:"state"`
	IssuedAt  time.Time  `bson:"issuedAt"`
	ExpiresAt time.Time  `bson:"expiresAt"`
	RotatedAt *time.Time `bson:"rotatedAt,omitempty"`
}

func (d refreshDoc) toDomain() domain.RefreshToken {
	t := domain.RefreshToken{Hash: d.Hash, UserID: d.UserID, DeviceID: d.DeviceID, State: domain.RefreshState(d.State),
		IssuedAt: d.IssuedAt, ExpiresAt: d.ExpiresAt}
	if d.RotatedAt != nil {
		t.RotatedAt = *d.RotatedAt
	}
	return t
}

// InsertRefreshToken implements accounts.RefreshTokens.
func (a *Accounts) InsertRefreshToken(ctx context.Context, t domain.RefreshToken) error {
	doc := refreshDoc{Hash: t.Hash, UserID: t.UserID, DeviceID: t.DeviceID, State: string(t.State),
		IssuedAt: t.IssuedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC()}
	if _, err := a.coll(collRefreshTokens).InsertOne(ctx, doc); err != nil {
		return Translate(err, "insert refresh token of device %s", t.DeviceID)
	}
	return nil
}

// RotateRefreshToken implements accounts.RefreshTokens with one conditional findOneAndUpdate,
// so that of two concurrent uses of one token exactly one rotates it.
func (a *Accounts) RotateRefreshToken(ctx context.Context, hash string, at time.Time) (domain.RefreshToken, error) {
	filter := bson.D{{Key: "_id", Value: hash}, {Key: "state", Value: string(domain.RefreshActive)},
		{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: at.UTC()}}}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: string(domain.RefreshRotated)},
		{Key: "rotatedAt", Value: at.UTC()}}}}
	var d refreshDoc
	if err := a.coll(collRefreshTokens).FindOneAndUpdate(ctx, filter, update).Decode(&d); err != nil {
		return domain.RefreshToken{}, Translate(err, "rotate refresh token")
	}
	return d.toDomain(), nil
}

// RefreshTokenByHash implements accounts.RefreshTokens.
func (a *Accounts) RefreshTokenByHash(ctx context.Context, hash string) (domain.RefreshToken, error) {
	var d refreshDoc
	if err := a.coll(collRefreshTokens).FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d); err != nil {
		return domain.RefreshToken{}, Translate(err, "load refresh token")
	}
	return d.toDomain(), nil
}

// RevokeRefreshTokens implements accounts.RefreshTokens.
func (a *Accounts) RevokeRefreshTokens(ctx context.Context, deviceID string, at time.Time) error {
	return a.revokeTokens(ctx, bson.D{{Key: "deviceId", Value: deviceID}}, at)
}

// revokeTokens moves the active and rotated tokens that filter selects to revoked: a revoked
// token is refused without raising the reuse alarm again.
func (a *Accounts) revokeTokens(ctx context.Context, filter bson.D, at time.Time) error {
	filter = append(filter, bson.E{Key: "state", Value: bson.D{{Key: "$in",
		Value: bson.A{string(domain.RefreshActive), string(domain.RefreshRotated)}}}})
	_, err := a.coll(collRefreshTokens).UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: bson.D{
		{Key: "state", Value: string(domain.RefreshRevoked)}, {Key: "rotatedAt", Value: at.UTC()}}}})
	if err != nil {
		return Translate(err, "revoke refresh tokens")
	}
	return nil
}

// PurgeRefreshTokens implements accounts.RefreshTokens.
func (a *Accounts) PurgeRefreshTokens(ctx context.Context, before time.Time) (int64, error) {
	res, err := a.coll(collRefreshTokens).DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: before.UTC()}}}})
	if err != nil {
		return 0, Translate(err, "purge refresh tokens")
	}
	return res.DeletedCount, nil
}

// Compile-time check that Accounts is what the accounts service needs.
var _ accounts.Store = (*Accounts)(nil)
