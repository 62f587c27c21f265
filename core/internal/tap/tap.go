package tap

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// Hub fans accepted events out to watchers. Publishing never blocks the
// ingress: a watcher that falls behind loses events, and the count of
// what it lost is reported on its stream.
type Hub struct {
	n    atomic.Int32 // subscribers: the ingress pays one load when nobody watches
	mu   sync.Mutex
	subs map[*Sub]struct{}
}

// Sub is one watcher.
type Sub struct {
	pipeline string
	c        chan Event
	dropped  atomic.Uint64
}

// C delivers the watcher's events.
func (s *Sub) C() <-chan Event { return s.c }

// Dropped returns and resets how many events this watcher lost because it
// read too slowly.
func (s *Sub) Dropped() uint64 { return s.dropped.Swap(0) }

// Event is what a watcher sees of an accepted event: everything but the
// secrets a sender put in headers.
type Event struct {
	ID          string            `json:"id"`
	Type        string            `json:"type,omitempty"`
	Source      string            `json:"source"`
	Pipeline    string            `json:"pipeline"`
	ReceivedAt  time.Time         `json:"received_at"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	// Body is the raw body (base64 in JSON).
	Body []byte `json:"body"`
}

// FromEvent builds the watcher's view of ev, secrets removed.
func FromEvent(ev *sdk.Event) Event {
	return Event{
		ID: ev.ID, Type: ev.Type, Source: ev.Source, Pipeline: ev.Pipeline, ReceivedAt: ev.ReceivedAt,
		ContentType: ev.ContentType, Headers: Headers(ev.Header), Body: ev.Body,
	}
}

// Subscribe watches one pipeline ("" for all) with a buffer of n events.
func (h *Hub) Subscribe(pipeline string, n int) *Sub {
	s := &Sub{pipeline: pipeline, c: make(chan Event, max(n, 1))}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Sub]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.n.Store(int32(len(h.subs)))
	h.mu.Unlock()
	return s
}

// Unsubscribe stops a watcher.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.n.Store(int32(len(h.subs)))
	h.mu.Unlock()
}

// Publish offers an accepted event to every watcher of its pipeline.
func (h *Hub) Publish(ev *sdk.Event) {
	if h == nil || h.n.Load() == 0 {
		return
	}
	var view *Event
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.pipeline != "" && s.pipeline != ev.Pipeline {
			continue
		}
		if view == nil {
			v := FromEvent(ev)
			view = &v
		}
		select {
		case s.c <- *view:
		default:
			s.dropped.Add(1)
		}
	}
}

// Headers flattens headers for a watcher or a fixture and leaves out every
// one that may carry a credential: authorization and cookies, and any
// whose name speaks of a token, signature, secret, HMAC or key. Sources
// already remove the headers they checked; this also covers what they did
// not know about.
func Headers(h sdk.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if Secret(k) {
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// Secret reports whether a header name may carry a credential.
func Secret(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, w := range []string{"token", "signature", "secret", "hmac", "api-key", "apikey", "password"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
