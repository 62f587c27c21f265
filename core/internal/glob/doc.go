// Package glob matches event types against the patterns of a source's
// `events` list: `*` matches any run of characters (including none, and
// including `/` and `.`), `?` exactly one character, everything else
// itself. Event types are not paths: Shopify's `orders/create` is matched
// by `*` and `orders*` like any other.
//
// It imports only the standard library, and nothing of this repository.
package glob
