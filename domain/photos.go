package domain

import (
	"slices"
)

// photoFields are the fields that refer to photos by SHA-256 hex, per collection: a single hash
// or a list of hashes. The blob store's access check and the records' photosPending come from them.
var photoFields = map[string][]string{
	CollServiceForms:     {"signaturePhoto", "photos"},
	CollReceipts:         {"photo"},
	CollPurchaseRequests: {"photos"},
	CollIncidents:        {"evidencePhotos"},
}

// IsSHA256Hex reports whether s is a SHA-256 in lowercase hex (64 characters), the address of a photo.
func IsSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// PhotoHashes returns, sorted and without duplicates, the photo hashes a record of collection
// refers to through its photo fields. Values that are not well-formed hashes are skipped (the
// record's validation reports them).
func PhotoHashes(collection string, fields map[string]any) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && IsSHA256Hex(s) {
			out = append(out, s)
		}
	}
	for _, f := range photoFields[collection] {
		switch v := fields[f].(type) {
		case []any:
			for _, x := range v {
				add(x)
			}
		case []string:
			for _, x := range v {
				add(x)
			}
		default:
			add(v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
