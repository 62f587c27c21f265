// Package admin is the operator's HTTP API, on its own port
// (the admin block), separate from webhook ingress: health
// (/livez, /readyz), delivery records (/v1/deliveries) and replay
// (/v1/replay), Prometheus metrics (/metrics). With a token configured,
// every endpoint but the probes (and the console's /ui/ pages, which keep
// their own sessions) needs "Authorization: Bearer TOKEN", compared in
// constant time (auth.go). The hookferry CLI commands deliveries and
// replay call it.
//
// It imports queue (records and ids) and nothing of the stages.
package admin
