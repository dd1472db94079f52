package mongostore_test

import (
	"testing"
	"time"

	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

func TestLimiterStorage(t *testing.T) {
	st := mongostore.NewLimiterStorage(storetest.Mongo(t))
	if v, err := st.Get("login:user:x"); v != nil || err != nil {
		t.Fatalf("absent key = %q %v", v, err)
	}
	// Wide margins: the suite runs under -race on two loaded cores.
	if err := st.Set("login:user:x", []byte{1, 2}, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := st.Set("forever", []byte{9}, 0); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Get("login:user:x"); string(v) != string([]byte{1, 2}) {
		t.Errorf("Get = %v", v)
	}
	time.Sleep(1500 * time.Millisecond)
	if v, _ := st.Get("login:user:x"); v != nil {
		t.Errorf("expired key still reads %v", v)
	}
	if v, _ := st.Get("forever"); string(v) != "\x09" {
		t.Errorf("key without expiry = %v", v)
	}
	if err := st.Delete("forever"); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Get("forever"); v != nil {
		t.Errorf("deleted key = %v", v)
	}
	if err := st.Set("", []byte{1}, 0); err != nil {
		t.Errorf("empty key: %v", err)
	}
	if err := st.Reset(); err != nil {
		t.Fatal(err)
	}
}
