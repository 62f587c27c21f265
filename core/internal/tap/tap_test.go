package tap

import (
	"testing"

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
