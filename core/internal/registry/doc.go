// Package registry holds the component definitions an engine may build:
// built-ins handed over by plugins/all and, later, plugin-backed ones. It is
// an explicit value, never a package global, so each test builds its own.
//
// It imports only sdk.
package registry
