package contract_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/sync/contract"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/sqlitestore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

func TestContractSQLite(t *testing.T) {
	contract.Run(t, func(t *testing.T) contract.Stores {
		s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "fieldsync.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		acc := sqlitestore.NewAccounts(s)
		return contract.Stores{Records: sqlitestore.NewRecords(s), Sequencer: sqlitestore.NewSequencer(s, time.Now),
			Log: sqlitestore.NewMutationLog(s), Users: acc, Teams: acc, Devices: acc, RefreshTokens: acc,
			Settings: sqlitestore.NewSettings(s), Audit: sqlitestore.NewAuditLog(s), Compute: sqlitestore.NewCompute(s)}
	})
}

func TestContractMongo(t *testing.T) {
	contract.Run(t, func(t *testing.T) contract.Stores {
		s := storetest.Mongo(t)
		acc := mongostore.NewAccounts(s)
		return contract.Stores{Records: mongostore.NewRecords(s), Sequencer: mongostore.NewSequencer(s, time.Now),
			Log: mongostore.NewMutationLog(s), Users: acc, Teams: acc, Devices: acc, RefreshTokens: acc,
			Settings: mongostore.NewSettings(s), Audit: mongostore.NewAuditLog(s), Compute: mongostore.NewCompute(s)}
	})
}
