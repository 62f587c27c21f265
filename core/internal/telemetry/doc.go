// Package telemetry owns the engine's Prometheus metrics: one registry per
// engine (never the global default), the metric names and their labels,
// and small pre-curried meters that the hot paths call without a label
// lookup or an allocation: Ingress per pipeline (ingress and pipeline
// count and time requests), Sink per (pipeline, sink) (delivery counts
// transforms, attempts and outcomes). What is better read than counted
// (queue backlog, breaker state, plugin restarts) is asked for at scrape
// time through a State function the engine supplies.
//
// Every method of a nil *Metrics, *Ingress or *Sink does nothing, so a
// component built without metrics (tests, `hookferry test`) needs no
// special case.
//
// Labels hold only configured names (pipeline, sink, plugin, source type)
// and fixed enumerations, never anything a sender can invent.
//
// It imports the queue package for its Depth type and nothing else of
// hookferry's but internal/buildinfo.
package telemetry
