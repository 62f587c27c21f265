// Package http is the built-in "http" source: it accepts any request on its
// path, optionally checking a shared token (token {}) or an HMAC signature
// (hmac {}), and takes the event type and id from configurable headers.
//
// Of this repository it imports only plugins/internal/verify, sdk and
// sdk/schema.
package http
