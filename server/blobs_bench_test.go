package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/blobtest"
	"github.com/fieldsync/fieldsync/sync/mongostore"
	"github.com/fieldsync/fieldsync/sync/storetest"
)

// benchPhotoBytes is the size of the benchmark's photo: 5 MB, a phone's JPEG.
const benchPhotoBytes = 5 << 20

// BenchmarkUpload puts a 5 MB photo through fieldsync (PUT /v1/blobs/{sha256} over real HTTP on
// loopback: auth, streaming hash and sniff, temporary object, server-side copy, metadata) and,
// in the same iteration, the same bytes straight to the same bucket with minio-go's PutObject.
// It reports both throughputs (MB/s, 1 MB = 2^20 bytes) and their ratio (fieldsync / direct;
// the target is >= 0.6). Every iteration uploads a new photo (one byte changed), so the
// resend shortcut never answers.
//
//	go test -run '^$' -bench BenchmarkUpload -benchtime 20x ./server/
func BenchmarkUpload(b *testing.B) {
	for name, st := range storetest.ObjectStores(b) {
		b.Run(name, func(b *testing.B) {
			store := storetest.Mongo(b)
			deps := photoDeps(b, store, st)
			svc, token := benchAccount(b, store)
			deps.Accounts = svc
			srv := New(Config{Logger: slog.New(slog.DiscardHandler), BodyLimit: 1 << 20}, deps)
			addr := benchListen(b, srv)
			client := &http.Client{Timeout: time.Minute}
			photo := append(blobtest.JPEG(64, 64, blobtest.EXIF{}, "bench"), make([]byte, benchPhotoBytes)...)[:benchPhotoBytes]
			_, _ = rand.Read(photo[1024:])
			ctx := context.Background()
			var viaServer, direct time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				binary.BigEndian.PutUint64(photo[512:], uint64(i)+uint64(time.Now().UnixNano()))
				h := blobtest.Sum(photo)

				start := time.Now()
				req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/v1/blobs/"+h, bytes.NewReader(photo))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "image/jpeg")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				viaServer += time.Since(start)
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("PUT: status %d", resp.StatusCode)
				}

				start = time.Now()
				key := "bench/" + h
				if _, err := st.Client().PutObject(ctx, st.Bucket(), key, bytes.NewReader(photo), int64(len(photo)),
					minio.PutObjectOptions{ContentType: "image/jpeg"}); err != nil {
					b.Fatal(err)
				}
				direct += time.Since(start)

				b.StopTimer()
				_ = st.Delete(ctx, key)
				_ = st.Delete(ctx, blobs.OriginalKey(h))
				b.StartTimer()
			}
			mb := float64(b.N) * float64(len(photo)) / (1 << 20)
			b.ReportMetric(mb/viaServer.Seconds(), "fieldsync-MB/s")
			b.ReportMetric(mb/direct.Seconds(), "direct-MB/s")
			b.ReportMetric(direct.Seconds()/viaServer.Seconds(), "ratio")
		})
	}
}

// benchAccount creates a team and a technician on store and returns the accounts service and
// the technician's access token.
func benchAccount(tb testing.TB, store *mongostore.Store) (*accounts.Service, string) {
	tb.Helper()
	ctx := context.Background()
	svc, err := accounts.New(accounts.Config{Store: mongostore.NewAccounts(store), Audit: mongostore.NewAuditLog(store),
		SigningKey: []byte(fxKey), Policy: fixturePolicy(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	team, err := svc.CreateTeam(ctx, accounts.CommandLine, "", "bench")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, accounts.CommandLine, "", domain.User{Username: "bench.tech", Role: domain.RoleTechnician,
		TeamID: team.ID}, fxPassword); err != nil {
		tb.Fatal(err)
	}
	sess, err := svc.Login(ctx, accounts.LoginInput{Username: "bench.tech", Password: fxPassword, DeviceID: uuid.NewString(), DeviceName: "bench"})
	if err != nil {
		tb.Fatal(err)
	}
	return svc, sess.AccessToken
}

// benchListen serves s on a loopback port until the benchmark ends.
func benchListen(b *testing.B, s *Server) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return ln.Addr().String()
}
