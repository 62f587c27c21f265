// Package delivery is the consumer side of a pipeline: one Worker per
// (pipeline, sink) takes the sink's deliveries from the queue, runs the
// pipeline's and the sink's transforms, renders, sends, classifies the
// answer, records the attempt in history and settles the delivery: done,
// retry later (backoff with full jitter, honouring Retry-After) or dead.
// The sink's rate limiter and circuit breaker live here too; an open
// breaker makes the sink's deliveries wait, which pauses its consumption.
// A sink's concurrency bounds its attempts in flight; the settle of a
// finished attempt (record, counters, ack, in that order) runs beside
// the next one, at most concurrency of them beside the attempts (in line
// for an ordered sink, and when those are busy), and Run waits for them.
//
// Sending uses fasthttp's client, which has no context: the context
// deadline becomes DoDeadline (the sink's timeout is the only read/write
// deadline), and the request runs on its own goroutine so that a
// cancelled context (the end of the shutdown grace) returns at once.
// Waits (breaker, plugin restart, rate limiter, busy transform) end when
// shutdown begins; attempts in flight end when its grace is over. Redirects are never followed; the egress
// policy is checked on the resolved address at connect time.
//
// It imports queue and sdk; never ingress, pipeline or config.
package delivery
