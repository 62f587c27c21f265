package telemetry

import (
	"context"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookferry/hookferry/sdk"
)

// BenchmarkTracingPerEvent is the tracing work one event costs the host,
// both sides of the queue: receive (with verify and enqueue), the stored
// traceparent, one attempt (transform, send) and the outbound header. The
// engine-level cost is in core's BenchmarkIngressTracingInterleaved; this
// isolates it from the machine's noise. Recorded spans go to a no-op
// exporter through the batcher, as in production minus the OTLP encoding.
func BenchmarkTracingPerEvent(b *testing.B) {
	for _, tc := range []struct {
		name string
		on   bool
		r    float64
	}{{"off", false, 0}, {"ratio_0", true, 0}, {"ratio_0.1", true, 0.1}, {"ratio_1", true, 1}} {
		b.Run(tc.name, func(b *testing.B) {
			var tr *Tracing
			if tc.on {
				var err error
				tr, err = NewTracing(context.Background(), TraceOptions{Exporter: tracetest.NewNoopExporter(), SampleRatio: tc.r, ParentBased: true})
				if err != nil {
					b.Fatal(err)
				}
				defer tr.Shutdown(context.Background())
			}
			in := sdk.Header{"content-type": {"application/json"}, "x-github-event": {"push"}}
			ev := &sdk.Event{ID: "e"}
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				ctx, span := tr.StartReceive(context.Background(), "p", in)
				Stage(span, EventVerified, nil)
				ev.TraceParent = tr.TraceParent(ctx)
				Stage(span, EventEnqueued, nil)
				EndReceive(span, 202)

				actx, a := tr.StartAttempt(context.Background(), ev, "p", "s", "p/s/1", 1)
				_, t := tr.Start(actx, SpanTransform)
				End(t, nil)
				sctx, s := tr.StartSend(actx, 0)
				out := sdk.Header{}
				tr.Inject(sctx, out)
				EndSend(s, sdk.Verdict{Outcome: sdk.Success}, 200, nil)
				EndAttempt(a, sdk.Verdict{Outcome: sdk.Success}, 200)
			}
			if tr != nil {
				_ = tr.ForceFlush(context.Background()) // the batcher's share
			}
			// CPU time, not wall time: on a shared machine the wall
			// clock measures the neighbours.
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/event")
		})
	}
}

// cpuTime is the process's user+system CPU time so far (GC and the
// batcher's goroutine included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
