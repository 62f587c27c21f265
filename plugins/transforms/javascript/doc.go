// Package javascript is the built-in "javascript" transform: a goja
// sandbox that runs a user's function transform(event) on each message.
//
// The script is compiled once; a bounded channel of pre-warmed runtimes
// (each has run the program once, so transform is defined) serves calls,
// and a runtime is never shared between goroutines. Each call has a
// deadline enforced with Interrupt; an interrupted runtime is discarded and
// replaced. The sandbox has no filesystem, network, process, environment or
// timers: only ECMAScript, console.* (to the structured log) and the two
// helpers message() and split().
//
// Of this repository it imports only sdk, sdk/schema; outside the standard
// library, github.com/dop251/goja, github.com/dop251/goja/parser,
// github.com/valyala/fastjson.
package javascript
