package domain

import "testing"

func TestCutUTF8(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abcdef", 3, "abc"},
		{"售后小组", 3, "售"},
		{"售后小组", 4, "售"},
		{"售后小组", 5, "售"},
		{"售后小组", 6, "售后"},
		{"售", 2, ""},
		{"", 0, ""},
	}
	for _, tc := range tests {
		if got := CutUTF8(tc.s, tc.n); got != tc.want {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
