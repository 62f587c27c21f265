// Package http is the built-in "http" source: it accepts any request on its
// path that passes a shared token (token {}), an HMAC signature (hmac {}),
// or both, and takes the event type and id from configurable headers or
// body fields. A source with neither check must say
// allow_unauthenticated = true, so none is open by accident.
//
// Of this repository it imports only plugins/internal/verify, sdk and
// sdk/schema.
package http
