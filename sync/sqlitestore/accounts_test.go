package sqlitestore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// TestAccountsServiceOnSQLite runs the accounts service on the SQLite stores: sign-in, refresh
// rotation, reuse detection (device revoked, alarm audited once) and a generated signing key.
func TestAccountsServiceOnSQLite(t *testing.T) {
	ctx := context.Background()
	st, _ := openTest(t)
	store, audit := NewAccounts(st), NewAuditLog(st)
	key, err := accounts.LoadSigningKey(ctx, NewSettings(st), "")
	if err != nil || len(key) < accounts.MinSigningKeyLen {
		t.Fatalf("generated key: %d bytes, %v", len(key), err)
	}
	if again, _ := accounts.LoadSigningKey(ctx, NewSettings(st), ""); string(again) != string(key) {
		t.Fatal("a second load must return the same generated key")
	}
	policy := accounts.DefaultPolicy()
	policy.PasswordCost = 4
	now := t0
	svc, err := accounts.New(accounts.Config{Store: store, Audit: audit, SigningKey: key, Policy: policy,
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	team, err := svc.CreateTeam(ctx, accounts.CommandLine, "", "售后一组")
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse"
	if _, err := svc.CreateUser(ctx, accounts.CommandLine, "", domain.User{Username: "tech", Role: domain.RoleTechnician,
		TeamID: team.ID}, password); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, accounts.CommandLine, "", domain.User{Username: "TECH", Role: domain.RoleTechnician,
		TeamID: team.ID}, password); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a second tech: %v, want conflict", err)
	}
	login := func(device string) accounts.Session {
		t.Helper()
		s, err := svc.Login(ctx, accounts.LoginInput{Username: "tech", Password: password, DeviceID: device,
			DeviceName: "phone", Address: "10.0.0.1"})
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		return s
	}
	unauthorized := func(err error) bool { return domain.ErrorCode(err) == domain.CodeUnauthorized }
	if _, err := svc.Login(ctx, accounts.LoginInput{Username: "tech", Password: "wrong", DeviceID: "d"}); !unauthorized(err) {
		t.Errorf("wrong password: %v", err)
	}
	first, other := login("phone-1"), login("phone-2")
	second, err := svc.Refresh(ctx, first.RefreshToken, "10.0.0.2")
	if err != nil || second.RefreshToken == first.RefreshToken || second.DeviceID != first.DeviceID {
		t.Fatalf("refresh = %+v, %v", second, err)
	}
	if _, err := svc.Authenticate(ctx, second.AccessToken); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	if _, err := svc.Refresh(ctx, first.RefreshToken, "10.9.9.9"); !unauthorized(err) {
		t.Fatalf("reuse: %v, want unauthorized", err)
	}
	if _, err := svc.Refresh(ctx, second.RefreshToken, ""); !unauthorized(err) {
		t.Errorf("the newest token of a revoked device still refreshes: %v", err)
	}
	if _, err := svc.Authenticate(ctx, second.AccessToken); !unauthorized(err) {
		t.Errorf("access token of the revoked device: %v", err)
	}
	if _, err := svc.Authenticate(ctx, other.AccessToken); err != nil {
		t.Errorf("the other device must keep working: %v", err)
	}
	if d, _ := store.DeviceByID(ctx, first.DeviceID); d.Active() || d.RevokeReason != domain.RevokeTokenReuse {
		t.Errorf("device after reuse: %+v", d)
	}
	entries, _ := audit.List(ctx, domain.AuditQuery{Collection: domain.CollDevices, RecordID: first.DeviceID})
	if len(entries) == 0 || entries[0].Action != domain.AuditRefreshReuse || entries[0].Address != "10.9.9.9" {
		t.Errorf("reuse not audited: %+v", entries)
	}
	if _, err := svc.Refresh(ctx, first.RefreshToken, ""); !unauthorized(err) {
		t.Errorf("third use: %v", err)
	}
	if again, _ := audit.List(ctx, domain.AuditQuery{Collection: domain.CollDevices, RecordID: first.DeviceID}); len(again) != len(entries) {
		t.Errorf("a revoked token raised the alarm again")
	}
	if fresh := login("phone-1"); fresh.DeviceID == first.DeviceID {
		t.Errorf("login after revocation reused the revoked device")
	}
}
