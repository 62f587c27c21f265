package core_test

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// keptSpans is an in-memory exporter whose spans outlive the engine's
// shutdown (which shuts the exporter down, and InMemoryExporter forgets
// on shutdown).
type keptSpans struct{ *tracetest.InMemoryExporter }

func (keptSpans) Shutdown(context.Context) error { return nil }

func newKeptSpans() keptSpans { return keptSpans{tracetest.NewInMemoryExporter()} }

// tracedEngine starts config.hcl (with a real JetStream queue) whose spans
// go to exp (nil: the OTLP exporter the config names). stop shuts it down,
// which flushes the spans; it is also run at cleanup.
func tracedEngine(t *testing.T, cfg string, exp sdktrace.SpanExporter) (e *core.Engine, stop func()) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := core.Load(context.Background(), core.Options{
		ConfigPath:    filepath.Join(dir, "config.hcl"),
		DataDir:       filepath.Join(dir, "data"),
		Components:    all.Definitions(all.Options{Stdout: io.Discard}),
		LookupEnv:     func(string) (string, bool) { return "", false },
		Listen:        "127.0.0.1:0",
		TraceExporter: exp,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := e.Shutdown(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return e, stop
}

const tracedPipeline = `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  transform "javascript" {
    code = "function transform(event) { return { text: 'hello ' + event.body.name } }"
  }
`

// one returns the only span named name, or fails.
func one(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %q, want 1 (all: %v)", len(found), name, names(spans))
	}
	return found[0]
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// childOf fails unless child's parent is parent's span.
func childOf(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	if child.SpanContext.TraceID() != parent.SpanContext.TraceID() || child.Parent.SpanID() != parent.SpanContext.SpanID() {
		t.Fatalf("%s (trace %s, parent %s) is not a child of %s (trace %s, span %s)", child.Name,
			child.SpanContext.TraceID(), child.Parent.SpanID(), parent.Name, parent.SpanContext.TraceID(), parent.SpanContext.SpanID())
	}
}

func TestOneEventIsOneTraceFromReceiptThroughTheQueueToTheSend(t *testing.T) {
	dest := newDestination(t)
	exp := newKeptSpans()
	e, stop := tracedEngine(t, `
telemetry {
  otlp_endpoint = "http://127.0.0.1:9"
  sample_ratio  = 1
}
`+tracedPipeline+`
  sink "http" "out" { url = "`+dest.URL+`/hook" }
}`, exp)
	if status, body := post(t, e, "/in", []byte(`{"name":"ada"}`), map[string]string{"content-type": "application/json"}); status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body)
	}
	got := dest.wait(t, 1)
	if string(got[0].Body) != `{"text":"hello ada"}` {
		t.Fatalf("body %s", got[0].Body)
	}
	stop()
	spans := exp.GetSpans()
	receive, attempt := one(t, spans, "receive"), one(t, spans, "attempt")
	if receive.Parent.IsValid() || receive.SpanKind != trace.SpanKindServer {
		t.Fatalf("receive: parent %v kind %v", receive.Parent, receive.SpanKind)
	}
	// Verify and enqueue are stages of the one receive span, in order,
	// not spans of their own.
	if ev := eventNames(receive); len(ev) != 2 || ev[0] != "verified" || ev[1] != "enqueued" {
		t.Fatalf("receive events %v, want [verified enqueued]", ev)
	}
	for _, n := range []string{"verify", "enqueue"} {
		if slices.Contains(names(spans), n) {
			t.Fatalf("a %q span was recorded; spans %v", n, names(spans))
		}
	}
	// The attempt joins the event's trace through the stored traceparent
	// (JetStream message headers).
	childOf(t, attempt, receive)
	transform, send := one(t, spans, "transform"), one(t, spans, "send")
	childOf(t, transform, attempt)
	childOf(t, send, attempt)
	if attempt.SpanKind != trace.SpanKindConsumer || attr(attempt, "hookferry.outcome") != "success" ||
		attr(attempt, "hookferry.sink") != "out" || attr(attempt, "hookferry.attempt") != "1" || attr(receive, "http.response.status_code") != "202" {
		t.Fatalf("attempt %v %v, receive %v", attempt.SpanKind, attempt.Attributes, receive.Attributes)
	}
	if attr(attempt, "hookferry.event.id") == "" || attr(attempt, "hookferry.event.id") != attr(receive, "hookferry.event.id") {
		t.Fatalf("event ids: attempt %q receive %q", attr(attempt, "hookferry.event.id"), attr(receive, "hookferry.event.id"))
	}
	// The destination saw the send span as its parent.
	want := "00-" + send.SpanContext.TraceID().String() + "-" + send.SpanContext.SpanID().String() + "-01"
	if tp := got[0].Header.Get("Traceparent"); tp != want {
		t.Fatalf("outbound traceparent %q, want %q", tp, want)
	}
}

// eventNames lists a span's events in order.
func eventNames(s tracetest.SpanStub) []string {
	var out []string
	for _, e := range s.Events {
		out = append(out, e.Name)
	}
	return out
}

func TestRejectedRequestIsOneReceiveSpanWhoseVerifiedEventCarriesTheError(t *testing.T) {
	exp := newKeptSpans()
	e, stop := tracedEngine(t, `
telemetry {
  otlp_endpoint = "http://127.0.0.1:9"
  sample_ratio  = 1
}
pipeline "p" {
  source "http" {
    path = "/in"
    token { secrets = ["right-token"] }
  }
  sink "http" "out" { url = "http://127.0.0.1:9/hook" }
}`, exp)
	status, _ := post(t, e, "/in", []byte(`{}`), map[string]string{"authorization": "wrong-token"})
	stop()
	if status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", status)
	}
	spans := exp.GetSpans()
	if got := names(spans); len(got) != 1 || got[0] != "receive" {
		t.Fatalf("spans %v, want only receive", got)
	}
	receive := spans[0]
	if attr(receive, "http.response.status_code") != "401" || len(receive.Events) != 1 || receive.Events[0].Name != "verified" {
		t.Fatalf("receive attributes %v events %v", receive.Attributes, eventNames(receive))
	}
	var msg string
	for _, a := range receive.Events[0].Attributes {
		if a.Key == "error.message" {
			msg = a.Value.AsString()
		}
	}
	if msg == "" || strings.Contains(msg, "wrong-token") || strings.Contains(msg, "right-token") {
		t.Fatalf("verified event error %q: want the rejection, without the token", msg)
	}
}

func TestInboundTraceparentIsTheReceiveSpansParent(t *testing.T) {
	const (
		inTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
		inParent = "00f067aa0ba902b7"
	)
	dest := newDestination(t)
	exp := newKeptSpans()
	e, stop := tracedEngine(t, `
telemetry { otlp_endpoint = "http://127.0.0.1:9" }
`+tracedPipeline+`
  sink "http" "out" { url = "`+dest.URL+`/hook" }
}`, exp)
	if status, _ := post(t, e, "/in", []byte(`{"name":"bo"}`), map[string]string{"traceparent": "00-" + inTrace + "-" + inParent + "-01"}); status != http.StatusAccepted {
		t.Fatalf("status %d", status)
	}
	got := dest.wait(t, 1)
	stop()
	spans := exp.GetSpans()
	receive := one(t, spans, "receive")
	if receive.SpanContext.TraceID().String() != inTrace || receive.Parent.SpanID().String() != inParent || !receive.Parent.IsRemote() {
		t.Fatalf("receive trace %s parent %s", receive.SpanContext.TraceID(), receive.Parent.SpanID())
	}
	childOf(t, one(t, spans, "attempt"), receive)
	if tp := got[0].Header.Get("Traceparent"); len(tp) != 55 || tp[3:35] != inTrace {
		t.Fatalf("outbound traceparent %q is not in the sender's trace", tp)
	}
}

func TestSinkWithTraceContextFalseSendsNoTraceparent(t *testing.T) {
	traced, quiet := newDestination(t), newDestination(t)
	exp := newKeptSpans()
	e, stop := tracedEngine(t, `
telemetry { otlp_endpoint = "http://127.0.0.1:9" }
`+tracedPipeline+`
  sink "http" "traced" { url = "`+traced.URL+`/hook" }
  sink "http" "quiet" {
    url           = "`+quiet.URL+`/hook"
    trace_context = false
  }
}`, exp)
	if status, _ := post(t, e, "/in", []byte(`{"name":"cy"}`), nil); status != http.StatusAccepted {
		t.Fatalf("status %d", status)
	}
	tg, qg := traced.wait(t, 1), quiet.wait(t, 1)
	stop()
	if tg[0].Header.Get("Traceparent") == "" {
		t.Fatal("the default sink sent no traceparent")
	}
	if v, ok := qg[0].Header["Traceparent"]; ok {
		t.Fatalf("trace_context = false sent traceparent %q", v)
	}
	// The opted-out sink is still traced on this side.
	var attempts int
	for _, s := range exp.GetSpans() {
		if s.Name == "attempt" {
			attempts++
		}
	}
	if attempts != 2 {
		t.Fatalf("%d attempt spans, want one per sink", attempts)
	}
}

func TestSampleRatioZeroRecordsOnlyTracesTheSenderSampled(t *testing.T) {
	const inTrace = "0af7651916cd43dd8448eb211c80319c"
	dest := newDestination(t)
	exp := newKeptSpans()
	e, stop := tracedEngine(t, `
telemetry {
  otlp_endpoint = "http://127.0.0.1:9"
  sample_ratio  = 0
}
`+tracedPipeline+`
  sink "http" "out" { url = "`+dest.URL+`/hook" }
}`, exp)
	post(t, e, "/in", []byte(`{"name":"unsampled"}`), nil)
	dest.wait(t, 1)
	post(t, e, "/in", []byte(`{"name":"sampled"}`), map[string]string{"traceparent": "00-" + inTrace + "-b7ad6b7169203331-01"})
	got := dest.wait(t, 2)
	stop()
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID().String() != inTrace {
			t.Fatalf("span %s recorded in trace %s at ratio 0", s.Name, s.SpanContext.TraceID())
		}
	}
	one(t, exp.GetSpans(), "attempt")
	// Unsampled, the context still propagates (flags 00), so a
	// destination that samples can join.
	if tp := got[0].Header.Get("Traceparent"); len(tp) != 55 || tp[53:] != "00" {
		t.Fatalf("unsampled outbound traceparent %q", tp)
	}
}

func TestTracingOffAddsNoTraceparent(t *testing.T) {
	dest := newDestination(t)
	e, _ := tracedEngine(t, tracedPipeline+`
  sink "http" "out" { url = "`+dest.URL+`/hook" }
}`, nil)
	post(t, e, "/in", []byte(`{"name":"dee"}`), map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
	if h := dest.wait(t, 1)[0].Header; h.Get("Traceparent") != "" {
		t.Fatalf("tracing off sent traceparent %q", h.Get("Traceparent"))
	}
}

// otlpReceiver is an OTLP/HTTP collector on loopback: it decodes the
// protobuf export requests POSTed to /v1/traces and keeps the span names.
type otlpReceiver struct {
	mu    sync.Mutex
	names []string
	auth  []string
	bad   []string
}

func newOTLPReceiver(t *testing.T) (*otlpReceiver, string) {
	r := &otlpReceiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			r.mu.Lock()
			r.bad = append(r.bad, req.Method+" "+req.URL.Path+" "+req.Header.Get("Content-Type"))
			r.mu.Unlock()
			http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
			return
		}
		var body io.Reader = http.MaxBytesReader(w, req.Body, 8<<20)
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		var msg collectortrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &msg)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("X-Api-Key"))
		for _, rs := range msg.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					r.names = append(r.names, s.GetName())
				}
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	})}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
	return r, "http://" + ln.Addr().String()
}

func TestSpansReachAnOTLPHTTPCollector(t *testing.T) {
	collector, url := newOTLPReceiver(t)
	dest := newDestination(t)
	e, stop := tracedEngine(t, `
telemetry {
  otlp_endpoint = "`+url+`"
  headers       = { "x-api-key" = "k-1" }
}
`+tracedPipeline+`
  sink "http" "out" { url = "`+dest.URL+`/hook" }
}`, nil)
	for range 3 {
		if status, _ := post(t, e, "/in", []byte(`{"name":"eve"}`), nil); status != http.StatusAccepted {
			t.Fatalf("status %d", status)
		}
	}
	dest.wait(t, 3)
	stop() // flushes the batch to the collector
	collector.mu.Lock()
	defer collector.mu.Unlock()
	count := map[string]int{}
	for _, n := range collector.names {
		count[n]++
	}
	for _, n := range []string{"receive", "attempt", "transform", "send"} {
		if count[n] != 3 {
			t.Errorf("collector got %d %q spans, want 3 (all: %v)", count[n], n, count)
		}
	}
	if len(collector.bad) > 0 || len(collector.auth) == 0 || collector.auth[0] != "k-1" {
		t.Fatalf("bad requests %q, api keys %q", collector.bad, collector.auth)
	}
}
