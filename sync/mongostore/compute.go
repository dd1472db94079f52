package mongostore

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/compute"
)

// The rules engine's collections: compute_state holds the worker's lease {_id: "lease", owner,
// until} and checkpoint {_id: "checkpoint", ...}; closed_months one document per closed month
// of a team, _id "<team>/<YYYY-MM>".
const (
	collComputeState = "compute_state"
	collClosedMonths = "closed_months"
	leaseDocID       = "lease"
	checkpointDocID  = "checkpoint"
)

// Compute implements compute.Store with single-document operations only (no transactions), so
// that it works on FerretDB and across instances: the lease is a conditional update (or an
// insert that loses on the duplicate key), a close is one insert on its _id.
type Compute struct{ store *Store }

// NewCompute returns the rules engine's store on s.
func NewCompute(s *Store) *Compute { return &Compute{store: s} }

func (c *Compute) coll(name string) *mongo.Collection { return c.store.DB().Collection(name) }

// AcquireLease implements compute.Store.
func (c *Compute) AcquireLease(ctx context.Context, owner string, now time.Time, ttl time.Duration) (bool, error) {
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: owner}, {Key: "until", Value: now.Add(ttl).UTC()}}}}
	filter := bson.D{{Key: "_id", Value: leaseDocID}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "owner", Value: owner}},
		bson.D{{Key: "until", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}},
	}}}
	res, err := c.coll(collComputeState).UpdateOne(ctx, filter, set)
	if err != nil {
		return false, Translate(err, "take the compute lease")
	}
	if res.MatchedCount == 1 {
		return true, nil
	}
	_, err = c.coll(collComputeState).InsertOne(ctx, bson.D{{Key: "_id", Value: leaseDocID},
		{Key: "owner", Value: owner}, {Key: "until", Value: now.Add(ttl).UTC()}})
	switch {
	case err == nil:
		return true, nil
	case mongo.IsDuplicateKeyError(err):
		return false, nil // held by another owner
	}
	return false, Translate(err, "take the compute lease")
}

// ReleaseLease implements compute.Store.
func (c *Compute) ReleaseLease(ctx context.Context, owner string) error {
	_, err := c.coll(collComputeState).DeleteOne(ctx, bson.D{{Key: "_id", Value: leaseDocID}, {Key: "owner", Value: owner}})
	return Translate(err, "release the compute lease")
}

type checkpointDoc struct {
	Seq           int64     `bson:"seq"`
	PolicyVersion int       `bson:"policyVersion"`
	R1Through     time.Time `bson:"r1Through"`
	Baseline      string    `bson:"baseline"`
}

// Checkpoint implements compute.Store.
func (c *Compute) Checkpoint(ctx context.Context) (compute.Checkpoint, error) {
	var d checkpointDoc
	err := c.coll(collComputeState).FindOne(ctx, bson.D{{Key: "_id", Value: checkpointDocID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return compute.Checkpoint{}, nil
	}
	if err != nil {
		return compute.Checkpoint{}, Translate(err, "load the compute checkpoint")
	}
	return compute.Checkpoint{Seq: d.Seq, PolicyVersion: d.PolicyVersion, R1Through: d.R1Through, Baseline: d.Baseline}, nil
}

// SaveCheckpoint implements compute.Store.
func (c *Compute) SaveCheckpoint(ctx context.Context, cp compute.Checkpoint) error {
	d := checkpointDoc{Seq: cp.Seq, PolicyVersion: cp.PolicyVersion, R1Through: cp.R1Through.UTC(), Baseline: cp.Baseline}
	_, err := c.coll(collComputeState).ReplaceOne(ctx, bson.D{{Key: "_id", Value: checkpointDocID}}, d,
		options.Replace().SetUpsert(true))
	return Translate(err, "save the compute checkpoint")
}

// closedMonthDoc is the storage shape of a compute.ClosedMonth.
type closedMonthDoc struct {
	ID        string     `bson:"_id"`
	Team      string     `bson:"team"`
	Month     string     `bson:"month"`
	ClosedAt  time.Time  `bson:"closedAt"`
	ClosedBy  string     `bson:"closedBy"`
	Incidents []string   `bson:"incidents"`
	Scores    []scoreDoc `bson:"scores"`
	Done      bool       `bson:"done"`
}

type scoreDoc struct {
	TechnicianID  string    `bson:"technicianId"`
	Base          int       `bson:"base"`
	Deductions    int       `bson:"deductions"`
	Additions     int       `bson:"additions"`
	Total         int       `bson:"total"`
	PolicyVersion int       `bson:"policyVersion"`
	Lines         []lineDoc `bson:"lines"`
}

type lineDoc struct {
	IncidentID   string `bson:"incidentId"`
	Type         string `bson:"type"`
	Date         string `bson:"date"`
	Points       int    `bson:"points"`
	AdjustmentOf string `bson:"adjustmentOf,omitempty"`
	Waived       bool   `bson:"waived,omitempty"`
}

func closedMonthID(team string, m domain.Month) string { return team + "/" + m.String() }

func fromClosedMonth(c compute.ClosedMonth) closedMonthDoc {
	d := closedMonthDoc{ID: closedMonthID(c.Team, c.Month), Team: c.Team, Month: c.Month.String(),
		ClosedAt: c.ClosedAt.UTC(), ClosedBy: c.ClosedBy, Incidents: c.Incidents, Done: c.Done}
	if d.Incidents == nil {
		d.Incidents = []string{}
	}
	for _, s := range c.Scores {
		sd := scoreDoc{TechnicianID: s.TechnicianID, Base: s.Base, Deductions: s.Deductions, Additions: s.Additions,
			Total: s.Total, PolicyVersion: s.PolicyVersion, Lines: []lineDoc{}}
		for _, l := range s.Lines {
			ld := lineDoc{IncidentID: l.IncidentID, Type: l.Type, Date: l.Date.String(), Points: l.Points, Waived: l.Waived}
			if l.AdjustmentOf != nil {
				ld.AdjustmentOf = l.AdjustmentOf.String()
			}
			sd.Lines = append(sd.Lines, ld)
		}
		d.Scores = append(d.Scores, sd)
	}
	return d
}

func (d closedMonthDoc) toCompute() compute.ClosedMonth {
	m, _ := domain.ParseMonth(d.Month) // written by fromClosedMonth: always valid
	incidents := slices.Sorted(slices.Values(d.Incidents))
	if incidents == nil {
		incidents = []string{} // never nil, as from sqlitestore (sync/contract)
	}
	c := compute.ClosedMonth{Team: d.Team, Month: m, ClosedAt: d.ClosedAt, ClosedBy: d.ClosedBy,
		Incidents: incidents, Done: d.Done}
	for _, sd := range d.Scores {
		s := domain.Score{Month: m, TechnicianID: sd.TechnicianID, Base: sd.Base, Deductions: sd.Deductions,
			Additions: sd.Additions, Total: sd.Total, PolicyVersion: sd.PolicyVersion}
		for _, ld := range sd.Lines {
			date, _ := domain.ParseDate(ld.Date)
			l := domain.ScoreLine{IncidentID: ld.IncidentID, Type: ld.Type, Date: date, Points: ld.Points, Waived: ld.Waived}
			if of, err := domain.ParseMonth(ld.AdjustmentOf); err == nil && !of.IsZero() {
				l.Adjustment, l.AdjustmentOf = true, &of
			}
			s.Lines = append(s.Lines, l)
		}
		c.Scores = append(c.Scores, s)
	}
	return c
}

// InsertClosedMonth implements compute.Store: one insert on "<team>/<month>", so that of two
// leaders (or two instances) closing the same month, one wins and the other gets a conflict.
func (c *Compute) InsertClosedMonth(ctx context.Context, cm compute.ClosedMonth) error {
	if _, err := c.coll(collClosedMonths).InsertOne(ctx, fromClosedMonth(cm)); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return domain.Errorf(domain.CodeConflict, "%s is already closed", cm.Month)
		}
		return Translate(err, "close %s", cm.Month)
	}
	return nil
}

// ClosedMonth implements compute.Store.
func (c *Compute) ClosedMonth(ctx context.Context, team string, m domain.Month) (compute.ClosedMonth, bool, error) {
	var d closedMonthDoc
	err := c.coll(collClosedMonths).FindOne(ctx, bson.D{{Key: "_id", Value: closedMonthID(team, m)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return compute.ClosedMonth{}, false, nil
	}
	if err != nil {
		return compute.ClosedMonth{}, false, Translate(err, "load closed month %s", m)
	}
	return d.toCompute(), true, nil
}

// ClosedMonths implements compute.Store.
func (c *Compute) ClosedMonths(ctx context.Context, team string) ([]compute.ClosedMonth, error) {
	filter := bson.D{}
	if team != "" {
		filter = bson.D{{Key: "team", Value: team}}
	}
	return c.findClosed(ctx, filter)
}

// UnfinishedClosedMonths implements compute.Store.
func (c *Compute) UnfinishedClosedMonths(ctx context.Context) ([]compute.ClosedMonth, error) {
	return c.findClosed(ctx, bson.D{{Key: "done", Value: false}})
}

func (c *Compute) findClosed(ctx context.Context, filter bson.D) ([]compute.ClosedMonth, error) {
	cur, err := c.coll(collClosedMonths).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "month", Value: 1}, {Key: "team", Value: 1}}))
	if err != nil {
		return nil, Translate(err, "list closed months")
	}
	var docs []closedMonthDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, Translate(err, "decode closed months")
	}
	out := make([]compute.ClosedMonth, len(docs))
	for i, d := range docs {
		out[i] = d.toCompute()
	}
	return out, nil
}

// MarkClosedMonthDone implements compute.Store.
func (c *Compute) MarkClosedMonthDone(ctx context.Context, team string, m domain.Month) error {
	_, err := c.coll(collClosedMonths).UpdateOne(ctx, bson.D{{Key: "_id", Value: closedMonthID(team, m)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "done", Value: true}}}})
	return Translate(err, "mark closed month %s done", m)
}

// FrozenIncident implements compute.Store: is id listed by one of team's closes.
func (c *Compute) FrozenIncident(ctx context.Context, team, id string) (bool, error) {
	n, err := c.coll(collClosedMonths).CountDocuments(ctx, bson.D{{Key: "team", Value: team}, {Key: "incidents", Value: id}},
		options.Count().SetLimit(1))
	if err != nil {
		return false, Translate(err, "find the close of incident %s", id)
	}
	return n > 0, nil
}
