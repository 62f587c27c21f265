package glob

import (
	"errors"
	"unicode/utf8"
)

// ErrEmpty is returned by Valid for the empty pattern, which would match
// only an event without a type.
var ErrEmpty = errors.New("empty pattern")

// Valid reports whether pattern can be used. Every non-empty string is a
// pattern: there are no escapes and no character classes.
func Valid(pattern string) error {
	if pattern == "" {
		return ErrEmpty
	}
	return nil
}

// Match reports whether s matches pattern as a whole. `?` matches one
// character (rune), not one byte.
//
// It is the classic linear-time wildcard walk: on a mismatch it goes back
// to the last `*` and lets it swallow one more character, so it never
// backtracks further than that and runs in O(len(pattern)·len(s)) at worst.
func Match(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // position after the last '*' in pattern, and in s
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				p++
				star, mark = p, i
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				p++
				i += n
				continue
			default:
				if c == s[i] {
					p++
					i++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		// Let the last '*' take one more character and try again.
		_, n := utf8.DecodeRuneInString(s[mark:])
		mark += n
		p, i = star, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
