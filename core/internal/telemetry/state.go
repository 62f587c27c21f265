package telemetry

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stateCollector reads, at scrape time, what the queue and the control
// parts know: backlog (from JetStream's consumer info, not counted by
// hand), breaker states and plugin restarts.
type stateCollector struct {
	f   atomic.Pointer[func(context.Context) State]
	now func() time.Time

	pending, inFlight, dead, oldest *prometheus.Desc
	breaker, restarts               *prometheus.Desc
}

func newStateCollector() *stateCollector {
	ps := []string{"pipeline", "sink"}
	return &stateCollector{
		now:     time.Now,
		pending: prometheus.NewDesc(Namespace+"_queue_pending", "Deliveries waiting for their first attempt.", ps, nil),
		inFlight: prometheus.NewDesc(Namespace+"_queue_in_flight",
			"Deliveries handed to the delivery worker and not settled: being attempted, or waiting to be retried.", ps, nil),
		dead: prometheus.NewDesc(Namespace+"_queue_dead", "Dead letters kept (the dead-letter store, within its retention).", ps, nil),
		oldest: prometheus.NewDesc(Namespace+"_queue_oldest_pending_age_seconds",
			"Age of the oldest delivery not yet settled (pending or in flight); 0 when none.", ps, nil),
		breaker: prometheus.NewDesc(Namespace+"_breaker_state",
			"Circuit breaker state of a sink: 0 closed, 1 half-open, 2 open.", ps, nil),
		restarts: prometheus.NewDesc(Namespace+"_plugin_restarts_total", "Restarts of a plugin process.", []string{"plugin"}, nil),
	}
}

func (c *stateCollector) set(f func(context.Context) State) { c.f.Store(&f) }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pending, c.inFlight, c.dead, c.oldest, c.breaker, c.restarts} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.f.Load()
	if f == nil {
		return
	}
	// Collect has no request context; the scrape is bounded here instead.
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	s := (*f)(ctx)
	now := c.now()
	for _, q := range s.Queues {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(q.Pending), q.Pipeline, q.Sink)
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(q.InFlight), q.Pipeline, q.Sink)
		ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(q.Dead), q.Pipeline, q.Sink)
		age := 0.0
		if !q.Oldest.IsZero() {
			age = max(0, now.Sub(q.Oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, q.Pipeline, q.Sink)
	}
	for _, b := range s.Breakers {
		ch <- prometheus.MustNewConstMetric(c.breaker, prometheus.GaugeValue, float64(b.State), b.Pipeline, b.Sink)
	}
	for _, p := range s.Plugins {
		ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(p.Restarts), p.Name)
	}
}
