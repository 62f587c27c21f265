package core

import (
	"context"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/hookferry/hookferry/core/internal/admin"
	"github.com/hookferry/hookferry/core/internal/telemetry"
	"github.com/hookferry/hookferry/internal/buildinfo"
)

// newMetrics builds the engine's own registry (nil when opts turn
// metrics off: every meter then does nothing).
func newMetrics(opts Options) *telemetry.Metrics {
	if opts.DisableMetrics {
		return nil
	}
	return telemetry.New(buildinfo.Get(), opts.Logger)
}

// currentMetrics is the running engine's registry, which a reload keeps
// (counters carry on across reloads), or a new one.
func (e *Engine) currentMetrics(opts Options) *telemetry.Metrics {
	if e == nil {
		return newMetrics(opts)
	}
	return e.metrics
}

// adminOptions lock the admin API with the configured token, count the
// requests it refuses, and serve /metrics.
func (e *Engine) adminOptions() []admin.Option {
	opts := []admin.Option{admin.WithToken(e.cfg.Admin.Token, e.metrics.AdminUnauthorized)}
	if e.metrics != nil {
		opts = append(opts, admin.WithMetrics(e.metrics.Handler()))
	}
	return opts
}

// metricsState is read at every scrape: the backlog of every sink as the
// queue reports it, breaker states and plugin restarts.
func (e *Engine) metricsState(ctx context.Context) telemetry.State {
	var s telemetry.State
	e.mu.RLock()
	workers := e.workers
	e.mu.RUnlock()
	for _, w := range workers {
		if d, err := e.queue.Depth(ctx, w.Pipeline, w.Sink.Name); err == nil {
			s.Queues = append(s.Queues, d)
		} else {
			e.log.Warn("metrics: backlog not read", "pipeline", w.Pipeline, "sink", w.Sink.Name, "error", err)
		}
		if b := w.Sink.Breaker; b != nil {
			st := telemetry.BreakerClosed
			switch b.State() {
			case gobreaker.StateHalfOpen:
				st = telemetry.BreakerHalfOpen
			case gobreaker.StateOpen:
				st = telemetry.BreakerOpen
			}
			s.Breakers = append(s.Breakers, telemetry.Breaker{Pipeline: w.Pipeline, Sink: w.Sink.Name, State: st})
		}
	}
	for _, p := range e.catalog.Plugins() {
		s.Plugins = append(s.Plugins, telemetry.Plugin{Name: p.Name(), Restarts: p.Generation()})
	}
	return s
}

// loaded records a successful configuration load in the reload metrics.
func (e *Engine) loaded(at time.Time) { e.metrics.ConfigReloaded(true, at) }
