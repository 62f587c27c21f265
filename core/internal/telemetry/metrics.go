package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/internal/buildinfo"
)

// Namespace prefixes every metric of hookferry's own.
const Namespace = "hookferry"

// Result is how the ingress answered one request.
type Result uint8

// Results of a request (the result label of
// hookferry_webhooks_received_total).
const (
	// Accepted: the event was stored; the sender got its 2xx.
	Accepted Result = iota
	// Duplicate: the event id was already stored; acknowledged again.
	Duplicate
	// Filtered: verified and answered 2xx, stored nowhere (an event type
	// the pipeline does not take, or a handshake the source answered).
	Filtered
	// Unauthorized: the source refused the signature or token (401/403).
	Unauthorized
	// TooLarge: the body was over server.max_body_size (413).
	TooLarge
	// BadRequest: anything else the sender got wrong (no route, a wrong
	// method, a malformed request or body).
	BadRequest
	// Unavailable: not stored; the sender was told to retry (503, 500).
	Unavailable
	numResults
)

var resultNames = [numResults]string{"accepted", "duplicate", "filtered", "unauthorized", "too_large", "bad_request", "unavailable"}

func (r Result) String() string {
	if r < numResults {
		return resultNames[r]
	}
	return "unknown"
}

// ResultOf classifies a status the source or the ingress answered with.
func ResultOf(status int) Result {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Unauthorized
	case status == http.StatusRequestEntityTooLarge:
		return TooLarge
	case status == http.StatusTooManyRequests || status >= 500:
		return Unavailable
	case status >= 400:
		return BadRequest
	}
	return Accepted
}

// ErrorKind classifies a transform's failure.
type ErrorKind uint8

// Kinds of transform errors (the kind label of
// hookferry_transform_errors_total).
const (
	// Exception: the script threw, or the transform failed otherwise.
	Exception ErrorKind = iota
	// Timeout: the transform ran past its deadline.
	Timeout
	// InvalidOutput: the transform returned something that is not a
	// message.
	InvalidOutput
	numKinds
)

var kindNames = [numKinds]string{"exception", "timeout", "invalid_output"}

func (k ErrorKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Outcome is how one attempt was settled.
type Outcome uint8

// Outcomes of an attempt (the outcome label of hookferry_deliveries_total).
const (
	Success Outcome = iota
	Retry
	Dead
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"success", "retry", "dead"}

// Breaker states, as the breaker gauge reports them.
const (
	BreakerClosed   = 0
	BreakerHalfOpen = 1
	BreakerOpen     = 2
)

// State is what the engine reports at scrape time.
type State struct {
	// Queues is the backlog of every (pipeline, sink).
	Queues []queue.Depth
	// Breakers is the state of every sink that has a breaker.
	Breakers []Breaker
	// Plugins counts restarts of every plugin process.
	Plugins []Plugin
}

// Breaker is one sink's breaker state: BreakerClosed, BreakerHalfOpen
// or BreakerOpen.
type Breaker struct {
	Pipeline, Sink string
	State          int
}

// Plugin is one plugin process's restart count.
type Plugin struct {
	Name     string
	Restarts uint64
}

// ScrapeTimeout bounds how long a scrape waits for the queue's answers.
const ScrapeTimeout = 5 * time.Second

// Metrics is one engine's metrics and their registry.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	received          *prometheus.CounterVec
	requestDuration   *prometheus.HistogramVec
	bodySize          *prometheus.HistogramVec
	transformDuration *prometheus.HistogramVec
	transformErrors   *prometheus.CounterVec
	deliveries        *prometheus.CounterVec
	attemptDuration   *prometheus.HistogramVec
	latency           *prometheus.HistogramVec
	retryAfter        *prometheus.CounterVec
	rateWaits         *prometheus.CounterVec
	rateWaitSeconds   *prometheus.CounterVec
	adminUnauthorized prometheus.Counter
	reloadOK          prometheus.Gauge
	reloadTime        prometheus.Gauge

	state *stateCollector
}

// New builds an engine's metrics in a registry of their own, with the Go
// and process collectors and hookferry_build_info from bi. log (nil:
// discard) hears about scrape-time failures.
func New(bi buildinfo.Info, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: log}
	// Latency buckets from 1ms to ~30s (a sink may be slow); size buckets
	// from 256 B to 16 MiB.
	secs := prometheus.ExponentialBucketsRange(0.001, 30, 16)
	fast := prometheus.ExponentialBucketsRange(0.0001, 10, 16)
	m.received = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "webhooks_received_total",
		Help: "Webhook requests received, by how they were answered (result: accepted, duplicate, filtered, unauthorized, too_large, bad_request, unavailable)."},
		[]string{"pipeline", "source", "result"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_server_request_duration_seconds",
		Help: "Time from reading a webhook request to answering it (verification and storing included).", Buckets: fast},
		[]string{"pipeline"})
	m.bodySize = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_server_request_body_size_bytes",
		Help: "Size of webhook request bodies.", Buckets: prometheus.ExponentialBuckets(256, 4, 9)},
		[]string{"pipeline"})
	m.transformDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "transform_duration_seconds",
		Help: "Time to run a sink's transform chain (the pipeline's and the sink's) on one event.", Buckets: fast},
		[]string{"pipeline", "sink"})
	m.transformErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "transform_errors_total",
		Help: "Transform chains that failed, by kind (exception, timeout, invalid_output)."},
		[]string{"pipeline", "sink", "kind"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "deliveries_total",
		Help: "Delivery attempts settled, by outcome: success (done), retry (will be tried again), dead (dead-lettered)."},
		[]string{"pipeline", "sink", "outcome"})
	m.attemptDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "delivery_attempt_duration_seconds",
		Help: "Time of one outbound request to the destination (not the rate limiter's wait, not transforms).", Buckets: secs},
		[]string{"pipeline", "sink"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "delivery_latency_seconds",
		Help:    "Time from receiving an event to delivering it successfully (queueing and retries included).",
		Buckets: prometheus.ExponentialBucketsRange(0.001, 3600, 20)},
		[]string{"pipeline", "sink"})
	m.retryAfter = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "retry_after_wait_seconds_total",
		Help: "Seconds of retry delay that destinations asked for (Retry-After and the like) beyond the backoff."},
		[]string{"sink"})
	m.rateWaits = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "rate_limit_waits_total",
		Help: "Outbound requests that waited for the sink's rate limit."},
		[]string{"pipeline", "sink"})
	m.rateWaitSeconds = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "rate_limit_wait_seconds_total",
		Help: "Seconds outbound requests waited for the sink's rate limit."},
		[]string{"pipeline", "sink"})
	m.adminUnauthorized = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "admin_unauthorized_total",
		Help: "Admin API requests refused for a missing or wrong bearer token."})
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "config_last_reload_successful",
		Help: "1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration keeps running)."})
	m.reloadTime = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "config_last_reload_success_timestamp_seconds",
		Help: "Unix time of the last successful configuration load or reload."})
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; the labels describe the running build.",
		ConstLabels: prometheus.Labels{"version": bi.Version, "revision": bi.Revision, "goversion": bi.GoVersion}})
	build.Set(1)
	m.state = newStateCollector()
	m.reg.MustRegister(m.received, m.requestDuration, m.bodySize, m.transformDuration, m.transformErrors,
		m.deliveries, m.attemptDuration, m.latency, m.retryAfter, m.rateWaits, m.rateWaitSeconds,
		m.adminUnauthorized, m.reloadOK, m.reloadTime, build, m.state,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry is where the metrics are registered (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text (or OpenMetrics)
// format. A scrape-time failure of one part is logged and the rest is
// still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slogPrintln{m.log},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             2 * ScrapeTimeout,
		EnableOpenMetrics:   true,
	})
}

// ObserveState sets the function asked at every scrape for the queue
// backlog, breaker states and plugin restarts. It may be called again
// (after a reload) to replace it.
func (m *Metrics) ObserveState(f func(context.Context) State) {
	if m != nil {
		m.state.set(f)
	}
}

// ConfigReloaded records a configuration load or reload: ok, and if so
// when. A failed reload leaves the success timestamp alone.
func (m *Metrics) ConfigReloaded(ok bool, at time.Time) {
	if m == nil {
		return
	}
	if ok {
		m.reloadOK.Set(1)
		m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
		return
	}
	m.reloadOK.Set(0)
}

// AdminUnauthorized counts one admin request refused for its token.
func (m *Metrics) AdminUnauthorized() {
	if m != nil {
		m.adminUnauthorized.Inc()
	}
}

// Ingress is the meter of one pipeline's ingress (or, with an empty
// pipeline, of requests that matched no route).
type Ingress struct {
	results  [numResults]prometheus.Counter
	duration prometheus.Observer
	size     prometheus.Observer
}

// Ingress returns the meter of a pipeline whose source is of type source
// ("" and "" for requests that matched no route). Every label value is
// bound here, once; nil on a nil *Metrics.
func (m *Metrics) Ingress(pipeline, source string) *Ingress {
	if m == nil {
		return nil
	}
	in := &Ingress{
		duration: m.requestDuration.WithLabelValues(pipeline),
		size:     m.bodySize.WithLabelValues(pipeline),
	}
	for r := range numResults {
		// Created now, so every result shows 0 before its first request.
		in.results[r] = m.received.WithLabelValues(pipeline, source, resultNames[r])
	}
	return in
}

// Count counts one request answered with r.
func (i *Ingress) Count(r Result) {
	if i != nil && r < numResults {
		i.results[r].Inc()
	}
}

// Request observes one request's body size and time to answer.
func (i *Ingress) Request(bodyBytes int, d time.Duration) {
	if i != nil {
		i.size.Observe(float64(bodyBytes))
		i.duration.Observe(d.Seconds())
	}
}

// Sink is the meter of one (pipeline, sink) delivery worker.
type Sink struct {
	transformDuration prometheus.Observer
	transformErrors   [numKinds]prometheus.Counter
	outcomes          [numOutcomes]prometheus.Counter
	attempt           prometheus.Observer
	latency           prometheus.Observer
	retryAfter        prometheus.Counter
	rateWaits         prometheus.Counter
	rateWaitSeconds   prometheus.Counter
}

// Sink returns the meter of one (pipeline, sink); nil on a nil *Metrics.
func (m *Metrics) Sink(pipeline, sink string) *Sink {
	if m == nil {
		return nil
	}
	s := &Sink{
		transformDuration: m.transformDuration.WithLabelValues(pipeline, sink),
		attempt:           m.attemptDuration.WithLabelValues(pipeline, sink),
		latency:           m.latency.WithLabelValues(pipeline, sink),
		retryAfter:        m.retryAfter.WithLabelValues(sink),
		rateWaits:         m.rateWaits.WithLabelValues(pipeline, sink),
		rateWaitSeconds:   m.rateWaitSeconds.WithLabelValues(pipeline, sink),
	}
	for k := range numKinds {
		s.transformErrors[k] = m.transformErrors.WithLabelValues(pipeline, sink, kindNames[k])
	}
	for o := range numOutcomes {
		s.outcomes[o] = m.deliveries.WithLabelValues(pipeline, sink, outcomeNames[o])
	}
	return s
}

// Transformed observes one run of the transform chain.
func (s *Sink) Transformed(d time.Duration) {
	if s != nil {
		s.transformDuration.Observe(d.Seconds())
	}
}

// TransformFailed counts one failed transform chain.
func (s *Sink) TransformFailed(k ErrorKind) {
	if s != nil && k < numKinds {
		s.transformErrors[k].Inc()
	}
}

// Attempted observes one outbound request's time.
func (s *Sink) Attempted(d time.Duration) {
	if s != nil {
		s.attempt.Observe(d.Seconds())
	}
}

// Settled counts one settled attempt.
func (s *Sink) Settled(o Outcome) {
	if s != nil && o < numOutcomes {
		s.outcomes[o].Inc()
	}
}

// Delivered observes the time from an event's receipt to its delivery.
func (s *Sink) Delivered(sinceReceipt time.Duration) {
	if s != nil && sinceReceipt >= 0 {
		s.latency.Observe(sinceReceipt.Seconds())
	}
}

// RetryAfter adds the delay a destination asked for.
func (s *Sink) RetryAfter(d time.Duration) {
	if s != nil && d > 0 {
		s.retryAfter.Add(d.Seconds())
	}
}

// RateLimited counts one wait for the rate limit, of d.
func (s *Sink) RateLimited(d time.Duration) {
	if s != nil {
		s.rateWaits.Inc()
		s.rateWaitSeconds.Add(d.Seconds())
	}
}

type slogPrintln struct{ log *slog.Logger }

func (l slogPrintln) Println(v ...any) {
	l.log.Warn("metrics: scrape error", "error", slog.AnyValue(v))
}
