package mongostore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// TestTranslate feeds Translate errors produced by a real server and a real driver (plus the
// two that cannot be provoked on demand: a network error label and a domain error) and checks
// the domain code, the user-safe message and what stays in the chain.
func TestTranslate(t *testing.T) {
	st := storetest.Mongo(t)
	ctx := context.Background()
	coll := st.DB().Collection("translate")
	const phone = "13800138000" // a customer's phone number: must not leak through a conflict
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: phone}}); err != nil {
		t.Fatal(err)
	}

	nowhere, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + closedAddr(t) + "/").
		SetServerSelectionTimeout(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nowhere.Disconnect(ctx) })
	disconnected, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + closedAddr(t) + "/"))
	if err != nil {
		t.Fatal(err)
	}
	_ = disconnected.Disconnect(ctx)
	canceled, cancel := context.WithCancel(ctx)
	cancel()

	tests := []struct {
		name     string
		err      func() error
		wantCode domain.Code // "" for nil and for pass-through context errors
		wantIs   error       // also in the chain, when not nil
	}{
		{"nil", func() error { return nil }, "", nil},
		{"no documents", func() error {
			return coll.FindOne(ctx, bson.D{{Key: "_id", Value: "missing"}}).Err()
		}, domain.CodeNotFound, mongo.ErrNoDocuments},
		{"duplicate key", func() error {
			_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: phone}})
			return err
		}, domain.CodeConflict, nil},
		{"server selection timeout", func() error {
			return nowhere.Ping(ctx, nil)
		}, domain.CodeUnavailable, nil},
		{"client disconnected", func() error {
			return disconnected.Ping(ctx, nil)
		}, domain.CodeUnavailable, mongo.ErrClientDisconnected},
		{"network error label", func() error {
			return mongo.CommandError{Code: 6, Message: "connection reset", Labels: []string{"NetworkError"}}
		}, domain.CodeUnavailable, nil},
		{"caller canceled", func() error {
			_, err := coll.InsertOne(canceled, bson.D{{Key: "x", Value: 1}})
			return err
		}, "", context.Canceled},
		{"server command error", func() error {
			return st.DB().RunCommand(ctx, bson.D{{Key: "noSuchCommandAnywhere", Value: 1}}).Err()
		}, domain.CodeInternal, nil},
		{"domain error keeps its code", func() error {
			return domain.Errorf(domain.CodeForbidden, "not your team")
		}, domain.CodeForbidden, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cause := tc.err()
			got := mongostore.Translate(cause, "load work order %s", "wo-1")
			if cause == nil {
				if got != nil {
					t.Fatalf("Translate(nil) = %v", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("Translate(%v) = nil", cause)
			}
			wantCode := tc.wantCode
			if wantCode == "" {
				wantCode = domain.CodeInternal // what ErrorCode says of a non-domain error
			}
			if code := domain.ErrorCode(got); code != wantCode {
				t.Fatalf("code of Translate(%v) = %s, want %s", cause, code, wantCode)
			}
			if tc.wantIs != nil && !errors.Is(got, tc.wantIs) {
				t.Errorf("Translate(%v) = %v, lost %v from the chain", cause, got, tc.wantIs)
			}
			if !strings.Contains(got.Error(), "load work order wo-1") {
				t.Errorf("Translate(%v) = %q, missing the context message", cause, got)
			}
			if tc.wantCode == domain.CodeNotFound || tc.wantCode == domain.CodeConflict || tc.wantCode == domain.CodeUnavailable {
				if msg := domain.ErrorMessage(got); msg != "load work order wo-1" {
					t.Errorf("ErrorMessage = %q, want the context message", msg)
				}
			}
			if strings.Contains(got.Error(), phone) {
				t.Errorf("Translate leaks the duplicated value: %q", got)
			}
		})
	}
}
