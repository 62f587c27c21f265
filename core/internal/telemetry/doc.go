// Package telemetry is what an operator sees of a running hookferry from
// outside: Prometheus metrics (metrics.go) and OpenTelemetry traces
// (trace.go).
//
// Metrics: one registry per engine (never the global default), the metric
// names and their labels, and small pre-curried meters that the hot paths
// call without a label lookup or an allocation: Ingress per pipeline
// (ingress and pipeline count and time requests), Sink per (pipeline,
// sink) (delivery counts transforms, attempts and outcomes). What is better
// read than counted (queue backlog, breaker state, plugin restarts) is
// asked for at scrape time through a State function the engine supplies.
// Labels hold only configured names (pipeline, sink, plugin, source type)
// and fixed enumerations, never anything a sender can invent.
//
// Tracing follows one event from receipt, through the queue (the W3C
// traceparent travels in the stored event), to each delivery attempt, and
// sends traceparent with outbound requests.
//
// Every method of a nil *Metrics, *Ingress, *Sink or *Tracing does
// nothing, at the cost of a nil check, so the stages call them
// unconditionally and a component built without telemetry (tests,
// `hookferry test`) needs no special case.
//
// It imports sdk, the queue package (for its Depth type),
// internal/buildinfo and the Prometheus and OpenTelemetry libraries; no
// stage imports are allowed beyond queue's types, and never config.
package telemetry
