package dump_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
	"github.com/fieldsync/fieldsync/sync/dump"
)

// memStore is a Source and Sink that keeps items in memory.
type memStore struct{ items []dump.Item }

func (m *memStore) Export(_ context.Context, emit func(dump.Item) error) error {
	for _, it := range m.items {
		if err := emit(it); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) Empty(context.Context) (bool, error) { return len(m.items) == 0, nil }

func (m *memStore) Import(_ context.Context, items []dump.Item) error {
	for _, it := range items {
		if it.Kind != items[0].Kind {
			return fmt.Errorf("a batch of %s and %s", items[0].Kind, it.Kind)
		}
	}
	m.items = append(m.items, items...)
	return nil
}

// memObjects is dump.Objects in memory.
type memObjects map[string][]byte

func (m memObjects) List(_ context.Context, prefix string) ([]dump.Object, error) {
	var out []dump.Object
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, dump.Object{Key: k, Size: int64(len(v)), ContentType: "image/jpeg"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m memObjects) Get(_ context.Context, key string) (io.ReadCloser, dump.Object, error) {
	return io.NopCloser(bytes.NewReader(m[key])), dump.Object{Key: key, Size: int64(len(m[key])), ContentType: "image/jpeg"}, nil
}

func (m memObjects) Put(_ context.Context, key string, r io.Reader, o dump.Object) error {
	b, err := io.ReadAll(r)
	if int64(len(b)) != o.Size {
		return fmt.Errorf("put %s: %d bytes, want %d", key, len(b), o.Size)
	}
	m[key] = b
	return err
}

var at = time.Date(2026, 11, 2, 1, 2, 3, 4000000, time.UTC)

func sample() *memStore {
	rec := &fsync.Record{Collection: "service_forms", ID: "f1", Owner: "u1", Team: "t1", Audience: []string{"team:t1:leader"},
		Seq: 7, CreatedAt: at, UpdatedAt: at, State: fsync.State{Version: 2, Fields: map[string]any{"feeFen": int64(12000), "ratio": 0.5},
			FieldVersions: map[string]int64{"feeFen": 2, "ratio": 1}},
		Conflicts: []fsync.ConflictEntry{{MutationID: "m2", Field: "feeFen", ServerValue: int64(12000), ClientValue: int64(9000), At: at}},
		Receipts:  []fsync.Receipt{{Key: "k1", ContentHash: "h", Result: fsync.Result{MutationID: "m1", Status: fsync.StatusApplied, Version: 1}, At: at}}}
	mut := dump.FromReceipt(rec.Receipts[0])
	return &memStore{items: []dump.Item{
		{Kind: dump.KindSequence, Sequence: &dump.Sequence{Allocated: 5}}, // below the record's seq: Restore raises it
		{Kind: dump.KindRecord, Record: dump.FromRecord(rec)},
		{Kind: dump.KindMutation, Mutation: &mut},
		{Kind: dump.KindTeam, Team: &dump.Team{ID: "t1", Name: "售后一组", CreatedAt: at}},
		{Kind: dump.KindSetting, Setting: &dump.Setting{ID: "jwt_signing_key", Value: []byte{0, 1, 2}, CreatedAt: at}},
	}}
}

func write(t *testing.T, src dump.Source, opt dump.Options) []byte {
	t.Helper()
	opt.Now = func() time.Time { return at }
	var buf bytes.Buffer
	if _, err := dump.Write(context.Background(), src, &buf, opt); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func TestWriteRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := sample()
	objs := memObjects{dump.PhotoPrefix + "a": bytes.Repeat([]byte("x"), 2*dump.ChunkSize+17), dump.PhotoPrefix + "empty": {},
		"thumbs/a/w320.jpg": []byte("not dumped")}
	b := write(t, src, dump.Options{Objects: objs})

	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if !strings.HasPrefix(lines[0], `{"kind":"header","header":{"format":"fieldsync-dump","version":1,`) {
		t.Errorf("header line: %s", lines[0])
	}
	if want := 1 + len(src.items) + 4 + 1; len(lines) != want { // 3 chunks of "a", one of "empty"
		t.Errorf("%d lines, want %d", len(lines), want)
	}

	dst, got := &memStore{}, memObjects{}
	counts, err := dump.Restore(ctx, dst, bytes.NewReader(b), dump.RestoreOptions{Objects: got, BatchSize: 1})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	want := dump.Counts{dump.KindSequence: 1, dump.KindRecord: 1, dump.KindMutation: 1, dump.KindTeam: 1, dump.KindSetting: 1, dump.KindObject: 4}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	last := dst.items[len(dst.items)-1]
	if last.Kind != dump.KindSequence || last.Sequence.Allocated != 7 {
		t.Errorf("last import %+v, want the sequence raised to the highest record seq 7", last)
	}
	r := dst.items[0].Record.SyncRecord()
	if r.Fields["feeFen"] != int64(12000) || r.Fields["ratio"] != 0.5 || r.Conflicts[0].ClientValue != int64(9000) || r.Seq != 7 {
		t.Errorf("restored record: %+v", r)
	}
	if len(got) != 2 || !bytes.Equal(got[dump.PhotoPrefix+"a"], objs[dump.PhotoPrefix+"a"]) || got[dump.PhotoPrefix+"empty"] == nil {
		t.Errorf("restored objects: %d", len(got))
	}

	// The restored store dumps to the same bytes.
	dst.items = append([]dump.Item{last}, dst.items[:len(dst.items)-1]...)
	dst.items[0].Sequence = &dump.Sequence{Allocated: 5}
	if again := write(t, dst, dump.Options{Objects: got}); !bytes.Equal(again, b) {
		t.Errorf("dump of the restored store differs:\n%s\n---\n%s", again, b)
	}
}

func TestRestoreRefuses(t *testing.T) {
	good := write(t, sample(), dump.Options{})
	lines := strings.SplitAfter(string(good), "\n")
	join := func(ls ...string) string { return strings.Join(ls, "") }
	n := len(lines) - 1 // the last element is "" after the final newline
	cases := []struct {
		name  string
		input string
		dst   *memStore
		want  error
		line  string
	}{
		{"not empty", string(good), sample(), dump.ErrNotEmpty, ""},
		{"version 2", strings.Replace(string(good), `"version":1`, `"version":2`, 1), &memStore{}, dump.ErrVersion, "line 1"},
		{"not a dump", "{\"hello\":1}\n", &memStore{}, dump.ErrMalformed, "line 1"},
		{"empty input", "", &memStore{}, dump.ErrMalformed, ""},
		{"bad json", join(lines[0], lines[1], "{not json\n", join(lines[2:]...)), &memStore{}, dump.ErrMalformed, "line 3"},
		{"unknown kind", join(lines[0], `{"kind":"spaceship"}`+"\n", join(lines[1:]...)), &memStore{}, dump.ErrMalformed, "line 2"},
		{"kind without object", join(lines[0], `{"kind":"user"}`+"\n", join(lines[1:]...)), &memStore{}, dump.ErrMalformed, "line 2"},
		{"truncated", join(lines[:n-1]...), &memStore{}, dump.ErrMalformed, "no trailer"},
		{"line dropped", join(append(lines[:2:2], lines[3:]...)...), &memStore{}, dump.ErrMalformed, "trailer counts"},
		{"after the trailer", string(good) + lines[1], &memStore{}, dump.ErrMalformed, fmt.Sprintf("line %d", n+1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dump.Restore(context.Background(), tc.dst, strings.NewReader(tc.input), dump.RestoreOptions{})
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.line) {
				t.Fatalf("Restore: %v, want %v mentioning %q", err, tc.want, tc.line)
			}
		})
	}
}

// TestItemLines pins one line of every kind, as docs/moving-data.md shows them.
func TestItemLines(t *testing.T) {
	b, err := json.Marshal(dump.Item{Kind: dump.KindTeam, Team: &dump.Team{ID: "t1", Name: "售后一组", CreatedAt: at}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"kind":"team","team":{"id":"t1","name":"售后一组","createdAt":"2026-11-02T01:02:03.004Z"}}`; string(b) != want {
		t.Errorf("team line %s, want %s", b, want)
	}
}
