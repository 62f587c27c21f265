package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/sdk"
)

// Sender sends one outbound request (*Client in the engine).
type Sender interface {
	Send(ctx context.Context, out *sdk.Outbound) (*sdk.Response, error)
}

// Sink is one named sink of a pipeline with its own transforms and
// delivery settings.
type Sink struct {
	Name        string
	Type        string
	Sink        sdk.Sink
	Transforms  []sdk.Transform
	Policy      Policy
	Concurrency int
	Ordered     bool
	// Limiter paces requests to the destination; nil means no limit.
	Limiter *rate.Limiter
	// Breaker opens after consecutive destination failures; while it is
	// open the sink's deliveries wait (and so its consumption pauses).
	// nil means no breaker.
	Breaker *Breaker
	Stats   Stats
}

// Stats counts settled deliveries of one sink.
type Stats struct {
	Delivered atomic.Int64 // events fully delivered
	Retried   atomic.Int64 // attempts that will be tried again
	Failed    atomic.Int64 // events given up (permanent or out of attempts)
}

// DefaultHoldEvery is how often a delivery that waits (on an open
// breaker) renews its lease on the queue, well inside the default ack
// wait of 30s.
const DefaultHoldEvery = 5 * time.Second

// Worker consumes one (pipeline, sink) delivery stream: it runs the
// pipeline's and the sink's transforms, renders, sends, classifies,
// records history and settles each delivery (ack, retry later, or dead).
type Worker struct {
	Pipeline string
	// Transforms is the pipeline's chain, run before the sink's own.
	Transforms []sdk.Transform
	Sink       *Sink
	Queue      queue.Queue
	Sender     Sender
	Log        *slog.Logger
	// Now and Rand are the clock and jitter source; nil means the real ones.
	Now  func() time.Time
	Rand func() float64
	// HoldEvery: see DefaultHoldEvery; 0 means it.
	HoldEvery time.Duration
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) holdEvery() time.Duration {
	if w.HoldEvery > 0 {
		return w.HoldEvery
	}
	return DefaultHoldEvery
}

// Consumer is the queue consumer this worker reads.
func (w *Worker) Consumer() queue.Consumer {
	return queue.Consumer{Name: w.Sink.Name, MaxInFlight: w.Sink.Concurrency, Ordered: w.Sink.Ordered}
}

// Run consumes the sink's deliveries until stop ends, then waits for the
// attempts in flight. Attempts run under work, which the caller cancels
// when the shutdown grace period is over.
func (w *Worker) Run(stop, work context.Context) error {
	return w.Queue.Consume(stop, w.Pipeline, w.Sink.Name, w.Sink.Concurrency, func(_ context.Context, d queue.Delivery) {
		w.Handle(work, d)
	})
}

// Handle processes one delivery, records the attempt and settles the
// delivery.
func (w *Worker) Handle(ctx context.Context, d queue.Delivery) {
	s := w.Sink
	ev := d.Event()
	var (
		v      sdk.Verdict
		status int
		start  time.Time
	)
	run := func() Result {
		start = w.now()
		v, status = w.attempt(ctx, ev, d.ID())
		if v.Outcome == sdk.Retry {
			return Failed
		}
		return Passed
	}
	if s.Breaker != nil {
		// Refusals are waited out: a delivery held back by the breaker
		// spends no attempt.
		if err := s.Breaker.Do(ctx, func() { _ = d.InProgress() }, w.holdEvery(), run); err != nil {
			_ = d.Nak(0) // shutting down while waiting
			return
		}
	} else {
		run()
	}
	dur := w.now().Sub(start)
	log := w.Log.With("pipeline", w.Pipeline, "sink", s.Name, "event_id", ev.ID, "delivery", d.ID().String(), "attempt", d.Attempt())
	if v.Outcome != sdk.Success && ctx.Err() != nil {
		// Shutting down: this is not the destination's fault. Deliver
		// again soon (after a restart, with a durable queue).
		_ = d.Nak(0)
		return
	}
	a := queue.Attempt{At: start.UTC(), Duration: float64(dur.Microseconds()) / 1000, Status: status, Outcome: v.Outcome.String(), Reason: v.Reason}
	switch retry, delay := s.Policy.Next(v, d.Attempt(), w.Rand); {
	// History first, then the counters, then the queue: whoever sees a
	// count (a test, an operator) finds the record already written.
	case v.Outcome == sdk.Success:
		msg := "delivered"
		if v.Reason == reasonDropped {
			msg = reasonDropped
		}
		log.Info(msg, "duration", dur)
		w.record(ctx, d, a, queue.StateSucceeded, time.Time{})
		s.Stats.Delivered.Add(1)
		_ = d.Ack()
	case retry:
		log.Warn("attempt failed; will retry", "reason", v.Reason, "retry_in", delay.Round(time.Millisecond), "duration", dur)
		w.record(ctx, d, a, queue.StateRetrying, start.Add(delay))
		s.Stats.Retried.Add(1)
		_ = d.Nak(delay)
	default:
		why := "permanent failure"
		if v.Outcome == sdk.Retry {
			why = fmt.Sprintf("out of attempts (%d)", s.Policy.MaxAttempts)
		}
		log.Error("delivery failed: "+why+"; dead-lettered", "reason", v.Reason, "duration", dur)
		w.record(ctx, d, a, queue.StateDead, time.Time{})
		s.Stats.Failed.Add(1)
		_ = d.Term(v.Reason)
	}
}

// record adds the attempt to the delivery's history. History is for
// people; failing to write it never fails the delivery.
func (w *Worker) record(ctx context.Context, d queue.Delivery, a queue.Attempt, state string, next time.Time) {
	if w.Queue == nil {
		return
	}
	h := w.Queue.History()
	id := d.ID()
	var r *queue.Record
	// The first attempt of an event that was not replayed has no record
	// yet: skip the read (one store round trip per event).
	if d.Attempt() > 1 || d.Replayed() {
		r, _ = h.Get(ctx, id)
	}
	if r == nil {
		ev := d.Event()
		r = &queue.Record{ID: id.String(), Pipeline: id.Pipeline, Sink: id.Sink, EventID: ev.ID, EventType: ev.Type, Seq: id.Seq, Created: a.At}
	}
	if d.Replayed() && d.Attempt() == 1 {
		r.Replays++
	}
	r.AddAttempt(a)
	r.State, r.NextAttempt, r.Updated = state, next, w.now().UTC()
	if err := h.Put(ctx, r); err != nil {
		w.Log.Warn("history not recorded", "delivery", id.String(), "error", err)
	}
}

const reasonDropped = "dropped by transform"

// attempt runs the transforms and delivers every resulting message. A
// split event that fails part-way is retried whole: delivery is at least
// once.
func (w *Worker) attempt(ctx context.Context, ev *sdk.Event, id queue.DeliveryID) (sdk.Verdict, int) {
	msgs := []sdk.Message{sdk.MessageFromEvent(ev)}
	var err error
	for _, chain := range [][]sdk.Transform{w.Transforms, w.Sink.Transforms} {
		if msgs, err = runChain(ctx, chain, msgs); err != nil {
			return Classify(nil, fmt.Errorf("transform: %w", err), w.now()), 0
		}
	}
	if len(msgs) == 0 {
		return sdk.Verdict{Outcome: sdk.Success, Reason: reasonDropped}, 0
	}
	status := 0
	for i, m := range msgs {
		m.DeliveryID, m.Index = id.String(), i
		v, st := w.deliver(ctx, m)
		status = st
		if v.Outcome != sdk.Success {
			return v, status
		}
	}
	return sdk.Verdict{Outcome: sdk.Success}, status
}

func runChain(ctx context.Context, chain []sdk.Transform, msgs []sdk.Message) ([]sdk.Message, error) {
	for _, t := range chain {
		var next []sdk.Message
		for _, m := range msgs {
			out, err := t.Transform(ctx, m)
			if err != nil {
				return nil, err
			}
			next = append(next, out...)
		}
		msgs = next
		if len(msgs) == 0 {
			break
		}
	}
	return msgs, nil
}

func (w *Worker) deliver(ctx context.Context, m sdk.Message) (sdk.Verdict, int) {
	s := w.Sink
	if s.Limiter != nil {
		if err := s.Limiter.Wait(ctx); err != nil {
			return sdk.Verdict{Outcome: sdk.Retry, Reason: "rate limit wait: " + err.Error()}, 0
		}
	}
	if dl, ok := s.Sink.(sdk.Deliverer); ok {
		return Classify(&sdk.Response{StatusCode: http.StatusOK}, dl.Deliver(ctx, m), w.now()), 0
	}
	out, err := s.Sink.Render(ctx, m)
	if err != nil {
		return Classify(nil, fmt.Errorf("render: %w", err), w.now()), 0
	}
	resp, err := w.Sender.Send(ctx, out)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if in, ok := s.Sink.(sdk.Interpreter); ok && err == nil {
		// The sink reads the answer and words the reason itself.
		return in.Interpret(ctx, out, resp), status
	}
	v := Classify(resp, err, w.now())
	if v.Outcome != sdk.Success && resp != nil && len(resp.Body) > 0 {
		v.Reason += ": " + snippet(resp.Body)
	}
	return v, status
}

// snippet is a bounded, printable start of a response body for logs.
func snippet(b []byte) string {
	const limit = 256
	s := strings.ToValidUTF8(string(b[:min(len(b), limit)]), "?")
	if len(b) > limit {
		s += "…"
	}
	return strings.TrimSpace(s)
}
