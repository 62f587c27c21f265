package glob

import (
	"strings"
	"testing"
)

func TestOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"push", "push", true},
		{"push", "pull", false},
		{"pull_request.opened", "pull_request.*", true},
		{"pull_request", "pull_request.*", false},
		{"pull_request*", "pull_request.*", true},
		{"*", "anything", true},
		{"*", "orders/*", true},
		{"orders*", "orders/*", true},
		{"order/*", "orders/*", false},
		{"invoices.*", "invoice.*", false},
		{"*.paid", "invoice.*", true},
		{"*.paid", "push", false},
		{"p?sh", "pu*", true},
		{"a*b", "*c", false},
		{"a*c", "*b*", true},
		{"", "", true},
		{"", "*", true},
		{"x", "", false},
	}
	for _, tc := range tests {
		if got := Overlap(tc.a, tc.b); got != tc.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Overlap(tc.b, tc.a); got != tc.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v (reversed)", tc.b, tc.a, got, tc.want)
		}
	}
}

// FuzzOverlapAgreesWithMatch: a pattern and a literal ASCII string (no
// wildcard) overlap exactly when the pattern matches it.
func FuzzOverlapAgreesWithMatch(f *testing.F) {
	f.Add("pull_request.*", "pull_request.opened")
	f.Add("orders*", "orders/create")
	f.Add("a*b?c", "axxbyc")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if strings.ContainsAny(s, "*?") || len(pattern) > 64 || len(s) > 64 {
			return
		}
		for _, c := range []byte(pattern + s) {
			if c >= 0x80 {
				return // Overlap works on bytes, Match on runes: ASCII only
			}
		}
		if Overlap(pattern, s) != Match(pattern, s) {
			t.Fatalf("Overlap(%q, %q) = %v, Match = %v", pattern, s, Overlap(pattern, s), Match(pattern, s))
		}
	})
}
