package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

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

func newPipeline(t *testing.T, src sdk.Source, capacity int) *Pipeline {
	t.Helper()
	q := queue.NewMemory(capacity)
	p := &Pipeline{Name: "p", SourceType: "test", Source: src, Queue: q, Log: slog.New(slog.DiscardHandler)}
	if err := q.Declare(context.Background(), "p", []queue.Consumer{{Name: "s"}}); err != nil {
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
			p := newPipeline(t, tt.src, 10)
			resp := p.Serve(context.Background(), &sdk.Request{ReceivedAt: time.Unix(1, 0)})
			if resp.StatusCode != tt.status || string(resp.Body) != tt.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
		})
	}
}

func TestServeStampsEvent(t *testing.T) {
	src := &scripted{rec: sdk.Receipt{Event: &sdk.Event{ID: "e"}}}
	p := newPipeline(t, src, 10)
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
	p := newPipeline(t, src, 1)
	if r := p.Serve(context.Background(), &sdk.Request{}); r.StatusCode != 202 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	src.rec.Event = &sdk.Event{ID: "e2"}
	r := p.Serve(context.Background(), &sdk.Request{})
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("retry-after") == "" {
		t.Fatalf("queue full: %d retry-after=%q, want 503 with Retry-After", r.StatusCode, r.Header.Get("retry-after"))
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
		p := newPipeline(t, src, 10)
		p.Events = []string{"push", "pull_request.*"}
		if r := p.Serve(context.Background(), &sdk.Request{}); r.StatusCode != tt.status {
			t.Errorf("type %q: %d, want %d", tt.typ, r.StatusCode, tt.status)
		}
	}
}

func TestServeDuplicateIs2xxAndNotQueued(t *testing.T) {
	src := &scripted{rec: sdk.Receipt{Event: &sdk.Event{ID: "same"}}}
	p := newPipeline(t, src, 10)
	if r := p.Serve(context.Background(), &sdk.Request{}); r.StatusCode != 202 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	src.rec.Event = &sdk.Event{ID: "same"}
	r := p.Serve(context.Background(), &sdk.Request{})
	if r.StatusCode != 200 || string(r.Body) != `{"id":"same","duplicate":true}` {
		t.Fatalf("duplicate: %d %s", r.StatusCode, r.Body)
	}
}
