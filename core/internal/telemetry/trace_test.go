package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookferry/hookferry/sdk"
)

func TestNilTracingIsOffAndCostsNoHeaders(t *testing.T) {
	var tr *Tracing
	ctx := context.Background()
	h := sdk.Header{"traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	rctx, span := tr.StartReceive(ctx, "p", h)
	if rctx != ctx || span.IsRecording() || span.SpanContext().IsValid() {
		t.Fatal("a nil Tracing made a span")
	}
	EndReceive(span, 500)
	if tp := tr.TraceParent(rctx); tp != "" {
		t.Fatalf("traceparent %q", tp)
	}
	out := sdk.Header{}
	tr.Inject(rctx, out)
	if len(out) != 0 {
		t.Fatalf("headers %v", out)
	}
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStoredTraceparentParentsTheAttempt(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, err := NewTracing(context.Background(), TraceOptions{Exporter: exp, SampleRatio: 1, ParentBased: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, recv := tr.StartReceive(context.Background(), "p", sdk.Header{})
	ev := &sdk.Event{ID: "e1", TraceParent: tr.TraceParent(ctx)}
	EndReceive(recv, 202)
	actx, att := tr.StartAttempt(context.Background(), ev, "p", "s", "p/s/1", 2)
	out := sdk.Header{}
	tr.Inject(actx, out)
	EndAttempt(att, sdk.Verdict{Outcome: sdk.Retry, Reason: "HTTP 503"}, 503)
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	r, a := spans[0], spans[1]
	if a.Parent.SpanID() != r.SpanContext.SpanID() || a.SpanContext.TraceID() != r.SpanContext.TraceID() {
		t.Fatal("attempt is not the receive span's child")
	}
	if a.Status.Description != "HTTP 503" || out.Get("traceparent") != "00-"+a.SpanContext.TraceID().String()+"-"+a.SpanContext.SpanID().String()+"-01" {
		t.Fatalf("status %+v traceparent %q", a.Status, out.Get("traceparent"))
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestMalformedTraceparentStartsANewTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, _ := NewTracing(context.Background(), TraceOptions{Exporter: exp, SampleRatio: 1, ParentBased: true})
	for _, bad := range []string{"garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"} {
		_, s := tr.StartReceive(context.Background(), "p", sdk.Header{"traceparent": {bad}})
		if s.SpanContext().TraceID().String() == "0af7651916cd43dd8448eb211c80319c" || !s.SpanContext().IsValid() {
			t.Fatalf("%q: span context %v", bad, s.SpanContext())
		}
		s.End()
	}
	_ = tr.Shutdown(context.Background())
}

// An unsampled stored traceparent costs no attempt span, yet the trace
// id still reaches the destination, unsampled; a sampled one, or one the
// ratio would sample when parent_based is off, still gets its span.
func TestUnsampledAttemptMakesNoSpanButPropagates(t *testing.T) {
	const tid = "0af7651916cd43dd8448eb211c80319c"
	tests := []struct {
		name        string
		ratio       float64
		parentBased bool
		flags       string
		wantSpan    bool
	}{
		{"parent-based, stored unsampled", 1, true, "00", false},
		{"ratio 0, stored unsampled", 0, false, "00", false},
		{"ratio 1 ignoring the parent, stored unsampled", 1, false, "00", true},
		{"parent-based, stored sampled", 0, true, "01", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tr, err := NewTracing(context.Background(), TraceOptions{Exporter: exp, SampleRatio: tc.ratio, ParentBased: tc.parentBased})
			if err != nil {
				t.Fatal(err)
			}
			ev := &sdk.Event{ID: "e1", TraceParent: "00-" + tid + "-b7ad6b7169203331-" + tc.flags}
			actx, att := tr.StartAttempt(context.Background(), ev, "p", "s", "p/s/1", 1)
			sctx, send := tr.StartSend(actx, 0)
			out := sdk.Header{}
			tr.Inject(sctx, out)
			EndSend(send, sdk.Verdict{Outcome: sdk.Success}, 200, nil)
			EndAttempt(att, sdk.Verdict{Outcome: sdk.Success}, 200)
			_ = tr.ForceFlush(context.Background())
			defer tr.Shutdown(context.Background())
			if got := len(exp.GetSpans()) > 0; got != tc.wantSpan {
				t.Fatalf("spans recorded: %v, want %v", got, tc.wantSpan)
			}
			tp := out.Get("traceparent")
			if len(tp) != 55 || tp[3:35] != tid {
				t.Fatalf("outbound traceparent %q does not carry the stored trace", tp)
			}
			if want := map[bool]string{true: "01", false: "00"}[tc.wantSpan]; tp[53:] != want {
				t.Fatalf("outbound traceparent %q, want flags %s", tp, want)
			}
		})
	}
}

// The hand-written traceparent reader and writer agree with the
// propagator on what they accept, and leave the rest to it.
func TestTraceparentMatchesThePropagator(t *testing.T) {
	var prop propagation.TraceContext
	for _, s := range []string{
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03", // other flag bits kept, as the propagator does
		"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", // upper case: invalid
		"00-00000000000000000000000000000000-b7ad6b7169203331-01", // zero trace id
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", // zero span id
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
		"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", // another version: the propagator's
		"garbage", "",
	} {
		sc, ok := parseTraceparent(s)
		want := trace.SpanContextFromContext(prop.Extract(context.Background(), propagation.MapCarrier{"traceparent": s}))
		if ok && !sc.Equal(want) {
			t.Errorf("%q: parsed %v, the propagator %v", s, sc, want)
		}
		if !ok && want.IsValid() && s[:2] == "00" {
			t.Errorf("%q: refused a version 00 traceparent the propagator takes", s)
		}
		if ok && formatTraceparent(sc) != s {
			t.Errorf("%q: written back as %q", s, formatTraceparent(sc))
		}
	}
}

// StartReceive draws the trace id and asks the sampler before the SDK
// does; a kept trace must keep that id, or the SDK's second question,
// on a new id, would sample the square of the ratio.
func TestRootSamplingKeepsTheConfiguredRatio(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, err := NewTracing(context.Background(), TraceOptions{Exporter: exp, SampleRatio: 0.5, ParentBased: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000
	recorded, ids := 0, map[trace.TraceID]bool{}
	for range n {
		ctx, span := tr.StartReceive(context.Background(), "p", sdk.Header{})
		sc := span.SpanContext()
		if !sc.IsValid() || sc.IsSampled() != span.IsRecording() || !trace.SpanContextFromContext(ctx).Equal(sc) {
			t.Fatalf("span context %v recording %v", sc, span.IsRecording())
		}
		if ids[sc.TraceID()] {
			t.Fatal("a trace id came twice")
		}
		ids[sc.TraceID()] = true
		if span.IsRecording() {
			recorded++
		}
		EndReceive(span, 202)
	}
	// Binomial(4000, 0.5): 6 standard deviations is ±190.
	if recorded < n/2-190 || recorded > n/2+190 {
		t.Fatalf("%d of %d traces recorded at ratio 0.5", recorded, n)
	}
	_ = tr.ForceFlush(context.Background())
	if got := len(exp.GetSpans()); got != recorded {
		t.Fatalf("%d spans exported, %d recorded", got, recorded)
	}
	_ = tr.Shutdown(context.Background())
}
