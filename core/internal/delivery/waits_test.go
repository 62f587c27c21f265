package delivery

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/sdk"
)

// hang is a destination that never answers: Deliver returns only when its
// context ends. While fail is set it fails at once instead.
type hang struct {
	calls atomic.Int64
	fail  atomic.Bool
	last  atomic.Value // DeliveryID of the last call
}

func (h *hang) Render(context.Context, sdk.Message) (*sdk.Outbound, error) {
	return nil, errors.New("unused")
}
func (h *hang) Close(context.Context) error { return nil }
func (h *hang) Deliver(ctx context.Context, m sdk.Message) error {
	h.calls.Add(1)
	h.last.Store(m.DeliveryID)
	if h.fail.Load() {
		return errors.New("destination down")
	}
	<-ctx.Done()
	return ctx.Err()
}

// handOut is a queue that hands out before at once and after only once
// its consumer has been told to stop: the way JetStream's pull loop may
// hand a worker one more message that it had already fetched.
type handOut struct {
	queue.Queue
	before, after []queue.Delivery
}

func (q *handOut) Consume(ctx context.Context, _, _ string, _ int, h queue.Handler) error {
	var wg sync.WaitGroup
	for _, d := range q.before {
		wg.Go(func() { h(ctx, d) })
	}
	<-ctx.Done()
	for _, d := range q.after {
		wg.Go(func() { h(ctx, d) })
	}
	wg.Wait()
	return nil
}

// TestShutdownCancelsAttemptsAtTheGraceAndStartsNoNewOne: shutdown begins
// (stop) at 1s with one attempt in flight on a destination that never
// answers, one delivery waiting on an open breaker whose cooldown ends
// during the grace, and one delivery handed out late. The waiting and the
// late ones go back to the queue at once, unattempted; the attempt in
// flight is cancelled when the grace ends (work, at 6s), and Run returns
// then.
func TestShutdownCancelsAttemptsAtTheGraceAndStartsNoNewOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dest := &hang{}
		b := NewBreaker("p/s", 1, 3*time.Second, nil)
		w := newWorker(t, &Sink{Name: "s", Sink: dest, Breaker: b, Concurrency: 4, Policy: Policy{MaxAttempts: 5, Initial: time.Second, Max: time.Second}})

		// Open the breaker with one failure; then let the hang begin.
		dest.fail.Store(true)
		w.Handle(context.Background(), newFake(9, "x"))
		if b.State() != gobreaker.StateOpen {
			t.Fatalf("breaker %s, want open", b.State())
		}
		time.Sleep(3*time.Second + time.Millisecond) // cooldown over: the next call is the trial
		dest.fail.Store(false)
		calls := dest.calls.Load()

		first, second, late := newFake(1, "x"), newFake(2, "x"), newFake(3, "x")
		q := &handOut{Queue: w.Queue, before: []queue.Delivery{first, second}, after: []queue.Delivery{late}}
		w.Queue = q
		stop, stopConsume := context.WithCancel(context.Background())
		work, cancelWork := context.WithCancel(context.Background())
		start := time.Now()
		time.AfterFunc(time.Second, stopConsume)
		time.AfterFunc(6*time.Second, cancelWork)
		var returned time.Duration
		done := make(chan struct{})
		go func() {
			_ = w.Run(stop, work)
			returned = time.Since(start)
			close(done)
		}()
		synctest.Wait()
		if n := dest.calls.Load() - calls; n != 1 {
			t.Fatalf("%d attempts started; want the half-open trial only", n)
		}
		// Whichever came first took the trial; the other waits.
		inFlight, waiting := first, second
		if dest.last.Load() == second.ID().String() {
			inFlight, waiting = second, first
		}
		time.Sleep(time.Second + 10*time.Millisecond) // shutdown has begun
		synctest.Wait()
		if how, _ := waiting.settled(); how != "nak" {
			t.Fatalf("the delivery waiting on the breaker settled %q at shutdown, want handed back", how)
		}
		if how, _ := late.settled(); how != "nak" {
			t.Fatalf("the delivery handed out after shutdown began settled %q, want handed back", how)
		}
		if how, _ := inFlight.settled(); how != "" {
			t.Fatalf("the attempt in flight settled %q before the grace ended", how)
		}
		<-done
		if returned != 6*time.Second {
			t.Fatalf("Run returned after %s, want at the end of the grace (6s)", returned)
		}
		if n := dest.calls.Load() - calls; n != 1 {
			t.Fatalf("%d attempts started in all; none may start after shutdown began", n)
		}
		if how, _ := inFlight.settled(); how != "nak" {
			t.Fatalf("the cancelled attempt settled %q, want handed back for after the restart", how)
		}
		for _, d := range []*fake{waiting, late} {
			if r, err := w.Queue.History().Get(context.Background(), d.ID()); err == nil {
				t.Fatalf("a delivery never attempted has a record: %+v", r)
			}
		}
	})
}

// busyFor is a transform whose pool has no free runtime for its first n
// calls.
type busyFor struct{ n atomic.Int64 }

func (b *busyFor) Transform(_ context.Context, m sdk.Message) ([]sdk.Message, error) {
	if b.n.Add(-1) >= 0 {
		time.Sleep(200 * time.Millisecond) // the transform's own wait for a runtime
		return nil, sdk.Busy(errors.New("script.js: no free runtime within 200ms (raise pool_size?)"))
	}
	return []sdk.Message{m}, nil
}
func (*busyFor) Close(context.Context) error { return nil }

// TestTransformWithNoFreeRuntimeWaitsWithoutSpendingAnAttempt: on its last
// attempt, a delivery whose transform has no free runtime ten times in a
// row waits and is then delivered: nothing is recorded for the waits,
// the breaker stays closed, and it is not dead-lettered.
func TestTransformWithNoFreeRuntimeWaitsWithoutSpendingAnAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &flaky{}
		b := NewBreaker("p/s", 1, time.Hour, nil)
		tr := &busyFor{}
		tr.n.Store(10)
		w := newWorker(t, &Sink{Name: "s", Sink: sink, Breaker: b, Transforms: []sdk.Transform{tr}, Policy: Policy{MaxAttempts: 3, Initial: time.Millisecond, Max: time.Millisecond}})
		d := newFake(1, "x")
		d.attempt = 3
		w.Handle(context.Background(), d)
		if how, reason := d.settled(); how != "ack" {
			t.Fatalf("settled %q (%s), want delivered after the waits", how, reason)
		}
		if sink.calls.Load() != 1 || b.State() != gobreaker.StateClosed {
			t.Fatalf("%d calls, breaker %s", sink.calls.Load(), b.State())
		}
		r, err := w.Queue.History().Get(context.Background(), d.ID())
		if err != nil || r.AttemptCount != 1 || r.State != queue.StateSucceeded {
			t.Fatalf("record %+v %v; want one attempt, succeeded", r, err)
		}

		// Busy until shutdown: handed back unattempted, no record.
		tr.n.Store(1 << 30)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		d2 := newFake(2, "x")
		d2.attempt = 3
		w.Handle(ctx, d2)
		if how, _ := d2.settled(); how != "nak" {
			t.Fatalf("busy until shutdown: settled %q, want handed back", how)
		}
		if _, err := w.Queue.History().Get(context.Background(), d2.ID()); err == nil {
			t.Fatal("a delivery that only waited for a runtime has a record")
		}
	})
}

// slowDest takes 2ms to answer.
type slowDest struct{}

func (slowDest) Render(context.Context, sdk.Message) (*sdk.Outbound, error) {
	return nil, errors.New("unused")
}
func (slowDest) Close(context.Context) error { return nil }
func (slowDest) Deliver(context.Context, sdk.Message) error {
	time.Sleep(2 * time.Millisecond)
	return nil
}

// TestRecordedDurationIsTheRequestAlone: a 2ms request that first waits a
// second for the rate limiter is recorded as 2ms, at the time it was sent.
func TestRecordedDurationIsTheRequestAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := rate.NewLimiter(1, 1)
		lim.Allow() // the token is spent: the next request waits 1s
		w := newWorker(t, &Sink{Name: "s", Sink: slowDest{}, Limiter: lim, Policy: Policy{MaxAttempts: 1}})
		d := newFake(1, "x")
		begin := time.Now()
		w.Handle(context.Background(), d)
		r, err := w.Queue.History().Get(context.Background(), d.ID())
		if err != nil || len(r.Attempts) != 1 {
			t.Fatalf("record %+v %v", r, err)
		}
		a := r.Attempts[0]
		if a.Duration != 2 {
			t.Fatalf("recorded %vms, want the request's 2ms", a.Duration)
		}
		if got := a.At.Sub(begin.UTC()); got != time.Second {
			t.Fatalf("recorded at +%s, want when the request went out (+1s)", got)
		}
	})
}
