package mongostore

// NewIndexRecords returns the record store of s on its MongoDB path (compare-and-set on {_id,
// seq}, pulls by query) even on FerretDB, so that tests exercise that path without a MongoDB.
func NewIndexRecords(s *Store) *Records { return &Records{store: s, index: true} }
