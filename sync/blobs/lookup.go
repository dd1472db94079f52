package blobs

import (
	"context"

	"github.com/fieldsync/fieldsync/sync"
)

// Lookup answers the photo questions of the sync rules (sync.PhotoLookup): which photos the
// server does not hold yet, and which record claimed a photo first (R16). It needs no engine, so
// the rules can be built before the engine that refreshes records.
type Lookup struct {
	Meta    Meta
	Records Records
}

// Missing implements sync.PhotoLookup: those of hashes (in the order given, without repeats)
// that no stored photo has.
func (l Lookup) Missing(ctx context.Context, hashes []string) ([]string, error) {
	hashes = dedupe(hashes)
	if len(hashes) == 0 {
		return nil, nil
	}
	have, err := l.Meta.Existing(ctx, hashes)
	if err != nil {
		return nil, err
	}
	held := make(map[string]bool, len(have))
	for _, h := range have {
		held[h] = true
	}
	var missing []string
	for _, h := range hashes {
		if !held[h] {
			missing = append(missing, h)
		}
	}
	return missing, nil
}

// FirstClaim implements sync.PhotoLookup: the earliest-created live record of collections, other
// than self, that refers to h.
func (l Lookup) FirstClaim(ctx context.Context, h string, collections []string, self sync.RecordKey) (sync.PhotoClaim, bool, error) {
	claims, err := l.Records.Claims(ctx, h, collections, 2)
	if err != nil {
		return sync.PhotoClaim{}, false, err
	}
	for _, c := range claims {
		if c.Key != self {
			return c, true, nil
		}
	}
	return sync.PhotoClaim{}, false, nil
}

// dedupe returns hashes without repeats, in first-seen order.
func dedupe(hashes []string) []string {
	seen := make(map[string]bool, len(hashes))
	out := make([]string, 0, len(hashes))
	for _, h := range hashes {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}
