package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/sdk"
)

// heldHistory is a real queue whose history writes wait until release
// is closed: a store that is slow to take records.
type heldHistory struct {
	queue.Queue
	release chan struct{}
}

func (q *heldHistory) History() queue.History { return heldPut{q.Queue.History(), q.release} }

type heldPut struct {
	queue.History
	release chan struct{}
}

func (h heldPut) Put(ctx context.Context, r *queue.Record) error {
	<-h.release
	return h.History.Put(ctx, r)
}

// settleRun starts a worker of a sink with concurrency 1 over a memory
// queue whose history writes are held, publishes n events and waits
// until everything is blocked. It returns what the sink got, the queue,
// a function that releases the history writes, and the stop of Run
// with a channel closed when Run has returned.
func settleRun(t *testing.T, ordered bool, n int) (c *collector, q *heldHistory, release, stop func(), ran chan struct{}) {
	mem := queue.NewMemory(100)
	q = &heldHistory{Queue: mem, release: make(chan struct{})}
	c = &collector{}
	w := &Worker{Pipeline: "p", Queue: q, Log: slog.New(slog.DiscardHandler), Sender: NewClient(Egress{}),
		Sink: &Sink{Name: "s", Sink: c, Concurrency: 1, Ordered: ordered, Policy: Policy{MaxAttempts: 3, Initial: time.Second, Max: time.Minute}}}
	ctx := t.Context()
	if err := q.Declare(ctx, "p", []queue.Consumer{w.Consumer()}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	ran = make(chan struct{})
	go func() {
		defer close(ran)
		_ = w.Run(runCtx, ctx)
	}()
	for i := range n {
		if _, err := q.Publish(ctx, &sdk.Event{ID: fmt.Sprint("e", i), Pipeline: "p", Body: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	synctest.Wait()
	return c, q, sync1(func() { close(q.release) }), cancel, ran
}

// sync1 makes f safe to call more than once.
func sync1(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}

// A finished attempt's settle (its history record, then the ack) does not
// hold the sink's concurrency: with concurrency 1 and the store slow to
// take records, the next event reaches the destination while the first
// one's record is still being written. At most concurrency settles run
// beside the attempts; with those busy the next one settles in line, so
// a slow store still bounds delivery. Every record is written and every
// delivery acknowledged once the store takes them.
func TestSettleDoesNotHoldTheSinksConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, q, release, stop, ran := settleRun(t, false, 3)
		defer release()
		// Event 0 settles beside; event 1 is sent, then settles in line
		// (the one settler is busy) and holds the only slot; event 2 waits.
		if got := c.count(); got != 2 {
			t.Fatalf("the sink got %d events while the first record was being written, want 2 (one settling beside, one in line)", got)
		}
		release()
		synctest.Wait()
		if got := c.count(); got != 3 {
			t.Fatalf("the sink got %d of 3 events after the store took the records", got)
		}
		recs, err := q.History().List(t.Context(), queue.Filter{Pipeline: "p"})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("%d records, want 3", len(recs))
		}
		for _, r := range recs {
			if r.State != queue.StateSucceeded {
				t.Fatalf("record %s is %s, want succeeded", r.ID, r.State)
			}
		}
		dep, err := q.Depth(t.Context(), "p", "s")
		if err != nil {
			t.Fatal(err)
		}
		if dep.Pending+dep.InFlight != 0 {
			t.Fatalf("depth %+v after every settle, want nothing pending or in flight", dep)
		}
		stop()
		<-ran
	})
}

// An ordered sink settles in line: the next event is not sent before the
// one ahead of it is recorded and acknowledged.
func TestOrderedSinkSettlesInLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, release, stop, ran := settleRun(t, true, 2)
		defer release()
		if got := c.count(); got != 1 {
			t.Fatalf("the ordered sink got %d events while the first record was being written, want 1", got)
		}
		release()
		synctest.Wait()
		if got := c.count(); got != 2 {
			t.Fatalf("the ordered sink got %d of 2 events", got)
		}
		stop()
		<-ran
	})
}

// Run returns only once the settles it started are done: the engine
// closes the queue after Run, and a record or ack still being written
// then would be lost (the delivery would be sent again).
func TestRunWaitsForSettles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, q, release, stop, ran := settleRun(t, false, 1)
		defer release()
		if got := c.count(); got != 1 {
			t.Fatalf("the sink got %d events, want 1", got)
		}
		stop()
		synctest.Wait()
		select {
		case <-ran:
			t.Fatal("Run returned while a settle was still writing its record")
		default:
		}
		release()
		synctest.Wait()
		select {
		case <-ran:
		default:
			t.Fatal("Run did not return once the settle was done")
		}
		recs, err := q.History().List(t.Context(), queue.Filter{Pipeline: "p", State: queue.StateSucceeded})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 {
			t.Fatalf("%d succeeded records after Run returned, want 1", len(recs))
		}
	})
}
