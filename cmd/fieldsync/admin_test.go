package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// adminEnv is the environment of the admin tests: an embedded data dir and a fast hash.
func adminEnv(dir string, extra ...string) func(string) string {
	env := map[string]string{"FIELDSYNC_DATA_DIR": dir, "FIELDSYNC_PASSWORD_COST": "4"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return func(k string) string { return env[k] }
}

// runAdmin runs `fieldsync admin args...` with stdin and returns stdout, stderr and the error.
func runAdmin(t *testing.T, getenv func(string) string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	err := run(ctx, append([]string{"admin"}, args...), getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// openAccounts opens the data dir's store the way the server does, for checking what the
// commands did; it is closed at cleanup or by the returned func.
func openAccounts(t *testing.T, dir string) (*accounts.Service, func()) {
	t.Helper()
	cfg, err := loadConfig(nil, adminEnv(dir), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{cfg: cfg, log: newLogger(io.Discard, "warn")}
	closeApp := func() { a.stopStores(context.Background()) }
	t.Cleanup(closeApp)
	if err := a.startDocuments(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.startAccounts(t.Context()); err != nil {
		t.Fatal(err)
	}
	return a.users, closeApp
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	env := adminEnv(dir)
	steps := []struct {
		name   string
		env    func(string) string
		stdin  string
		args   []string
		stdout string // a part of the expected output; "" when the command must fail
		err    string // a part of the expected error
	}{
		{"create a team", env, "", []string{"create-team", "--name", "售后一组"}, `created team "售后一组"`, ""},
		{"a taken team name", env, "", []string{"create-team", "--name", "售后一组"}, "", "conflict"},
		{"create the admin, password on stdin", env, "first admin password\nignored line\n",
			[]string{"create-user", "--username", "root.admin", "--role", "admin"}, `created admin "root.admin"`, ""},
		{"create the leader, password from the environment", adminEnv(dir, adminPasswordEnv, "leader password 1"), "",
			[]string{"create-user", "--username", "wang.lead", "--role", "leader", "--team", "售后一组", "--display-name", "王组长",
				"--hire-date", "2019-03-01", "--probation-passed", "--grade", "A", "--monthly-pay-fen", "550000"}, `created leader "wang.lead"`, ""},
		{"a second leader", env, "another password\n", []string{"create-user", "--username", "li.lead", "--role", "leader", "--team", "售后一组"}, "", "already has a leader"},
		{"a technician with a Windows line ending", env, "tech password 1\r\n",
			[]string{"create-user", "--username", "zhao.tech", "--role", "technician", "--team", "售后一组", "--hire-date", "2024-12-31"}, `created technician "zhao.tech"`, ""},
		{"a technician without a team", env, "tech password 2\n", []string{"create-user", "--username", "qian.tech", "--role", "technician"}, "", "teamId: required"},
		{"an unknown team", env, "tech password 2\n", []string{"create-user", "--username", "qian.tech", "--role", "technician", "--team", "nope"}, "", "not_found"},
		{"a graded technician on probation", env, "tech password 2\n",
			[]string{"create-user", "--username", "qian.tech", "--role", "technician", "--team", "售后一组", "--grade", "B"}, "", "grade: requires probationPassed"},
		{"no password", env, "", []string{"create-user", "--username", "sun.hr", "--role", "hr"}, "", "no password"},
		{"a short password", env, "short\n", []string{"create-user", "--username", "sun.hr", "--role", "hr"}, "", "password: min=8"},
		{"a password in the arguments", env, "", []string{"create-user", "--username", "sun.hr", "--role", "hr", "--password", "secret123"}, "", "never given as arguments"},
		{"a bad hire date", env, "tech password 3\n", []string{"create-user", "--username", "sun.hr", "--role", "hr", "--hire-date", "2024-02-30"}, "", "--hire-date"},
		{"a missing flag", env, "", []string{"create-team"}, "", "--name is required"},
		{"no command", env, "", []string{"--data-dir", dir}, "", "name a command"},
		{"reset a password", env, "new tech password\n", []string{"reset-password", "--username", "zhao.tech"}, `reset the password of "zhao.tech"`, ""},
		{"reset an unknown user", env, "new tech password\n", []string{"reset-password", "--username", "nobody"}, "", "not_found"},
		{"disable a user", env, "", []string{"disable-user", "--username", "ZHAO.TECH"}, `disabled "zhao.tech"`, ""},
		{"server flags before the command", adminEnv(t.TempDir()), "", []string{"--data-dir", dir, "create-team", "--name", "售后二组"}, `created team "售后二组"`, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, _, err := runAdmin(t, st.env, st.stdin, st.args...)
			if st.err != "" {
				if err == nil || !strings.Contains(err.Error(), st.err) {
					t.Fatalf("error %v, want one containing %q (stdout %q)", err, st.err, out)
				}
				return
			}
			if err != nil || !strings.Contains(out, st.stdout) {
				t.Fatalf("stdout %q, error %v; want %q", out, err, st.stdout)
			}
		})
	}

	svc, closeApp := openAccounts(t, dir)
	defer closeApp()
	ctx := t.Context()
	login := func(username, password string) error {
		_, err := svc.Login(ctx, accounts.LoginInput{Username: username, Password: password, DeviceID: "cli-test"})
		return err
	}
	if err := login("root.admin", "first admin password"); err != nil {
		t.Errorf("the admin cannot sign in: %v", err)
	}
	if err := login("wang.lead", "leader password 1"); err != nil {
		t.Errorf("the leader cannot sign in: %v", err)
	}
	if err := login("zhao.tech", "new tech password"); domain.ErrorMessage(err) != "this account is disabled" {
		t.Errorf("the disabled technician with the reset password: %v", err)
	}
	team, err := svc.TeamByName(ctx, accounts.CommandLine, "售后一组")
	if err != nil {
		t.Fatal(err)
	}
	leader, err := svc.UserByUsername(ctx, accounts.CommandLine, "wang.lead")
	if err != nil || team.LeaderID != leader.ID || leader.TeamID != team.ID || leader.Grade != domain.GradeA ||
		leader.MonthlyPayFen != 550000 || leader.HireDate.String() != "2019-03-01" || leader.DisplayName != "王组长" {
		t.Errorf("leader %+v (%v) of team %+v", leader, err, team)
	}
	entries, err := svc.Audit(ctx, accounts.CommandLine, domain.AuditQuery{})
	if err != nil || len(entries) < 6 || entries[len(entries)-1].Username != accounts.CommandLine.Username {
		t.Errorf("audit of the commands: %d entries, %v", len(entries), err)
	}
}

// TestAdminRunsBesideARunningServer is the first-run story of the embedded store: the server
// runs, and the admin commands set up its accounts without stopping it; a second server on the
// same data directory is refused.
func TestAdminRunsBesideARunningServer(t *testing.T) {
	storetest.ReserveObjectGateway(t) // the app starts its own embedded gateway
	dir := t.TempDir()
	env := adminEnv(dir, "FIELDSYNC_LISTEN", freeAddr(t))
	addr, _ := startServe(t, env)
	for _, args := range [][]string{
		{"create-team", "--name", "售后一组"},
		{"create-user", "--username", "li.ming", "--role", "technician", "--team", "售后一组"},
	} {
		if out, stderr, err := runAdmin(t, env, "a long enough password\n", args...); err != nil || !strings.Contains(out, "created") {
			t.Fatalf("admin %v beside the server: %q %v %s", args, out, err, stderr)
		}
	}
	login(t, addr, "li.ming", "a long enough password") // the running server sees the new account

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := run(ctx, nil, adminEnv(dir, "FIELDSYNC_LISTEN", freeAddr(t)), strings.NewReader(""), io.Discard, io.Discard)
	if !errors.Is(err, errDataDirBusy) {
		t.Errorf("a second server on the data dir: %v", err)
	}
}

// TestLegacyDataDirIsRefused: a data directory of the FerretDB-based release (db/*.sqlite, no
// fieldsync.db) stops the server and the commands with the conversion command, and touches
// nothing.
func TestLegacyDataDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db", "fieldsync.sqlite"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runAdmin(t, adminEnv(dir), "", "create-team", "--name", "x")
	if !errors.Is(err, errLegacyDataDir) || !strings.Contains(err.Error(), "./cmd/fieldsync-convert --data-dir "+dir) {
		t.Fatalf("admin on an old data dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, documentsFile)); !os.IsNotExist(err) {
		t.Errorf("%s was created on an old data dir: %v", documentsFile, err)
	}
}
