package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/sdk"
)

// scripted is a source whose answer the test sets.
type scripted struct {
	rec sdk.Receipt
	err error
}

func (s *scripted) Receive(context.Context, *sdk.Request) (sdk.Receipt, error) { return s.rec, s.err }
func (s *scripted) Close(context.Context) error                                { return nil }

// collector is a non-HTTP sink (Deliverer) that records messages and
// fails while told to.
type collector struct {
	mu   sync.Mutex
	got  []string
	fail error
}

func (c *collector) Render(context.Context, sdk.Message) (*sdk.Outbound, error) {
	return nil, errors.New("unused")
}
func (c *collector) Close(context.Context) error { return nil }
func (c *collector) Deliver(_ context.Context, m sdk.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.got = append(c.got, string(m.Body))
	return nil
}

func newPipeline(t *testing.T, src sdk.Source, capacity int, sinks ...*Sink) *Pipeline {
	t.Helper()
	q := queue.NewMemory(capacity)
	p := &Pipeline{Name: "p", SourceType: "test", Source: src, Sinks: sinks, Queue: q, Log: slog.New(slog.DiscardHandler), Sender: delivery.NewClient(delivery.Egress{})}
	if err := q.Declare(context.Background(), "p", p.Consumers()); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeAnswers(t *testing.T) {
	ev := func() *sdk.Event { return &sdk.Event{ID: "e", Body: []byte("{}")} }
	tests := []struct {
		name   string
		src    *scripted
		status int
		body   string
	}{
		{"accepted", &scripted{rec: sdk.Receipt{Event: ev()}}, 202, `{"id":"e"}`},
		{"rejected", &scripted{err: sdk.Unauthorized(errors.New("bad signature detail"))}, 401, `{"error":"unauthorized"}`},
		{"custom reject", &scripted{err: sdk.Reject(422, "unprocessable", nil)}, 422, `{"error":"unprocessable"}`},
		{"source broke", &scripted{err: errors.New("internal detail")}, 500, `{"error":"internal error"}`},
		{"handshake", &scripted{rec: sdk.Receipt{Reply: &sdk.Response{StatusCode: 200, Body: []byte("challenge")}}}, 200, "challenge"},
		{"filtered", &scripted{rec: sdk.Receipt{}}, 204, ""},
		{"event with custom reply", &scripted{rec: sdk.Receipt{Event: ev(), Reply: &sdk.Response{StatusCode: 200, Body: []byte("ok")}}}, 200, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, tt.src, 10, &Sink{Name: "s", Sink: &collector{}})
			resp := p.Serve(context.Background(), &sdk.Request{ReceivedAt: time.Unix(1, 0)})
			if resp.StatusCode != tt.status || string(resp.Body) != tt.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
		})
	}
}

func TestServeStampsEvent(t *testing.T) {
	src := &scripted{rec: sdk.Receipt{Event: &sdk.Event{ID: "e"}}}
	p := newPipeline(t, src, 10, &Sink{Name: "s", Sink: &collector{}})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.Serve(context.Background(), &sdk.Request{ReceivedAt: at})
	if ev := src.rec.Event; ev.Pipeline != "p" || ev.Source != "test" || !ev.ReceivedAt.Equal(at) {
		t.Fatalf("event %+v", ev)
	}
}

// TestServeStoreFailureIs503: a sender never gets a 2xx for an event that
// was not stored.
func TestServeStoreFailureIs503(t *testing.T) {
	src := &scripted{rec: sdk.Receipt{Event: &sdk.Event{ID: "e1"}}}
	p := newPipeline(t, src, 1, &Sink{Name: "s", Sink: &collector{}})
	if r := p.Serve(context.Background(), &sdk.Request{}); r.StatusCode != 202 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	src.rec.Event = &sdk.Event{ID: "e2"}
	r := p.Serve(context.Background(), &sdk.Request{})
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("retry-after") == "" {
		t.Fatalf("queue full: %d retry-after=%q, want 503 with Retry-After", r.StatusCode, r.Header.Get("retry-after"))
	}
}

type upper struct{}

func (upper) Transform(_ context.Context, m sdk.Message) ([]sdk.Message, error) {
	if string(m.Body) == "drop" {
		return nil, nil
	}
	if string(m.Body) == "bad" {
		return nil, sdk.Permanent(errors.New("cannot"))
	}
	return []sdk.Message{{Event: m.Event, Body: append([]byte("T:"), m.Body...)}, {Event: m.Event, Body: []byte("extra")}}, nil
}
func (upper) Close(context.Context) error { return nil }

// settled records how Handle settled a delivery.
type settled struct {
	ev      *sdk.Event
	attempt int
	how     string
	delay   time.Duration
}

func (s *settled) Event() *sdk.Event { return s.ev }
func (s *settled) Attempt() int      { return s.attempt }
func (s *settled) Ack() error        { s.how = "ack"; return nil }
func (s *settled) Nak(d time.Duration) error {
	s.how, s.delay = "nak", d
	return nil
}
func (s *settled) Term(string) error { s.how = "term"; return nil }
func (s *settled) InProgress() error { return nil }
func (s *settled) Replayed() bool    { return false }
func (s *settled) ID() queue.DeliveryID {
	return queue.DeliveryID{Pipeline: "p", Sink: "s", Seq: 1}
}

func TestHandleSettles(t *testing.T) {
	policy := delivery.Policy{MaxAttempts: 3, Initial: time.Second, Max: time.Minute}
	half := func() float64 { return 0.5 }
	tests := []struct {
		name      string
		body      string
		fail      error
		attempt   int
		how       string
		delay     time.Duration
		delivered []string
	}{
		{"chain of two transforms", "x", nil, 1, "ack", 0, []string{"T:T:x", "extra", "T:extra", "extra"}},
		{"dropped", "drop", nil, 1, "ack", 0, nil},
		{"permanent transform error", "bad", nil, 1, "term", 0, nil},
		{"sink error retries with backoff", "x", errors.New("disk busy"), 1, "nak", 500 * time.Millisecond, nil},
		{"sink error out of attempts", "x", errors.New("disk busy"), 3, "term", 0, nil},
		{"permanent sink error", "x", sdk.Permanent(errors.New("never")), 1, "term", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &collector{fail: tt.fail}
			s := &Sink{Name: "s", Sink: c, Policy: policy, Transforms: []sdk.Transform{upper{}}}
			p := newPipeline(t, &scripted{}, 10, s)
			p.Transforms = []sdk.Transform{upper{}}
			p.Rand = half
			d := &settled{ev: &sdk.Event{ID: "e", Body: []byte(tt.body)}, attempt: tt.attempt}
			p.Handle(context.Background(), s, d)
			if d.how != tt.how || d.delay != tt.delay {
				t.Fatalf("settled %s after %s, want %s after %s", d.how, d.delay, tt.how, tt.delay)
			}
			if len(c.got) != len(tt.delivered) {
				t.Fatalf("delivered %q, want %q", c.got, tt.delivered)
			}
			for i := range c.got {
				if c.got[i] != tt.delivered[i] {
					t.Fatalf("delivered %q, want %q", c.got, tt.delivered)
				}
			}
		})
	}
}

// interpreting is an HTTP sink that overrides the default reading of a
// response, as Slack's 200 {"ok":false} needs.
type interpreting struct{ url string }

func (i interpreting) Render(_ context.Context, m sdk.Message) (*sdk.Outbound, error) {
	return &sdk.Outbound{Method: "POST", URL: i.url, Body: m.Body}, nil
}
func (interpreting) Close(context.Context) error { return nil }
func (interpreting) Interpret(_ context.Context, _ *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	if string(r.Body) == `{"ok":false,"error":"ratelimited"}` {
		return sdk.Verdict{Outcome: sdk.Retry, RetryAfter: 30 * time.Second, Reason: "ratelimited"}
	}
	return sdk.Verdict{Outcome: sdk.Success}
}

func TestInterpreterOverridesDefault(t *testing.T) {
	srv := newOKFalseServer(t)
	s := &Sink{Name: "s", Sink: interpreting{url: srv}, Policy: delivery.Policy{MaxAttempts: 5, Initial: time.Millisecond, Max: time.Millisecond}}
	p := newPipeline(t, &scripted{}, 10, s)
	d := &settled{ev: &sdk.Event{ID: "e", Body: []byte("{}")}, attempt: 1}
	p.Handle(context.Background(), s, d)
	if d.how != "nak" || d.delay != 30*time.Second {
		t.Fatalf("a 200 with ok:false settled %s after %s, want nak after 30s", d.how, d.delay)
	}
}

func TestEventFilter(t *testing.T) {
	tests := []struct {
		typ    string
		status int
	}{
		{"push", 202},
		{"pull_request.opened", 202},
		{"pull_request", 200},
		{"issues.opened", 200},
		{"", 200},
	}
	for _, tt := range tests {
		src := &scripted{rec: sdk.Receipt{Event: &sdk.Event{ID: "e", Type: tt.typ}}}
		p := newPipeline(t, src, 10, &Sink{Name: "s", Sink: &collector{}})
		p.Events = []string{"push", "pull_request.*"}
		if r := p.Serve(context.Background(), &sdk.Request{}); r.StatusCode != tt.status {
			t.Errorf("type %q: %d, want %d", tt.typ, r.StatusCode, tt.status)
		}
	}
}

func TestServeDuplicateIs2xxAndNotQueued(t *testing.T) {
	src := &scripted{rec: sdk.Receipt{Event: &sdk.Event{ID: "same"}}}
	p := newPipeline(t, src, 10, &Sink{Name: "s", Sink: &collector{}})
	if r := p.Serve(context.Background(), &sdk.Request{}); r.StatusCode != 202 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	src.rec.Event = &sdk.Event{ID: "same"}
	r := p.Serve(context.Background(), &sdk.Request{})
	if r.StatusCode != 200 || string(r.Body) != `{"id":"same","duplicate":true}` {
		t.Fatalf("duplicate: %d %s", r.StatusCode, r.Body)
	}
}
