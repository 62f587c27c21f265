// Package delivery sends the requests sinks render and decides what an
// answer means: success, retry (with backoff and full jitter, honouring
// Retry-After) or permanent failure.
//
// It uses fasthttp's client, which has no context: the context deadline
// becomes DoDeadline. Redirects are never followed.
//
// It imports only sdk.
package delivery
