package sqlitestore

import (
	"bytes"
	"encoding/json"
	"time"

	fsync "github.com/fieldsync/fieldsync/sync"
)

// encodeRecord is the storage shape of a record: the sync.Record as JSON, times in UTC.
func encodeRecord(r *fsync.Record) ([]byte, error) {
	c := *r
	c.CreatedAt, c.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return json.Marshal(&c)
}

// decodeRecord reverses encodeRecord. Numbers in field values come back as int64 when they are
// integers and float64 otherwise, as from the MongoDB adapter.
func decodeRecord(b []byte) (*fsync.Record, error) {
	var r fsync.Record
	if err := decodeJSON(b, &r); err != nil {
		return nil, err
	}
	return normalizeRecord(&r), nil
}

// decodePulled is decodeRecord without the receipts (up to sync.MaxReceipts a record), which a
// pull never sends: the decoder skips them instead of building them.
func decodePulled(b []byte) (*fsync.Record, error) {
	var p struct {
		fsync.Record
		Receipts skipJSON
	}
	if err := decodeJSON(b, &p); err != nil {
		return nil, err
	}
	return normalizeRecord(&p.Record), nil
}

// skipJSON decodes any JSON value into nothing.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

// normalizeRecord gives r's decoded values the types of the MongoDB adapter's and returns r.
func normalizeRecord(r *fsync.Record) *fsync.Record {
	r.Fields = fsync.NormalizeNumbersMap(r.Fields)
	if r.FieldVersions == nil {
		r.FieldVersions = map[string]int64{}
	}
	for i := range r.Conflicts {
		r.Conflicts[i].ServerValue = fsync.NormalizeNumbers(r.Conflicts[i].ServerValue)
		r.Conflicts[i].ClientValue = fsync.NormalizeNumbers(r.Conflicts[i].ClientValue)
	}
	for i := range r.Receipts {
		normalizeReceipt(&r.Receipts[i])
	}
	return r
}

func encodeReceipt(r fsync.Receipt) ([]byte, error) {
	r.At = r.At.UTC()
	r.Result.Record = nil // never stored
	return json.Marshal(r)
}

func decodeReceipt(b []byte) (fsync.Receipt, error) {
	var r fsync.Receipt
	if err := decodeJSON(b, &r); err != nil {
		return r, err
	}
	normalizeReceipt(&r)
	return r, nil
}

func normalizeReceipt(r *fsync.Receipt) {
	for i := range r.Result.Conflicts {
		r.Result.Conflicts[i].ServerValue = fsync.NormalizeNumbers(r.Result.Conflicts[i].ServerValue)
		r.Result.Conflicts[i].ClientValue = fsync.NormalizeNumbers(r.Result.Conflicts[i].ClientValue)
	}
}

func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// nanos is t as Unix nanoseconds; the zero time is 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
