package accounts_test

import (
	"context"
	"testing"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// The three ways a login fails must take comparable time, so that the answer's timing does not
// tell whether a username exists: compare ns/op of
//
//	go test -tags ferretdb_no_postgresql -run '^$' -bench BenchmarkLoginFailure ./accounts/
//
// (bcrypt cost 10, so that the hash dominates as it does in production).
func BenchmarkLoginFailure(b *testing.B) {
	e := newEnvCost(b, 10)
	ctx := context.Background()
	for _, bc := range []struct{ name, username, password string }{
		{"unknown user", "nobody", "wrong password"},
		{"wrong password", "tech", "wrong password"},
		{"right password of a disabled user", "gone", password},
	} {
		if bc.username == "gone" {
			u := e.mustCreate(b, accounts.CommandLine, domain.User{Username: "gone", Role: domain.RoleTechnician, TeamID: e.team.ID})
			if _, err := e.svc.DisableUser(ctx, accounts.CommandLine, "", u.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_, err := e.svc.Login(ctx, accounts.LoginInput{Username: bc.username, Password: bc.password, DeviceID: "bench"})
				if domain.ErrorCode(err) != domain.CodeUnauthorized {
					b.Fatalf("login: %v", err)
				}
			}
		})
	}
}
