package queue

import (
	"context"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// TestDepthReportsOldestAndDead: Depth tells when the oldest unsettled
// delivery was stored (pending or handed out), zero once all are settled,
// and counts the dead letters written, in both queues.
func TestDepthReportsOldestAndDead(t *testing.T) {
	backends(t, func(t *testing.T, q Queue) {
		ctx := context.Background()
		if err := q.Declare(ctx, "p", []Consumer{{Name: "a", MaxInFlight: 2}, {Name: "b", MaxInFlight: 1}}); err != nil {
			t.Fatal(err)
		}
		before := time.Now().Add(-time.Second) // the store's clock may round
		for _, id := range []string{"e1", "e2"} {
			if _, err := q.Publish(ctx, &sdk.Event{ID: id, Pipeline: "p", Body: []byte(id)}); err != nil {
				t.Fatal(err)
			}
		}
		after := time.Now().Add(time.Second)
		// JetStream updates a consumer's counts just after the publish is
		// acknowledged.
		d := waitDepth(t, q, "a", func(d Depth) bool { return d.Pending == 2 && d.InFlight == 0 && d.Dead == 0 })
		if d.Oldest.Before(before) || d.Oldest.After(after) {
			t.Fatalf("oldest %v not within [%v, %v]", d.Oldest, before, after)
		}

		// Consume a: e1 dead-lettered (recorded dead, then Term), e2 held
		// unsettled so that it is in flight.
		cctx, cancel := context.WithCancel(ctx)
		held := make(chan Delivery, 2)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = q.Consume(cctx, "p", "a", 2, func(_ context.Context, dl Delivery) {
				if dl.Event().ID == "e1" {
					id := dl.ID()
					r := &Record{ID: id.String(), Pipeline: id.Pipeline, Sink: id.Sink, Seq: id.Seq, State: StateDead}
					if err := q.History().Put(ctx, r); err != nil {
						t.Error(err)
					}
					_ = dl.Term("no")
					return
				}
				held <- dl
			})
		}()
		var e2 Delivery
		select {
		case e2 = <-held:
		case <-time.After(10 * time.Second):
			t.Fatal("e2 not delivered")
		}
		waitDepth(t, q, "a", func(d Depth) bool { return d.Pending == 0 && d.InFlight == 1 && d.Dead == 1 && !d.Oldest.IsZero() })
		_ = e2.Ack()
		waitDepth(t, q, "a", func(d Depth) bool { return d.Pending == 0 && d.InFlight == 0 && d.Dead == 1 && d.Oldest.IsZero() })
		// The other consumer is untouched.
		if d, _ := q.Depth(ctx, "p", "b"); d.Pending != 2 || d.Dead != 0 || d.Oldest.IsZero() {
			t.Fatalf("b: %+v, want 2 pending, none dead", d)
		}
		cancel()
		<-done
	})
}

func waitDepth(t *testing.T, q Queue, consumer string, ok func(Depth) bool) Depth {
	t.Helper()
	var d Depth
	for range 500 {
		var err error
		if d, err = q.Depth(context.Background(), "p", consumer); err != nil {
			t.Fatal(err)
		}
		if ok(d) {
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("depth of %s stuck at %+v", consumer, d)
	return d
}
