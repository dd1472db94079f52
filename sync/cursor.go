package sync

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"

	"github.com/fieldsync/fieldsync/domain"
)

// A cursor is the opaque position of one user's pull: the sequence number of the last change the
// user has, bound to the user by an HMAC so that it cannot be forged or used by somebody else.
// Wire form: base64url (no padding) of version byte 1, the sequence number (8 bytes, big
// endian) and the first 16 bytes of HMAC-SHA256(key, userID || seq). The empty cursor is the
// beginning.
const cursorVersion = 1

const cursorLen = 1 + 8 + 16

// encodeCursor returns the wire cursor of seq for userID.
func encodeCursor(key []byte, userID string, seq int64) string {
	buf := make([]byte, cursorLen)
	buf[0] = cursorVersion
	binary.BigEndian.PutUint64(buf[1:9], uint64(seq))
	copy(buf[9:], cursorMAC(key, userID, buf[1:9]))
	return base64.RawURLEncoding.EncodeToString(buf)
}

// decodeCursor returns the sequence number of a wire cursor ("" is 0). A malformed cursor, or one
// that belongs to another user (or was made with another key), is a *domain.Error with code
// invalid and field "cursor".
func decodeCursor(key []byte, userID, cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	buf, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(buf) != cursorLen || buf[0] != cursorVersion {
		return 0, badCursor("is malformed")
	}
	if !hmac.Equal(buf[9:], cursorMAC(key, userID, buf[1:9])) {
		return 0, badCursor("does not belong to this user")
	}
	seq := int64(binary.BigEndian.Uint64(buf[1:9]))
	if seq < 0 {
		return 0, badCursor("is malformed")
	}
	return seq, nil
}

func cursorMAC(key []byte, userID string, seq []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write(seq)
	return m.Sum(nil)[:16]
}

func badCursor(why string) error {
	return domain.Invalid("invalid cursor", map[string]string{"cursor": why})
}
