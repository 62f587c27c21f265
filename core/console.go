package core

import (
	"context"
	"net/http"

	"github.com/hookferry/hookferry/core/internal/console"
)

// Console builds the web console for the admin server (admin.New asks
// once); its streams end when closing is closed.
func (e *Engine) Console(closing <-chan struct{}) http.Handler {
	return console.New(consoleBackend{e}, console.Options{Token: e.cfg.Admin.Token, Log: e.log, Closing: closing})
}

// consoleBackend adds to the engine what only the console asks for.
type consoleBackend struct{ *Engine }

// Sinks reports every sink's counters, backlog and breaker.
func (b consoleBackend) Sinks(ctx context.Context) ([]console.SinkStatus, error) {
	received := map[string]int64{}
	for _, p := range b.pipelines {
		received[p.Name] = p.Accepted.Load()
	}
	out := make([]console.SinkStatus, 0, len(b.workers))
	for _, w := range b.workers {
		s := w.Sink
		st := console.SinkStatus{Pipeline: w.Pipeline, Sink: s.Name, Type: s.Type, Received: received[w.Pipeline],
			Delivered: s.Stats.Delivered.Load(), Retried: s.Stats.Retried.Load(), Failed: s.Stats.Failed.Load()}
		if s.Breaker != nil {
			st.Breaker = s.Breaker.State().String()
		}
		if b.queue != nil {
			d, err := b.queue.Depth(ctx, w.Pipeline, s.Name)
			if err != nil {
				return nil, err
			}
			st.Pending, st.InFlight = d.Pending, d.InFlight
		}
		out = append(out, st)
	}
	return out, nil
}
