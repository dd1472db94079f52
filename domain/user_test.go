package domain

import (
	"encoding/json"
	"maps"
	"testing"
	"time"
)

const (
	uid1 = "11111111-1111-4111-8111-111111111111"
	uid2 = "22222222-2222-4222-8222-222222222222"
)

func TestNewUser(t *testing.T) {
	valid := User{ID: uid1, Username: "  Zhang.Wei ", Role: RoleTechnician, TeamID: teamA,
		HireDate: Date{2023, time.March, 1}, ProbationPassed: true, Grade: GradeB, MonthlyPayFen: 450000}
	cases := []struct {
		name   string
		change func(u *User)
		fields map[string]string
	}{
		{"valid technician", func(*User) {}, nil},
		{"admin without team", func(u *User) { u.Role, u.TeamID, u.Grade = RoleAdmin, "", "" }, nil},
		{"bad id", func(u *User) { u.ID = "42" }, map[string]string{"id": "uuid"}},
		{"short username", func(u *User) { u.Username = "ab" }, map[string]string{"username": "min=3"}},
		{"long username", func(u *User) { u.Username = "a234567890123456789012345678901234" }, map[string]string{"username": "max=32"}},
		{"username with space", func(u *User) { u.Username = "zhang wei" }, map[string]string{"username": "username"}},
		{"username with unicode", func(u *User) { u.Username = "张伟伟" }, map[string]string{"username": "username"}},
		{"unknown role", func(u *User) { u.Role = "boss" }, map[string]string{"role": "oneof=technician leader purchasing gm hr admin"}},
		{"technician without team", func(u *User) { u.TeamID = "" }, map[string]string{"teamId": "required"}},
		{"leader with bad team id", func(u *User) { u.Role, u.TeamID = RoleLeader, "team-1" }, map[string]string{"teamId": "uuid"}},
		{"hr with a team", func(u *User) { u.Role, u.Grade = RoleHR, "" }, map[string]string{"teamId": "excluded"}},
		{"grade on probation", func(u *User) { u.ProbationPassed = false }, map[string]string{"grade": "requires probationPassed"}},
		{"unknown grade", func(u *User) { u.Grade = "D" }, map[string]string{"grade": "oneof=A B C"}},
		{"negative pay", func(u *User) { u.MonthlyPayFen = -1 }, map[string]string{"monthlyPayFen": "min=0"}},
		{"long display name", func(u *User) { u.DisplayName = string(make([]rune, 65)) + "x" }, map[string]string{"displayName": "max=64"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := valid
			tc.change(&in)
			u, err := NewUser(in)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("NewUser: %v", err)
				}
				if u.Username != "zhang.wei" || u.DisplayName != "zhang.wei" {
					t.Errorf("normalized to %q / %q", u.Username, u.DisplayName)
				}
				return
			}
			if ErrorCode(err) != CodeInvalid || !maps.Equal(ErrorFields(err), tc.fields) {
				t.Fatalf("NewUser: %v fields %v, want %v", err, ErrorFields(err), tc.fields)
			}
		})
	}
}

func TestTeamLeader(t *testing.T) {
	team, err := NewTeam(teamA, "  售后一组 ")
	if err != nil || team.Name != "售后一组" {
		t.Fatalf("NewTeam: %+v %v", team, err)
	}
	leader := User{ID: uid1, Role: RoleLeader, TeamID: teamA}
	cases := []struct {
		name string
		team Team
		u    User
		code Code
	}{
		{"first leader", team, leader, ""},
		{"same leader again", Team{ID: teamA, LeaderID: uid1}, leader, ""},
		{"second leader", Team{ID: teamA, LeaderID: uid2}, leader, CodeConflict},
		{"a technician", team, User{ID: uid1, Role: RoleTechnician, TeamID: teamA}, CodeInvalid},
		{"a leader of another team", team, User{ID: uid1, Role: RoleLeader, TeamID: teamB}, CodeInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.team.WithLeader(tc.u)
			if ErrorCode(err) != tc.code {
				t.Fatalf("WithLeader: %v, want code %q", err, tc.code)
			}
			if tc.code == "" && got.LeaderID != tc.u.ID {
				t.Errorf("leader %q", got.LeaderID)
			}
		})
	}
	for _, name := range []string{"", "   ", string(make([]rune, 65))} {
		if _, err := NewTeam(teamA, name); ErrorCode(err) != CodeInvalid {
			t.Errorf("NewTeam(%q): %v", name, err)
		}
	}
	if _, err := NewTeam("x", "ok"); ErrorCode(err) != CodeInvalid {
		t.Errorf("NewTeam with a bad id: %v", err)
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Admin", "root"} {
		if _, err := ParseRole(s); ErrorCode(err) != CodeInvalid {
			t.Errorf("ParseRole(%q): %v", s, err)
		}
	}
}

func TestDate(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		want Date
	}{
		{"2024-02-29", true, Date{2024, time.February, 29}},
		{"", true, Date{}},
		{"2023-02-29", false, Date{}},
		{"2024-2-3", false, Date{}},
		{"2024-02-03T00:00:00Z", false, Date{}},
		{"03/02/2024", false, Date{}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDate(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseDate(%q) = %v, %v", tc.in, got, err)
			}
			if tc.ok && got.String() != tc.in {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
	// 2024-12-31 16:30 UTC is already 2025-01-01 in Shanghai.
	if got := DateOf(time.Date(2024, 12, 31, 16, 30, 0, 0, time.UTC)); got != (Date{2025, time.January, 1}) {
		t.Errorf("DateOf = %v", got)
	}
	d := Date{2024, time.February, 28}
	if d.AddDays(1) != (Date{2024, time.February, 29}) || d.AddDays(2) != (Date{2024, time.March, 1}) || d.AddDays(-59) != (Date{2023, time.December, 31}) {
		t.Errorf("AddDays: %v %v %v", d.AddDays(1), d.AddDays(2), d.AddDays(-59))
	}
	if !d.Before(d.AddDays(1)) || !d.After(d.AddDays(-1)) || d.Compare(d) != 0 || d.Compare(Date{2023, time.December, 31}) != 1 {
		t.Errorf("Compare is wrong")
	}
	var in struct {
		Hire Date `json:"hire"`
	}
	if err := json.Unmarshal([]byte(`{"hire":"2023-03-01"}`), &in); err != nil || in.Hire != (Date{2023, time.March, 1}) {
		t.Fatalf("unmarshal: %v %v", in.Hire, err)
	}
	out, _ := json.Marshal(in)
	if string(out) != `{"hire":"2023-03-01"}` {
		t.Errorf("marshal: %s", out)
	}
	if err := json.Unmarshal([]byte(`{"hire":"2023-13-01"}`), &in); err == nil {
		t.Errorf("a bad month must not decode")
	}
}
