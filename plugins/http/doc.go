// Package http holds the built-in "http" source and "http" sink.
//
// The source accepts any request on its path with an optional shared-token
// check; the sink renders a message into a request for a URL. Both
// implement only sdk interfaces: the sink renders, the host's delivery
// sends.
//
// It imports only sdk.
package http
