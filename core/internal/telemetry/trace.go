package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookferry/hookferry/sdk"
)

// Span names: fixed, so a backend groups them.
const (
	SpanReceive   = "receive"   // ingress: verify + enqueue (server), one span
	SpanAttempt   = "attempt"   // one delivery attempt (consumer)
	SpanTransform = "transform" // the pipeline's and the sink's transforms
	SpanSend      = "send"      // render + the outbound request (client)
)

// Events on the receive span: its stages, as points in time rather than
// child spans (a span each cost a third of the sampled work, and of the
// export, for two durations the event times already give).
const (
	EventVerified = "verified" // the source's check of the request is done
	EventEnqueued = "enqueued" // the event is stored (or storing failed)
)

// Attribute keys of hookferry's spans.
const (
	AttrPipeline   = attribute.Key("hookferry.pipeline")
	AttrSink       = attribute.Key("hookferry.sink")
	AttrEventID    = attribute.Key("hookferry.event.id")
	AttrEventType  = attribute.Key("hookferry.event.type")
	AttrDuplicate  = attribute.Key("hookferry.event.duplicate")
	AttrDeliveryID = attribute.Key("hookferry.delivery.id")
	AttrAttempt    = attribute.Key("hookferry.attempt")
	AttrOutcome    = attribute.Key("hookferry.outcome")
	AttrMessages   = attribute.Key("hookferry.messages")
	attrStatus     = attribute.Key("http.response.status_code")
	attrError      = attribute.Key("error.message")
)

// TraceOptions configure tracing. The zero Endpoint with a nil Exporter
// means off (NewTracing returns nil).
type TraceOptions struct {
	// Endpoint is the full OTLP/HTTP traces URL (http://host:4318/v1/traces).
	Endpoint string
	// Headers go with every export (an API key).
	Headers map[string]string
	// SampleRatio is the share of new traces recorded, 0..1.
	SampleRatio float64
	// ParentBased follows an inbound traceparent's sampled flag.
	ParentBased bool
	// ServiceName and ServiceVersion describe the process.
	ServiceName, ServiceVersion string
	// Exporter, when set, receives the spans instead of the OTLP exporter
	// (tests: tracetest.InMemoryExporter).
	Exporter sdktrace.SpanExporter
}

// Tracing makes hookferry's spans. A nil *Tracing is off.
type Tracing struct {
	tp      *sdktrace.TracerProvider
	tracer  trace.Tracer
	sampler sdktrace.Sampler
	prop    propagation.TraceContext
}

// The span kinds as start options, built once: trace.WithSpanKind
// allocates at every call, on every request, sampled or not.
var (
	asServer   = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	asConsumer = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
	asClient   = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
)

// NewTracing starts tracing as o says, or returns nil (off) when o names
// neither an endpoint nor an exporter. Spans are exported in batches off
// the request path; Shutdown flushes them.
func NewTracing(ctx context.Context, o TraceOptions) (*Tracing, error) {
	exp := o.Exporter
	if exp == nil {
		if o.Endpoint == "" {
			return nil, nil
		}
		var err error
		// Explicit options win over the OTEL_EXPORTER_OTLP_* variables
		// the exporter would otherwise read from the process.
		exp, err = otlptracehttp.New(ctx,
			otlptracehttp.WithEndpointURL(o.Endpoint),
			otlptracehttp.WithHeaders(o.Headers),
			otlptracehttp.WithTimeout(10*time.Second))
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
		}
	}
	if o.ServiceName == "" {
		o.ServiceName = "hookferry"
	}
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(o.ServiceName), semconv.ServiceVersion(o.ServiceVersion))
	var sampler sdktrace.Sampler = sdktrace.TraceIDRatioBased(o.SampleRatio)
	if o.ParentBased {
		sampler = sdktrace.ParentBased(sampler)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(idGenerator{}),
	)
	return &Tracing{tp: tp, tracer: tp.Tracer("github.com/hookferry/hookferry"), sampler: sampler}, nil
}

// Shutdown exports the spans still buffered and stops. Nil-safe.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// ForceFlush exports the spans buffered so far. Nil-safe.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.ForceFlush(ctx)
}

// noSpan is the span a nil Tracing hands out: it records nothing.
var noSpan = trace.SpanFromContext(context.Background())

// StartReceive starts the server span of one inbound request, the child
// of the sender's traceparent when it sent a valid one.
//
// A request without one starts a new trace: its trace id is drawn here
// and put to the sampler first, so the unsampled majority gets its span
// context (still propagated, flags 00) without the SDK building a span;
// a sampled one hands the same id to the SDK (idGenerator), which asks
// the same sampler again and gets the same answer.
func (t *Tracing) StartReceive(ctx context.Context, pipeline string, h sdk.Header) (context.Context, trace.Span) {
	if t == nil {
		return ctx, noSpan
	}
	if len(h["traceparent"]) > 0 {
		ctx = t.prop.Extract(ctx, headerCarrier(h))
	}
	if !trace.SpanContextFromContext(ctx).IsValid() {
		tid, sid := newTraceID(), newSpanID()
		if t.sampler.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: tid,
			Name: SpanReceive, Kind: trace.SpanKindServer}).Decision == sdktrace.Drop {
			sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})
			ctx = trace.ContextWithSpanContext(ctx, sc)
			return ctx, trace.SpanFromContext(ctx)
		}
		ctx = context.WithValue(ctx, chosenTraceID{}, tid)
	}
	ctx, span := t.tracer.Start(ctx, SpanReceive, asServer...)
	if span.IsRecording() {
		// Attributes after the sampling decision (the samplers here do
		// not read them): the unsampled majority does not build them.
		span.SetAttributes(AttrPipeline.String(pipeline))
	}
	return ctx, span
}

// EndReceive ends the receive span with the status the sender got.
func EndReceive(span trace.Span, status int) {
	if !span.IsRecording() {
		span.End()
		return
	}
	span.SetAttributes(attrStatus.Int(status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// Stage marks the end of a stage of a recorded span as an event named
// name, with the error's message when it failed. On a span that is not
// recorded it does nothing, and builds nothing.
func Stage(span trace.Span, name string, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.AddEvent(name, trace.WithAttributes(attrError.String(err.Error())))
		return
	}
	span.AddEvent(name)
}

// Start starts an internal child span (transform).
// Nil-safe. Under a parent that is not recorded, no child is made: it
// would not be recorded either (the same trace id gets the same ratio
// decision, and a parent-based sampler follows the parent), and the
// unsampled majority of requests should cost as little as possible.
func (t *Tracing) Start(ctx context.Context, name string) (context.Context, trace.Span) {
	if t == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, noSpan
	}
	return t.tracer.Start(ctx, name)
}

// End ends span, marking it failed when err is not nil.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// TraceParent is the W3C traceparent of ctx's span, stored with the event
// so that its delivery attempts join the trace; "" when off.
func (t *Tracing) TraceParent(ctx context.Context) string {
	if t == nil {
		return ""
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return formatTraceparent(sc)
}

// StartAttempt starts the span of one delivery attempt, the child of the
// receive span whose traceparent the event carries (a new root when it
// carries none: an event stored with tracing off).
func (t *Tracing) StartAttempt(ctx context.Context, ev *sdk.Event, pipeline, sink, delivery string, attempt int) (context.Context, trace.Span) {
	if t == nil {
		return ctx, noSpan
	}
	if ev.TraceParent != "" {
		if sc, ok := parseTraceparent(ev.TraceParent); ok {
			ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
		} else {
			c := traceparentCarrier(ev.TraceParent)
			ctx = t.prop.Extract(ctx, &c)
		}
		// The unsampled majority: when the sampler drops the attempt
		// (the stored flag says unsampled and the sampler follows it, or
		// the ratio's verdict on this trace id is the receive's), no span
		// is made at all. The stored context stays in ctx, so outbound
		// requests still carry the trace id with flags 00, naming the
		// receive span (never recorded either) as their parent.
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && !sc.IsSampled() &&
			t.sampler.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: sc.TraceID(),
				Name: SpanAttempt, Kind: trace.SpanKindConsumer}).Decision == sdktrace.Drop {
			return ctx, trace.SpanFromContext(ctx)
		}
	}
	ctx, span := t.tracer.Start(ctx, SpanAttempt, asConsumer...)
	if span.IsRecording() {
		span.SetAttributes(AttrPipeline.String(pipeline), AttrSink.String(sink),
			AttrEventID.String(ev.ID), AttrEventType.String(ev.Type),
			AttrDeliveryID.String(delivery), AttrAttempt.Int(attempt))
	}
	return ctx, span
}

// EndAttempt ends an attempt span with the verdict.
func EndAttempt(span trace.Span, v sdk.Verdict, status int) {
	if span.IsRecording() {
		span.SetAttributes(AttrOutcome.String(v.Outcome.String()))
		if status != 0 {
			span.SetAttributes(attrStatus.Int(status))
		}
		if v.Outcome != sdk.Success {
			span.SetStatus(codes.Error, v.Reason)
		}
	}
	span.End()
}

// StartSend starts the client span of one outbound message (render and
// request, or a sink's own delivery). Nil-safe.
//
// Under an attempt that is not recorded no span is made (see Start): the
// outbound traceparent then names the attempt, unsampled.
func (t *Tracing) StartSend(ctx context.Context, index int) (context.Context, trace.Span) {
	if t == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, noSpan
	}
	ctx, span := t.tracer.Start(ctx, SpanSend, asClient...)
	span.SetAttributes(attribute.Int("hookferry.message.index", index))
	return ctx, span
}

// Inject sets traceparent (and tracestate) on an outbound request's
// header from ctx's span. Nil-safe; h must not be nil.
func (t *Tracing) Inject(ctx context.Context, h sdk.Header) {
	if t == nil {
		return
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	if sc.TraceState().Len() > 0 {
		t.prop.Inject(ctx, headerCarrier(h))
		return
	}
	h["traceparent"] = []string{formatTraceparent(sc)}
}

// EndSend ends a send span with the destination's status and the
// verdict on it.
func EndSend(span trace.Span, v sdk.Verdict, status int, err error) {
	if span.IsRecording() {
		if status != 0 {
			span.SetAttributes(attrStatus.Int(status))
		}
		span.SetAttributes(AttrOutcome.String(v.Outcome.String()))
		if err == nil && v.Outcome != sdk.Success {
			err = errors.New(v.Reason)
		}
	}
	End(span, err)
}

// headerCarrier adapts sdk.Header (lower-case keys) to the propagator.
type headerCarrier sdk.Header

func (c headerCarrier) Get(k string) string { return sdk.Header(c).Get(k) }
func (c headerCarrier) Set(k, v string)     { sdk.Header(c).Set(k, v) }
func (c headerCarrier) Keys() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	return out
}

// traceparentCarrier holds only traceparent: what the event stores
// (tracestate, vendor data, is not kept across the queue).
type traceparentCarrier string

func (c *traceparentCarrier) Get(k string) string {
	if k == "traceparent" {
		return string(*c)
	}
	return ""
}

func (c *traceparentCarrier) Set(k, v string) {
	if k == "traceparent" {
		*c = traceparentCarrier(v)
	}
}

func (c *traceparentCarrier) Keys() []string { return []string{"traceparent"} }
