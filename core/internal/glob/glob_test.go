package glob

import (
	"regexp"
	"strings"
	"testing"
)

// TestStarMatchesAnyRunIncludingSlash: what docs/sources.md promises, and
// what path.Match did not do (Shopify's "orders/create" was ignored by
// "*" and "orders*").
func TestStarMatchesAnyRunIncludingSlash(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "orders/create", true},
		{"orders*", "orders/create", true},
		{"orders/*", "orders/create", true},
		{"*/create", "orders/create", true},
		{"*", "", true},
		{"*", "push", true},
		{"push", "push", true},
		{"push", "pushed", false},
		{"push", "pus", false},
		{"pull_request.*", "pull_request.opened", true},
		{"pull_request.*", "pull_request", false},
		{"pull_request*", "pull_request", true},
		{"*.opened", "issues.opened", true},
		{"*.opened", "issues.closed", false},
		{"a*b*c", "a/x/b/y/c", true},
		{"a*b*c", "a/x/b/y/d", false},
		{"?", "é", true}, // one character, two bytes
		{"??", "é", false},
		{"orders/?reate", "orders/create", true},
		{"invoice.?aid", "invoice.paid", true},
		{"[a]", "a", false}, // no character classes: '[' is itself
		{"[a]", "[a]", true},
		{`\*`, `\x`, true}, // no escapes: '\' is itself
		{"**", "anything/at.all", true},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestValidRefusesOnlyTheEmptyPattern(t *testing.T) {
	for _, p := range []string{"*", "[", "orders/*", `\`} {
		if err := Valid(p); err != nil {
			t.Errorf("Valid(%q) = %v", p, err)
		}
	}
	if Valid("") == nil {
		t.Error("the empty pattern was accepted")
	}
}

// reference translates a pattern into an anchored regular expression.
func reference(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// FuzzMatchAgreesWithRegexp checks Match against Go's regexp engine.
func FuzzMatchAgreesWithRegexp(f *testing.F) {
	for _, s := range [][2]string{{"*", "orders/create"}, {"a*b?c", "axxbyc"}, {"?*?", "é"}, {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 256 {
			return
		}
		if !strings.ContainsRune(pattern, '\uFFFD') && !strings.ContainsRune(s, '\uFFFD') {
			if got, want := Match(pattern, s), reference(pattern).MatchString(s); got != want {
				t.Fatalf("Match(%q, %q) = %v, regexp says %v", pattern, s, got, want)
			}
		}
	})
}
