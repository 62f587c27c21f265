// Package http is the built-in "http" sink: it renders a message into a
// request for a URL (method, headers, timeout, optional Standard Webhooks
// signing). It only renders: the host's delivery sends.
//
// Of this repository it imports only plugins/internal/attr,
// plugins/internal/verify, sdk and sdk/schema.
package http
