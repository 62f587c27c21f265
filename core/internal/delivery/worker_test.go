package delivery

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/sdk"
)

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

func newWorker(t *testing.T, s *Sink) *Worker {
	t.Helper()
	q := queue.NewMemory(10)
	w := &Worker{Pipeline: "p", Sink: s, Queue: q, Log: slog.New(slog.DiscardHandler), Sender: NewClient(Egress{})}
	if err := q.Declare(context.Background(), "p", []queue.Consumer{w.Consumer()}); err != nil {
		t.Fatal(err)
	}
	return w
}

// newOKFalseServer answers every request 200 {"ok":false,"error":"ratelimited"},
// the way Slack's Web API reports a rate limit.
func newOKFalseServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
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
	policy := Policy{MaxAttempts: 3, Initial: time.Second, Max: time.Minute}
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
			w := newWorker(t, &Sink{Name: "s", Sink: c, Policy: policy, Transforms: []sdk.Transform{upper{}}})
			w.Transforms = []sdk.Transform{upper{}}
			w.Rand = half
			d := &settled{ev: &sdk.Event{ID: "e", Body: []byte(tt.body)}, attempt: tt.attempt}
			w.Handle(context.Background(), d)
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
	w := newWorker(t, &Sink{Name: "s", Sink: interpreting{url: srv}, Policy: Policy{MaxAttempts: 5, Initial: time.Millisecond, Max: time.Millisecond}})
	d := &settled{ev: &sdk.Event{ID: "e", Body: []byte("{}")}, attempt: 1}
	w.Handle(context.Background(), d)
	if d.how != "nak" || d.delay != 30*time.Second {
		t.Fatalf("a 200 with ok:false settled %s after %s, want nak after 30s", d.how, d.delay)
	}
}
