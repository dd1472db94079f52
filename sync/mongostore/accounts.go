package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
)

// The account collections (indexes in accountIndexes).
const (
	collUsers         = "users"
	collTeams         = "teams"
	collDevices       = "devices"
	collRefreshTokens = "refresh_tokens"
	collSettings      = "settings"
)

// Accounts implements accounts.Store: users, teams, devices and refresh tokens.
type Accounts struct{ store *Store }

// NewAccounts returns the account store of s.
func NewAccounts(s *Store) *Accounts { return &Accounts{store: s} }

func (a *Accounts) coll(name string) *mongo.Collection { return a.store.DB().Collection(name) }

// userDoc is the storage shape of a domain.User plus its password hash.
type userDoc struct {
	ID              string    `bson:"_id"`
	Username        string    `bson:"username"`
	DisplayName     string    `bson:"displayName"`
	Role            string    `bson:"role"`
	TeamID          string    `bson:"teamId"`
	HireDate        string    `bson:"hireDate"`
	ProbationPassed bool      `bson:"probationPassed"`
	Grade           string    `bson:"grade"`
	MonthlyPayFen   int64     `bson:"monthlyPayFen"`
	Disabled        bool      `bson:"disabled"`
	PasswordHash    string    `bson:"passwordHash,omitempty"`
	CreatedAt       time.Time `bson:"createdAt"`
	UpdatedAt       time.Time `bson:"updatedAt"`
}

func fromUser(u domain.User, hash string, at time.Time) userDoc {
	return userDoc{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role),
		TeamID: u.TeamID, HireDate: u.HireDate.String(), ProbationPassed: u.ProbationPassed,
		Grade: string(u.Grade), MonthlyPayFen: u.MonthlyPayFen, Disabled: u.Disabled,
		PasswordHash: hash, CreatedAt: at.UTC(), UpdatedAt: at.UTC()}
}

func (d userDoc) toDomain() domain.User {
	hire, _ := domain.ParseDate(d.HireDate) // written by fromUser: always valid or ""
	return domain.User{ID: d.ID, Username: d.Username, DisplayName: d.DisplayName, Role: domain.Role(d.Role),
		TeamID: d.TeamID, HireDate: hire, ProbationPassed: d.ProbationPassed, Grade: domain.Grade(d.Grade),
		MonthlyPayFen: d.MonthlyPayFen, Disabled: d.Disabled}
}

// withoutHash is the projection of every user read except the login's.
var withoutHash = bson.D{{Key: "passwordHash", Value: 0}}

// InsertUser implements accounts.Users. A taken username (unique index) is domain.ErrConflict.
func (a *Accounts) InsertUser(ctx context.Context, u domain.User, hash string, at time.Time) error {
	if _, err := a.coll(collUsers).InsertOne(ctx, fromUser(u, hash, at)); err != nil {
		return Translate(err, "insert user %q", u.Username)
	}
	return nil
}

// UserByID implements accounts.Users.
func (a *Accounts) UserByID(ctx context.Context, id string) (domain.User, error) {
	var d userDoc
	err := a.coll(collUsers).FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(withoutHash)).Decode(&d)
	if err != nil {
		return domain.User{}, Translate(err, "load user %s", id)
	}
	return d.toDomain(), nil
}

// UserByUsername implements accounts.Users: the one read that returns the password hash.
func (a *Accounts) UserByUsername(ctx context.Context, username string) (domain.User, string, error) {
	var d userDoc
	if err := a.coll(collUsers).FindOne(ctx, bson.D{{Key: "username", Value: username}}).Decode(&d); err != nil {
		return domain.User{}, "", Translate(err, "load user %q", username)
	}
	return d.toDomain(), d.PasswordHash, nil
}

// ListUsers implements accounts.Users.
func (a *Accounts) ListUsers(ctx context.Context, teamID string) ([]domain.User, error) {
	filter := bson.D{}
	if teamID != "" {
		filter = bson.D{{Key: "teamId", Value: teamID}}
	}
	opts := options.Find().SetProjection(withoutHash).SetSort(bson.D{{Key: "username", Value: 1}})
	var docs []userDoc
	if err := accountsFindAll(ctx, a.coll(collUsers), filter, opts, &docs); err != nil {
		return nil, Translate(err, "list users")
	}
	users := make([]domain.User, len(docs))
	for i, d := range docs {
		users[i] = d.toDomain()
	}
	return users, nil
}

// SetUserDisabled implements accounts.Users.
func (a *Accounts) SetUserDisabled(ctx context.Context, id string, at time.Time) error {
	return a.updateUser(ctx, id, bson.D{{Key: "disabled", Value: true}, {Key: "updatedAt", Value: at.UTC()}})
}

// SetPasswordHash implements accounts.Users.
func (a *Accounts) SetPasswordHash(ctx context.Context, id, hash string, at time.Time) error {
	return a.updateUser(ctx, id, bson.D{{Key: "passwordHash", Value: hash}, {Key: "updatedAt", Value: at.UTC()}})
}

func (a *Accounts) updateUser(ctx context.Context, id string, set bson.D) error {
	res, err := a.coll(collUsers).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return Translate(err, "update user %s", id)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("update user %s: %w", id, domain.ErrNotFound)
	}
	return nil
}

// teamDoc is the storage shape of a domain.Team.
type teamDoc struct {
	ID        string    `bson:"_id"`
	Name      string    `bson:"name"`
	LeaderID  string    `bson:"leaderId"`
	CreatedAt time.Time `bson:"createdAt"`
}

func (d teamDoc) toDomain() domain.Team {
	return domain.Team{ID: d.ID, Name: d.Name, LeaderID: d.LeaderID}
}

// InsertTeam implements accounts.Teams. A taken name (unique index) is domain.ErrConflict.
func (a *Accounts) InsertTeam(ctx context.Context, t domain.Team, at time.Time) error {
	doc := teamDoc{ID: t.ID, Name: t.Name, LeaderID: t.LeaderID, CreatedAt: at.UTC()}
	if _, err := a.coll(collTeams).InsertOne(ctx, doc); err != nil {
		return Translate(err, "insert team %q", t.Name)
	}
	return nil
}

// TeamByID implements accounts.Teams.
func (a *Accounts) TeamByID(ctx context.Context, id string) (domain.Team, error) {
	return a.findTeam(ctx, bson.D{{Key: "_id", Value: id}}, "load team "+id)
}

// TeamByName implements accounts.Teams.
func (a *Accounts) TeamByName(ctx context.Context, name string) (domain.Team, error) {
	return a.findTeam(ctx, bson.D{{Key: "name", Value: name}}, fmt.Sprintf("load team %q", name))
}

func (a *Accounts) findTeam(ctx context.Context, filter bson.D, what string) (domain.Team, error) {
	var d teamDoc
	if err := a.coll(collTeams).FindOne(ctx, filter).Decode(&d); err != nil {
		return domain.Team{}, Translate(err, "%s", what)
	}
	return d.toDomain(), nil
}

// ListTeams implements accounts.Teams.
func (a *Accounts) ListTeams(ctx context.Context, id string) ([]domain.Team, error) {
	filter := bson.D{}
	if id != "" {
		filter = bson.D{{Key: "_id", Value: id}}
	}
	var docs []teamDoc
	if err := accountsFindAll(ctx, a.coll(collTeams), filter, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}), &docs); err != nil {
		return nil, Translate(err, "list teams")
	}
	teams := make([]domain.Team, len(docs))
	for i, d := range docs {
		teams[i] = d.toDomain()
	}
	return teams, nil
}

// SetTeamLeader implements accounts.Teams with one conditional update (a compare-and-set on
// leaderId).
func (a *Accounts) SetTeamLeader(ctx context.Context, teamID, from, to string) error {
	res, err := a.coll(collTeams).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: teamID}, {Key: "leaderId", Value: from}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "leaderId", Value: to}}}})
	if err != nil {
		return Translate(err, "set the leader of team %s", teamID)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	if _, err := a.TeamByID(ctx, teamID); err != nil {
		return err
	}
	return domain.Errorf(domain.CodeConflict, "the team already has a leader")
}

// findAll runs a find and decodes every document into out (a pointer to a slice).
func accountsFindAll(ctx context.Context, c *mongo.Collection, filter any, opts *options.FindOptionsBuilder, out any) error {
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, out)
}
