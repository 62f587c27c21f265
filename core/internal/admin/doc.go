// Package admin is the operator's HTTP API, on its own port
// (the admin block), separate from webhook ingress: health
// (/livez, /readyz), delivery records (/v1/deliveries) and replay
// (/v1/replay), and the config reload (POST /v1/reload, when the backend
// is a Reloader). The hookferry CLI commands deliveries and replay call it.
//
// It imports queue (records and ids) and nothing of the stages.
package admin
