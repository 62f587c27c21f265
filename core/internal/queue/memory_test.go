package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// backends runs a test against both queue implementations.
func backends(t *testing.T, f func(t *testing.T, q Queue)) {
	t.Run("memory", func(t *testing.T) { f(t, NewMemory(100)) })
	for _, gc := range []bool{false, true} {
		name := "jetstream"
		if gc {
			name = "jetstream_group_commit"
		}
		t.Run(name, func(t *testing.T) {
			q, err := OpenJetStream(context.Background(), JetStreamConfig{Dir: t.TempDir(), AckWait: time.Second, GroupCommit: gc})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = q.Close(context.Background()) })
			f(t, q)
		})
	}
}

type seen struct {
	consumer string
	id       string
	attempt  int
}

func TestFanOutAckNak(t *testing.T) {
	backends(t, func(t *testing.T, q Queue) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := q.Declare(ctx, "p", []Consumer{{Name: "a", MaxInFlight: 2}, {Name: "b", MaxInFlight: 2}}); err != nil {
			t.Fatal(err)
		}
		got := make(chan seen, 100)
		var wg sync.WaitGroup
		for _, name := range []string{"a", "b"} {
			wg.Go(func() {
				_ = q.Consume(ctx, "p", name, 2, func(_ context.Context, d Delivery) {
					got <- seen{name, d.Event().ID, d.Attempt()}
					if d.ID().Sink != name || d.ID().Pipeline != "p" || d.ID().Seq == 0 {
						t.Errorf("delivery id %v", d.ID())
					}
					if name == "b" && d.Attempt() < 3 {
						// A retry is recorded before the nak, as the worker
						// does: the attempt count comes from the record (a
						// nak without one is a hand-back, no attempt).
						r := &Record{ID: d.ID().String(), Pipeline: "p", Sink: name, Seq: d.ID().Seq, State: StateRetrying}
						for range d.Attempt() {
							r.AddAttempt(Attempt{Outcome: "retry"})
						}
						if err := q.History().Put(ctx, r); err != nil {
							t.Error(err)
						}
						_ = d.Nak(10 * time.Millisecond)
						return
					}
					_ = d.Ack()
				})
			})
		}
		ev := &sdk.Event{ID: "e1", Pipeline: "p", Type: "t", Source: "s", Body: []byte(`{"a":1}`), ContentType: "application/json",
			Header: sdk.Header{"x-a": {"1"}}, ReceivedAt: time.Unix(100, 0).UTC()}
		if dup, err := q.Publish(ctx, ev); err != nil || dup {
			t.Fatal(dup, err)
		}
		want := map[seen]bool{{"a", "e1", 1}: true, {"b", "e1", 1}: true, {"b", "e1", 2}: true, {"b", "e1", 3}: true}
		for range len(want) {
			select {
			case s := <-got:
				if !want[s] {
					t.Fatalf("unexpected %+v", s)
				}
				delete(want, s)
			case <-time.After(10 * time.Second):
				t.Fatalf("missing %v", want)
			}
		}
		select {
		case s := <-got:
			t.Fatalf("extra delivery %+v", s)
		case <-time.After(100 * time.Millisecond):
		}
		cancel()
		wg.Wait()
	})
}

func TestEventRoundTrips(t *testing.T) {
	backends(t, func(t *testing.T, q Queue) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_ = q.Declare(ctx, "p", []Consumer{{Name: "a", MaxInFlight: 1}})
		in := &sdk.Event{ID: "e1", Pipeline: "p", Type: "push", Source: "github", Body: []byte{0, 1, 2, 'x'},
			ContentType: "application/octet-stream", Header: sdk.Header{"x-multi": {"1", "2"}}, ReceivedAt: time.Unix(100, 5).UTC()}
		_, _ = q.Publish(ctx, in)
		out := make(chan *sdk.Event, 1)
		go q.Consume(ctx, "p", "a", 1, func(_ context.Context, d Delivery) { out <- d.Event(); _ = d.Ack() })
		select {
		case ev := <-out:
			if ev.ID != in.ID || ev.Type != in.Type || ev.Source != in.Source || ev.Pipeline != in.Pipeline ||
				string(ev.Body) != string(in.Body) || ev.ContentType != in.ContentType || !ev.ReceivedAt.Equal(in.ReceivedAt) ||
				len(ev.Header["x-multi"]) != 2 {
				t.Fatalf("event changed:\n in %+v\nout %+v", in, ev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no delivery")
		}
	})
}

func TestDedupReplayHistory(t *testing.T) {
	backends(t, func(t *testing.T, q Queue) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_ = q.Declare(ctx, "p", []Consumer{{Name: "a", MaxInFlight: 1}})
		ev := &sdk.Event{ID: "same", Pipeline: "p", Body: []byte("x")}
		if dup, err := q.Publish(ctx, ev); dup || err != nil {
			t.Fatal(dup, err)
		}
		if dup, err := q.Publish(ctx, &sdk.Event{ID: "same", Pipeline: "p", Body: []byte("y")}); !dup || err != nil {
			t.Fatalf("second publish: dup=%v err=%v", dup, err)
		}
		ids := make(chan DeliveryID, 10)
		go q.Consume(ctx, "p", "a", 1, func(_ context.Context, d Delivery) { ids <- d.ID(); _ = d.Term("test") })
		var first DeliveryID
		select {
		case first = <-ids:
		case <-time.After(10 * time.Second):
			t.Fatal("no delivery")
		}
		select {
		case id := <-ids:
			t.Fatalf("duplicate delivered as %v", id)
		case <-time.After(200 * time.Millisecond):
		}
		h := q.History()
		rec := &Record{ID: first.String(), Pipeline: "p", Sink: "a", EventID: "same", Seq: first.Seq, State: StateDead, Updated: time.Now()}
		rec.AddAttempt(Attempt{At: time.Now(), Status: 400, Outcome: "fail", Reason: "400 Bad Request"})
		if err := h.Put(ctx, rec); err != nil {
			t.Fatal(err)
		}
		got, err := h.Get(ctx, first)
		if err != nil || got.State != StateDead || len(got.Attempts) != 1 || got.Attempts[0].Status != 400 {
			t.Fatalf("get: %+v %v", got, err)
		}
		list, err := h.List(ctx, Filter{State: StateDead, Sink: "a", Pipeline: "p"})
		if err != nil || len(list) != 1 || list[0].ID != first.String() {
			t.Fatalf("list: %v %v", list, err)
		}
		if list, _ := h.List(ctx, Filter{State: StateSucceeded}); len(list) != 0 {
			t.Fatalf("state filter: %v", list)
		}
		if err := q.Replay(ctx, first); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-ids:
			if id != first {
				t.Fatalf("replay came as %v, want %v", id, first)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("replay not delivered")
		}
		if err := q.Replay(ctx, DeliveryID{Pipeline: "p", Sink: "a", Seq: 999}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("replay of a missing event: %v", err)
		}
		if _, err := h.Get(ctx, DeliveryID{Pipeline: "p", Sink: "a", Seq: 999}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get of a missing record: %v", err)
		}
	})
}

func TestMemoryFullRefusesWholePublish(t *testing.T) {
	q := NewMemory(2)
	ctx := context.Background()
	_ = q.Declare(ctx, "p", []Consumer{{Name: "a"}})
	for i := range 2 {
		if _, err := q.Publish(ctx, &sdk.Event{ID: string(rune('0' + i)), Pipeline: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.Publish(ctx, &sdk.Event{ID: "x", Pipeline: "p"}); !errors.Is(err, ErrFull) {
		t.Fatalf("err = %v, want ErrFull", err)
	}
	if _, err := q.Publish(ctx, &sdk.Event{ID: "x", Pipeline: "nope"}); err == nil {
		t.Fatal("publish to an undeclared pipeline accepted")
	}
	_ = q.Close(ctx)
	if _, err := q.Publish(ctx, &sdk.Event{ID: "y", Pipeline: "p"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestParseDeliveryID(t *testing.T) {
	id, err := ParseDeliveryID("github-to-slack.chat.42")
	if err != nil || id != (DeliveryID{"github-to-slack", "chat", 42}) || id.String() != "github-to-slack.chat.42" {
		t.Fatal(id, err)
	}
	for _, bad := range []string{"", "a.b", "a.b.0", "a.b.x", ".b.1", "a..1", "a.b.c.1"} {
		if _, err := ParseDeliveryID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMemoryHistoryEvictsOldest(t *testing.T) {
	q := NewMemory(3)
	h := q.History()
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		_ = h.Put(ctx, &Record{ID: DeliveryID{"p", "s", uint64(i)}.String(), Seq: uint64(i), State: StateSucceeded})
	}
	// Rewriting a kept record does not make it newer for eviction.
	_ = h.Put(ctx, &Record{ID: DeliveryID{"p", "s", 3}.String(), Seq: 3, State: StateDead})
	list, _ := h.List(ctx, Filter{})
	if len(list) != 3 || list[0].Seq != 3 || list[2].Seq != 5 || list[0].State != StateDead {
		t.Fatalf("kept %+v, want 3, 4, 5", list)
	}
}
