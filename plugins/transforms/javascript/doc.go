// Package javascript is the built-in "javascript" transform: a goja
// sandbox that runs a user's function transform(event) on each message.
//
// The script is compiled once; a bounded channel of pre-warmed runtimes
// (each has run the program once, so transform is defined) serves calls,
// and a runtime is never shared between goroutines. Each call has a
// deadline enforced with Interrupt; an interrupted runtime is discarded and
// replaced. Native work the interrupt cannot reach is bounded too (limits.go):
// string-building built-ins check their result size, a call's heap growth is
// watched, and regular-expression matches time out; reaching a limit fails
// the event like the deadline. The sandbox has no filesystem, network,
// process, environment or timers: only ECMAScript, console.* (to the
// structured log) and the two helpers message() and split().
//
// JSON bodies are decoded in Go; integers beyond 2^53-1 become BigInt and
// BigInt.prototype.toJSON writes them back exactly (bigint.go). Objects
// and arrays become JS values only when the script reads them (lazy.go:
// goja dynamic objects over the parsed JSON, with JSON.parse's semantics),
// so fields a mapping never touches cost nothing.
//
// Of this repository it imports only sdk, sdk/schema; outside the standard
// library, github.com/dop251/goja, github.com/dop251/goja/parser,
// github.com/dlclark/regexp2/v2 (goja's backtracking engine, for its match
// timeout), github.com/valyala/fastjson.
package javascript
