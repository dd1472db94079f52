package domain

// CutUTF8 returns s cut to at most n bytes, on a UTF-8 rune boundary (a Chinese character is
// three bytes and is never split): audit usernames and details (MaxAuditUsernameLen,
// MaxAuditDetailLen), device names.
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
