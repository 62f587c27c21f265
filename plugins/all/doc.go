// Package all lists every built-in component. The list is explicit: there
// is no init() registration and no global state, so each caller (the
// binary, a test) builds its own registry from it.
package all
