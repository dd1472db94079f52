package sync

// EncodeCursor lets the external tests forge cursors (from the future, of another user).
var EncodeCursor = encodeCursor
