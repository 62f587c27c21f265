package queue

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookferry/hookferry/sdk"
)

// The index keeps an id for the window (and at most a slot more), places
// an id read back at open in the generation of its own time, ignores one
// already out of the window, and lets go of whole generations.
func TestIDIndexKeepsTheWindow(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	x := newIDIndex(16*time.Hour, func() time.Time { return now }) // slots of 1 h
	x.add("p/a", 1, now)
	x.add("p/old", 2, now.Add(-10*time.Hour)) // read back at open
	x.add("p/gone", 3, now.Add(-17*time.Hour))
	for id, want := range map[string]uint64{"p/a": 1, "p/old": 2} {
		if seq, ok := x.lookup(id); !ok || seq != want {
			t.Fatalf("lookup %s = %d, %v; want %d", id, seq, ok, want)
		}
	}
	if _, ok := x.lookup("p/gone"); ok {
		t.Fatal("an id older than the window was kept")
	}
	if _, ok := x.lookup("p/never"); ok {
		t.Fatal("an id never added was found")
	}
	if n := x.held(); n != 2 {
		t.Fatalf("held %d, want 2", n)
	}
	// "old" was stored 10 h ago: its generation goes once the window has
	// passed the end of its hour, "a" still stays.
	now = now.Add(7 * time.Hour)
	if _, ok := x.lookup("p/old"); ok {
		t.Fatal("p/old kept past the window and its slot")
	}
	if _, ok := x.lookup("p/a"); !ok {
		t.Fatal("p/a let go inside the window")
	}
	now = now.Add(10 * time.Hour)
	if _, ok := x.lookup("p/a"); ok {
		t.Fatal("p/a kept past the window and its slot")
	}
	if n, g := x.held(), len(x.gens); n != 0 || g != 0 {
		t.Fatalf("held %d ids in %d generations after the window, want none", n, g)
	}
	for _, g := range x.gens[:cap(x.gens)] {
		if g.ids != nil {
			t.Fatal("a dropped generation's map is still reachable from the index")
		}
	}
	// The same id stored again: the newest sequence answers.
	x.add("p/b", 10, now.Add(-2*time.Hour))
	x.add("p/b", 11, now)
	if seq, _ := x.lookup("p/b"); seq != 11 {
		t.Fatalf("lookup p/b = %d, want the newer 11", seq)
	}
}

// dedupStore opens an embedded store whose server forgets ids after
// 100 ms (its least), with pipeline p; the read at open takes the ids of
// the last 150 ms first.
func dedupStore(t *testing.T, dir string, noIndex bool) *JetStream {
	t.Helper()
	q, err := OpenJetStream(t.Context(), JetStreamConfig{Dir: dir, DedupWindow: time.Hour, serverDedup: 100 * time.Millisecond, noIDIndex: noIndex, recentIDs: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Declare(t.Context(), "p", []Consumer{{Name: "s", MaxInFlight: 4}}); err != nil {
		t.Fatal(err)
	}
	return q
}

// serverForgot waits until the server no longer takes key for a
// duplicate: a raw publish under that id (to a pipeline nobody reads)
// is stored. The server then remembers key again: pass the id of an
// event stored after the ones the test repeats (the server lets ids go
// in the order it took them).
func serverForgot(t *testing.T, q *JetStream, key string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msg := nats.NewMsg(subjEvents + "probe")
		msg.Header.Set(jetstream.MsgIDHeader, key)
		ack, err := q.js.PublishMsg(t.Context(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if !ack.Duplicate {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still took %s for a duplicate after 30s", key)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func publish(t *testing.T, q *JetStream, id string) bool {
	t.Helper()
	dup, err := q.Publish(t.Context(), &sdk.Event{ID: id, Pipeline: "p", Body: []byte(id)})
	if err != nil {
		t.Fatal(err)
	}
	return dup
}

// A repeat after the server's short window, within dedup_window, is
// still a duplicate: the index remembers it. The events stream gives the
// server only the short window, so its memory does not hold the ids.
func TestDedupOutlivesTheServersWindow(t *testing.T) {
	q := dedupStore(t, t.TempDir(), false)
	defer q.Close(context.Background())
	if publish(t, q, "x") {
		t.Fatal("a first event was taken for a duplicate")
	}
	publish(t, q, "later")
	serverForgot(t, q, "p/later")
	if !publish(t, q, "x") {
		t.Fatal("a repeat within dedup_window was stored again once the server's window had passed")
	}
	info, err := q.events.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Duplicates != 100*time.Millisecond {
		t.Fatalf("the events stream keeps ids for %v, want the short window", info.Config.Duplicates)
	}
	if n := q.ids.held(); n != 2 {
		t.Fatalf("the index holds %d ids, want 2", n)
	}
}

// The ids of events stored before a restart are read back at open: the
// recent ones first, then the older ones.
func TestDedupIDsAreReadBackAtOpen(t *testing.T) {
	dir := t.TempDir()
	q := dedupStore(t, dir, false)
	for _, id := range []string{"x", "y"} {
		publish(t, q, id)
	}
	time.Sleep(300 * time.Millisecond) // x and y are older than the recent pass
	for _, id := range []string{"z", "later"} {
		publish(t, q, id)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	q = dedupStore(t, dir, false)
	defer q.Close(context.Background())
	<-q.idsLoaded
	if n := q.ids.held(); n != 4 {
		t.Fatalf("the index holds %d ids after the restart, want 4", n)
	}
	serverForgot(t, q, "p/later")
	for _, id := range []string{"x", "y", "z"} {
		if !publish(t, q, id) {
			t.Fatalf("a repeat of %s stored before the restart was stored again", id)
		}
	}
	if publish(t, q, "new") {
		t.Fatal("a new event was taken for a duplicate")
	}
}

// A hash in the index is only a hint: the stored event's id decides. Two
// ids that share a hash are both stored (never one taken for the other's
// repeat), and an event no longer stored is not a duplicate.
func TestDedupConfirmsAgainstTheStoredEvent(t *testing.T) {
	q := dedupStore(t, t.TempDir(), false)
	defer q.Close(context.Background())
	q.ids.hashOf = func(string) uint64 { return 7 }
	if publish(t, q, "x") || publish(t, q, "y") {
		t.Fatal("an event whose id shares a hash with a stored one was taken for a duplicate")
	}
	if !publish(t, q, "y") {
		t.Fatal("a repeat of y was stored again")
	}
	q.ids.hashOf = nil
	publish(t, q, "w")
	publish(t, q, "later")
	seq, ok := q.ids.lookup("p/w")
	if !ok {
		t.Fatal("w not in the index")
	}
	if err := q.events.DeleteMsg(t.Context(), seq); err != nil {
		t.Fatal(err)
	}
	serverForgot(t, q, "p/later")
	if publish(t, q, "w") {
		t.Fatal("a repeat of an event no longer stored was taken for a duplicate (it would be lost)")
	}
}

// Without the index (an external server) the server keeps the whole
// window.
func TestServerKeepsTheWholeWindowWithoutTheIndex(t *testing.T) {
	q := dedupStore(t, t.TempDir(), true)
	defer q.Close(context.Background())
	if q.ids != nil {
		t.Fatal("an index without need")
	}
	info, err := q.events.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Duplicates != time.Hour {
		t.Fatalf("the events stream keeps ids for %v, want dedup_window", info.Config.Duplicates)
	}
	publish(t, q, "x")
	if !publish(t, q, "x") {
		t.Fatal("a repeat was stored again")
	}
}

// idVariants: the dedup index, and the server keeping the whole window.
var idVariants = []struct {
	name    string
	noIndex bool
}{{"index", false}, {"server", true}}

// publishDistinct stores n events with distinct ids of 43 characters
// and tiny bodies.
func publishDistinct(b *testing.B, q *JetStream, n int) {
	for i := range n {
		if _, err := q.Publish(context.Background(), &sdk.Event{ID: fmt.Sprintf("%08x-4c1b-11f1-9e3a-%012x", i, i), Pipeline: "github", Body: []byte("{}")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDedupIDMemory stores b.N events with distinct ids (tiny
// bodies) and reports the heap they leave behind per event, once the
// server's block caches have expired: with the index (the server's own
// window cut to 1 s, which it has let go of by then, as it has let go
// of all but the last 10 s over a day) and with the server keeping
// the whole 24 h window (as before, and with an external server).
//
//	go test -run '^$' -bench DedupIDMemory -benchtime 200000x ./core/internal/queue
func BenchmarkDedupIDMemory(b *testing.B) {
	for _, v := range idVariants {
		b.Run(v.name, func(b *testing.B) {
			ctx := context.Background()
			q, err := OpenJetStream(ctx, JetStreamConfig{Dir: b.TempDir(), noIDIndex: v.noIndex, serverDedup: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close(ctx)
			if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 4}}); err != nil {
				b.Fatal(err)
			}
			before := settledHeap(0)
			b.ResetTimer()
			publishDistinct(b, q, b.N)
			b.StopTimer()
			after := settledHeap(15 * time.Second) // past the 10 s block-cache expiry
			b.ReportMetric(float64(int64(after)-int64(before))/float64(b.N), "heap-B/event")
		})
	}
}

// settledHeap is the live heap after a collection, once it has stopped
// falling (for at most wait).
func settledHeap(wait time.Duration) uint64 {
	var m runtime.MemStats
	deadline := time.Now().Add(wait)
	last := ^uint64(0)
	for {
		runtime.GC()
		runtime.ReadMemStats(&m)
		if m.HeapAlloc >= last && time.Now().After(deadline.Add(-wait/2)) || time.Now().After(deadline) {
			return m.HeapAlloc
		}
		last = min(last, m.HeapAlloc)
		if wait == 0 {
			return m.HeapAlloc
		}
		time.Sleep(time.Second)
	}
}

// BenchmarkReadIDsAtOpen measures the open of a store holding b.N
// events within the dedup window, up to the end of reading their ids
// back (which runs beside the open, events taken meanwhile), per event;
// against the server keeping the whole window, which reads its own ids
// as it starts (before the store opens).
//
//	go test -run '^$' -bench ReadIDsAtOpen -benchtime 100000x ./core/internal/queue
func BenchmarkReadIDsAtOpen(b *testing.B) {
	for _, v := range idVariants {
		b.Run(v.name, func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			cfg := JetStreamConfig{Dir: dir, noIDIndex: v.noIndex}
			q, err := OpenJetStream(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			publishDistinct(b, q, b.N)
			if err := q.Close(ctx); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			q, err = OpenJetStream(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			<-q.idsLoaded // read beside the open: timed to its end
			b.StopTimer()
			if q.ids != nil && q.ids.held() != b.N {
				b.Fatalf("read back %d ids, want %d", q.ids.held(), b.N)
			}
			_ = q.Close(ctx)
		})
	}
}

// An event whose caller gave up while it was being stored may be stored
// all the same: asking again under its id (within the server's window)
// puts it in the index, so a repeat long after is still a duplicate (and
// one never stored is stored then: the caller was told it failed, so its
// sender sends again, and that repeat is a duplicate).
func TestAbandonedPublishIsIndexed(t *testing.T) {
	q := dedupStore(t, t.TempDir(), false)
	defer q.Close(context.Background())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := q.Publish(ctx, &sdk.Event{ID: "gave-up", Pipeline: "p", Body: []byte("x")}); err == nil {
		t.Fatal("a publish whose caller gave up reported success")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := q.ids.lookup("p/gave-up"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the abandoned event's id never entered the index")
		}
		time.Sleep(10 * time.Millisecond)
	}
	publish(t, q, "later")
	serverForgot(t, q, "p/later")
	if !publish(t, q, "gave-up") {
		t.Fatal("the sender's repeat of an abandoned event was stored again")
	}
}
