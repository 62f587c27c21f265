// Package admin is the operator's HTTP API, on its own port
// (the admin block), separate from webhook ingress: health
// (/livez, /readyz), delivery records (/v1/deliveries) and replay
// (/v1/replay), Prometheus metrics (/metrics), the config reload (POST
// /v1/reload, when the backend is a Reloader), the tools (tools.go): the
// live tail of accepted events (/v1/tap, server-sent events), stored
// events (/v1/deliveries/ID/event) and transform runs (/v1/transform/run),
// and the web console (/ui/, package console) when the backend provides
// one. With a token configured, every endpoint but the probes (and the
// console's /ui/ pages, which keep their own sessions) needs
// "Authorization: Bearer TOKEN", compared in constant time (auth.go). The
// hookferry CLI commands deliveries, replay and tap call it.
//
// It imports queue (records and ids), tap (the live tail) and sdk, and
// nothing of the stages.
package admin
