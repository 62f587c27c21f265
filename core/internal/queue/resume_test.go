package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// TestConsumeStopThenResumeLosesNothing is what a config reload does to a
// sink's worker: stop one Consume while deliveries are in flight, a retry
// is scheduled and messages wait, then Consume again. Every event is
// settled exactly once, and the second Consume gets the rest at once
// (well within the ack wait of 30s: what the first pulled and did not
// start is handed back, not left to time out).
func TestConsumeStopThenResumeLosesNothing(t *testing.T) {
	open := map[string]func(t *testing.T) Queue{
		"memory": func(*testing.T) Queue { return NewMemory(100) },
		"jetstream": func(t *testing.T) Queue {
			q, err := OpenJetStream(context.Background(), JetStreamConfig{Dir: t.TempDir(), AckWait: 60 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return q
		},
	}
	for name, mk := range open {
		t.Run(name, func(t *testing.T) {
			const n = 20
			q := mk(t)
			t.Cleanup(func() { _ = q.Close(context.Background()) })
			ctx := context.Background()
			if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 2}}); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if _, err := q.Publish(ctx, &sdk.Event{ID: fmt.Sprintf("e%d", i), Pipeline: "p", Body: []byte("{}")}); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			acked := map[string]int{}
			ack := func(d Delivery) {
				mu.Lock()
				acked[d.Event().ID]++
				mu.Unlock()
				_ = d.Ack()
			}
			stop, cancel := context.WithCancel(ctx)
			entered, release := make(chan struct{}, n), make(chan struct{})
			var nakked sync.Once
			first := make(chan error, 1)
			go func() {
				first <- q.Consume(stop, "p", "s", 2, func(_ context.Context, d Delivery) {
					retry := false
					nakked.Do(func() { retry = true })
					if retry {
						_ = d.Nak(50 * time.Millisecond) // scheduled when the stop comes
						return
					}
					entered <- struct{}{}
					<-release // in flight across the stop
					ack(d)
				})
			}()
			for range 2 {
				select {
				case <-entered:
				case <-time.After(10 * time.Second):
					t.Fatal("deliveries did not start")
				}
			}
			cancel()
			close(release)
			select {
			case err := <-first:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Consume did not return after its context ended")
			}

			resumed := time.Now()
			second, cancel2 := context.WithCancel(ctx)
			defer cancel2()
			go func() { _ = q.Consume(second, "p", "s", 2, func(_ context.Context, d Delivery) { ack(d) }) }()
			// Well before the 60s ack wait: nothing pulled by the stopped
			// consumer waits it out (a loaded machine gets a wide margin).
			deadline := time.Now().Add(20 * time.Second)
			for {
				mu.Lock()
				got := len(acked)
				mu.Unlock()
				if got == n {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d events settled 20s after resuming (ack wait 60s)", got, n)
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for id, c := range acked {
				if c != 1 {
					t.Errorf("%s settled %d times", id, c)
				}
			}
			t.Logf("all settled %v after resuming", time.Since(resumed).Round(time.Millisecond))
		})
	}
}
