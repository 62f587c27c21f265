// Package telemetry is what an operator sees of a running hookferry from
// outside: OpenTelemetry traces (trace.go) and Prometheus metrics.
//
// Tracing follows one event from receipt, through the queue (the W3C
// traceparent travels in the stored event), to each delivery attempt, and
// sends traceparent with outbound requests. A nil *Tracing is tracing off:
// every method is a no-op that costs a nil check, so the stages call it
// unconditionally.
//
// It imports sdk and the OpenTelemetry libraries; it must not import any
// stage (ingress, pipeline, queue, delivery) or config: the stages call it,
// and the engine hands it plain settings.
package telemetry
