package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/fieldsync/fieldsync/domain"
)

// member is one simulated person: an account, its devices, and what they did.
type member struct {
	user     userJSON
	password string
	name     string // 中文 display name
	phones   []*phone
	stats    syncStats
}

// main is the member's first device.
func (m *member) main() *phone { return m.phones[0] }

// sim is one simulated team over the configured period against one server.
type sim struct {
	cfg    Config
	hc     *http.Client
	admin  *client
	rng    *rand.Rand // the scenario's choices: fixed by the seed
	ids    *rand.Rand // record and mutation ids: the seed and the run, unique per run
	ledger *ledger
	photos *photoFactory

	runID          string
	teamID         string
	leader         *member
	purchasing, gm *member
	techs          []*member
	start, end     time.Time // the simulated period [start, end), Asia/Shanghai midnights
	clock          time.Time // the server's dev clock as last set
	policies       map[string]domain.Policy
	cutUpload      *photo
	resumedAt      int64
	progress       func(done, total int)
	closed         []domain.Month // the months the leader closed at the end
	firstPass      time.Time      // when the rules worker first judged R1 deadlines for this run
}

// newID returns a UUID v4 from the run's id source.
func (s *sim) newID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.ids.Uint64())
	binary.BigEndian.PutUint64(b[8:], s.ids.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// chance reports true with probability p (the scenario's source).
func (s *sim) chance(p float64) bool { return s.rng.Float64() < p }

// setClock moves the server's dev clock to at (PUT /v1/dev/clock). The clock keeps running after
// a set, so a later step may find it already past its time: then it is left alone.
func (s *sim) setClock(ctx context.Context, at time.Time) error {
	if !at.After(s.clock) {
		return nil
	}
	var out struct {
		Now string `json:"now"`
	}
	err := s.admin.call(ctx, http.MethodPut, "/v1/dev/clock", map[string]any{"now": at.UTC().Format(time.RFC3339Nano)}, &out)
	if statusOf(err) == http.StatusConflict {
		return nil // already past: it ran on while the simulator worked
	}
	if statusOf(err) == http.StatusNotFound {
		return fmt.Errorf("the server has no dev clock: start it with FIELDSYNC_DEV_CLOCK=true (--dev-clock)")
	}
	if err != nil {
		return err
	}
	s.clock = at
	return nil
}

// serverClock reads the server's dev clock (GET /v1/dev/clock).
func (s *sim) serverClock(ctx context.Context) (now time.Time, set bool, err error) {
	var out struct {
		Now string `json:"now"`
		Set bool   `json:"set"`
	}
	if err := s.admin.call(ctx, http.MethodGet, "/v1/dev/clock", nil, &out); err != nil {
		if statusOf(err) == http.StatusNotFound {
			return time.Time{}, false, fmt.Errorf("the server has no dev clock: start it with FIELDSYNC_DEV_CLOCK=true (--dev-clock)")
		}
		return time.Time{}, false, err
	}
	now, err = time.Parse(time.RFC3339Nano, out.Now)
	return now, out.Set, err
}

// policyAt returns the policy in force on d (GET /v1/policy?at=), cached.
func (s *sim) policyAt(ctx context.Context, d domain.Date) (domain.Policy, error) {
	if p, ok := s.policies[d.String()]; ok {
		return p, nil
	}
	var p domain.Policy
	if err := s.admin.call(ctx, http.MethodGet, "/v1/policy?at="+url.QueryEscape(d.String()), nil, &p); err != nil {
		return p, err
	}
	s.policies[d.String()] = p
	return p, nil
}

// techNames are the technicians' display names, in order.
var techNames = []string{"李师傅", "王师傅", "张师傅", "刘师傅", "陈师傅", "杨师傅", "赵师傅", "黄师傅", "周师傅", "吴师傅"}

// setup creates the team and its people through the admin API (POST /v1/teams, /v1/users),
// names prefixed with the run so that reruns against the same server never collide, and signs
// every device in.
func (s *sim) setup(ctx context.Context) error {
	prefix := fmt.Sprintf("fs%d-%s", s.cfg.Seed, s.runID)
	var team struct {
		ID string `json:"id"`
	}
	if err := s.admin.call(ctx, http.MethodPost, "/v1/teams", map[string]any{"name": "售后模拟组 " + prefix}, &team); err != nil {
		return fmt.Errorf("create the team: %w", err)
	}
	s.teamID = team.ID
	create := func(username, role, display, grade string, pay int64, devices int) (*member, error) {
		m := &member{password: "fieldsim " + prefix + " " + username, name: display}
		body := map[string]any{"username": prefix + "." + username, "password": m.password, "role": role, "displayName": display,
			"hireDate": "2024-03-01", "probationPassed": grade != "", "grade": grade, "monthlyPayFen": pay}
		if role == "technician" || role == "leader" {
			body["teamId"] = s.teamID
		}
		if err := s.admin.call(ctx, http.MethodPost, "/v1/users", body, &m.user); err != nil {
			return nil, fmt.Errorf("create %s: %w", username, err)
		}
		for i := range devices {
			dev := fmt.Sprintf("%s-%s-%d", s.runID, username, i+1)
			p := &phone{sim: s, owner: m, name: dev, local: map[recKey]*localRecord{}, stats: &m.stats,
				api: newClient(s.cfg.URL, s.hc, m.user.Username, m.password, dev), uploadFirst: len(s.techs)%2 == 1 && i == 0}
			if err := p.api.login(ctx); err != nil {
				return nil, fmt.Errorf("sign in %s: %w", dev, err)
			}
			m.phones = append(m.phones, p)
		}
		return m, nil
	}
	var err error
	if s.leader, err = create("leader", "leader", "赵组长", "A", 550_000, 1); err != nil {
		return err
	}
	if s.purchasing, err = create("buyer", "purchasing", "采购部", "", 0, 1); err != nil {
		return err
	}
	if s.gm, err = create("gm", "gm", "总经办", "", 0, 1); err != nil {
		return err
	}
	for i := range s.cfg.Technicians {
		devices := 1
		if i == 0 || s.rng.IntN(2) == 0 {
			devices = 2 // 1–2 devices each; the first technician always has two (two devices edit one form)
		}
		grade := []string{"A", "B", "C"}[i%3]
		pay := map[string]int64{"A": 520_000, "B": 450_000, "C": 350_000}[grade]
		m, err := create(fmt.Sprintf("tech%d", i+1), "technician", techNames[i%len(techNames)], grade, pay, devices)
		if err != nil {
			return err
		}
		s.techs = append(s.techs, m)
	}
	return nil
}

// everyone returns every member, the leader first.
func (s *sim) everyone() []*member {
	return append([]*member{s.leader, s.purchasing, s.gm}, s.techs...)
}

// at is the simulated instant h:m on day d (Asia/Shanghai).
func at(d time.Time, h, m int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, domain.Shanghai)
}
