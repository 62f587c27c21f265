package core

import (
	"context"
	"time"

	"github.com/hookferry/hookferry/core/internal/telemetry"
	"github.com/hookferry/hookferry/internal/buildinfo"
)

// traceFlushTimeout bounds the export of the last spans at shutdown, even
// when the shutdown's own grace period is already spent.
const traceFlushTimeout = 5 * time.Second

// startTracing turns tracing on when the configuration (telemetry block or
// OTEL_* variables) names an endpoint; otherwise e.trace stays nil (off).
func (e *Engine) startTracing(ctx context.Context) error {
	t := e.cfg.Telemetry
	if !t.Enabled() {
		return nil
	}
	headers := make(map[string]string, len(t.Headers))
	for k, v := range t.Headers {
		headers[k] = v.Reveal()
	}
	tr, err := telemetry.NewTracing(ctx, telemetry.TraceOptions{
		Endpoint: t.Endpoint, Headers: headers,
		SampleRatio: t.SampleRatio, ParentBased: t.ParentBased,
		ServiceName: t.ServiceName, ServiceVersion: buildinfo.Get().Version,
		Exporter: e.opts.TraceExporter,
	})
	if err != nil {
		return err
	}
	e.trace = tr
	// The endpoint may carry a path but never credentials (config refuses
	// them); header values are secrets: only their names are logged.
	e.log.Info("tracing: OTLP/HTTP", "endpoint", t.Endpoint, "sample_ratio", t.SampleRatio,
		"parent_based", t.ParentBased, "headers", t.HeaderNames())
	return nil
}

// stopTracing exports the spans still buffered. A collector that cannot
// be reached costs spans, never the shutdown: it is logged.
func (e *Engine) stopTracing(ctx context.Context) {
	if e.trace == nil {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), traceFlushTimeout)
	defer cancel()
	if err := e.trace.Shutdown(fctx); err != nil {
		e.log.Warn("tracing: spans not exported at shutdown", "error", err)
	}
	e.trace = nil
}
