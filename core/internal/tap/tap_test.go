package tap

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

func TestWatchersGetTheirPipelineWithoutSecrets(t *testing.T) {
	var h Hub
	h.Publish(&sdk.Event{ID: "nobody-watches", Pipeline: "a"}) // must not block or panic
	a := h.Subscribe("a", 4)
	all := h.Subscribe("", 4)
	ev := &sdk.Event{ID: "e1", Pipeline: "a", Body: []byte(`{}`), Header: sdk.Header{
		"x-github-event": {"push"}, "authorization": {"Bearer s3cret"}, "x-gitlab-token": {"t"},
		"stripe-signature": {"t=1,v1=ab"}, "x-api-key": {"k"}, "content-type": {"application/json"},
	}}
	h.Publish(ev)
	h.Publish(&sdk.Event{ID: "e2", Pipeline: "b"})
	got := <-a.C()
	if got.ID != "e1" || got.Headers["x-github-event"] != "push" || got.Headers["content-type"] != "application/json" {
		t.Fatalf("event %+v", got)
	}
	for _, k := range []string{"authorization", "x-gitlab-token", "stripe-signature", "x-api-key"} {
		if _, ok := got.Headers[k]; ok {
			t.Errorf("header %s reached a watcher", k)
		}
	}
	if len(a.C()) != 0 {
		t.Fatal("a watcher of pipeline a got pipeline b's event")
	}
	if e := <-all.C(); e.ID != "e1" {
		t.Fatalf("all-pipelines watcher: %v", e.ID)
	}
	if e := <-all.C(); e.ID != "e2" {
		t.Fatalf("all-pipelines watcher: %v", e.ID)
	}
}

func TestSlowWatcherLosesEventsAndIsTold(t *testing.T) {
	var h Hub
	s := h.Subscribe("p", 2)
	for range 5 {
		h.Publish(&sdk.Event{ID: "x", Pipeline: "p"})
	}
	if n := s.Dropped(); n != 3 {
		t.Fatalf("dropped %d, want 3", n)
	}
	if n := s.Dropped(); n != 0 {
		t.Fatalf("Dropped does not reset: %d", n)
	}
	h.Unsubscribe(s)
	h.Publish(&sdk.Event{ID: "y", Pipeline: "p"})
	if len(s.C()) != 2 {
		t.Fatal("an unsubscribed watcher still receives")
	}
}

func BenchmarkPublishNobodyWatching(b *testing.B) {
	var h Hub
	ev := &sdk.Event{ID: "x", Pipeline: "p"}
	for b.Loop() {
		h.Publish(ev)
	}
}

// TestStreamSaysHowManyWereDroppedThenSendsTheEvent: a watcher that fell
// behind is told how many events it lost before the next one, each event
// is one "webhook" message with its id, and the stream ends when the
// server closes.
func TestStreamSaysHowManyWereDroppedThenSendsTheEvent(t *testing.T) {
	var h Hub
	sub := h.Subscribe("p", 1)
	for _, id := range []string{"a", "b", "c"} {
		h.Publish(&sdk.Event{ID: id, Pipeline: "p"})
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/tap", nil)
	if !StartStream(rec, "watching p") {
		t.Fatal("a recorder can stream")
	}
	closing := make(chan struct{})
	done := make(chan struct{})
	go func() {
		Stream(rec, req, closing, sub, func(ev Event) []byte {
			close(closing) // the server closes once this event is on its way
			return []byte(`{"id":"` + ev.ID + `"}`)
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end when the server closed")
	}
	got := rec.Body.String()
	want := ": watching p\n\nevent: dropped\ndata: 2\n\nevent: webhook\nid: a\ndata: {\"id\":\"a\"}\n\n"
	if got != want {
		t.Fatalf("stream:\n%q\nwant\n%q", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
}
