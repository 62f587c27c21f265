package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/telemetry"
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
	// Plugins guard the plugin processes the sink's components and the
	// pipeline's transforms run in; empty when all are built-in.
	Plugins []*PluginGuard
	// TraceContext sends traceparent with the sink's requests when
	// tracing is on (config: trace_context, default true).
	TraceContext bool
	Stats        Stats
}

// Stats counts settled deliveries of one sink.
type Stats struct {
	Delivered atomic.Int64 // events fully delivered
	Retried   atomic.Int64 // attempts that will be tried again
	Failed    atomic.Int64 // events given up (permanent or out of attempts)
}

// DefaultHoldEvery is how often a delivery that waits (on an open
// breaker) renews its lease on the queue, well inside the default ack
// wait of 30s (the engine uses a third of a shorter ack_wait).
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
	// PluginWait: see DefaultPluginWait; 0 means it.
	PluginWait time.Duration
	// Metrics counts transforms, attempts and outcomes; nil counts nothing.
	Metrics *telemetry.Sink
	// Trace makes a span per attempt (with transform and send children)
	// in the event's trace; nil is tracing off.
	Trace *telemetry.Tracing
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
// when the shutdown grace period is over. Once stop has ended no attempt
// starts: a delivery handed out late, or one still waiting (for the
// breaker, a plugin, the rate limiter or a transform runtime), goes back
// to the queue unattempted.
func (w *Worker) Run(stop, work context.Context) error {
	wait, cancel := context.WithCancel(work)
	defer cancel()
	defer context.AfterFunc(stop, cancel)()
	var bg *settler
	if !w.Sink.Ordered {
		bg = newSettler(max(w.Sink.Concurrency, 1))
		// Settles still writing finish before Run returns (and so before
		// the engine closes the queue).
		defer bg.close()
	}
	return w.Queue.Consume(stop, w.Pipeline, w.Sink.Name, w.Sink.Concurrency, func(_ context.Context, d queue.Delivery) {
		if stop.Err() != nil {
			_ = d.Nak(0)
			return
		}
		w.handle(wait, work, d, bg)
	})
}

// settler runs the settle of an attempt (history, counters, ack) beside
// the next attempt. A sink's concurrency is the number of requests to
// its destination in flight; the record of a finished one is a store
// write (and, with sync "always", a wait for the filesystem sync) that
// need not hold a slot the destination could use. Measured with
// tools/bench, concurrency 64 and 64 senders at saturation, interval +
// JS: the worker that settled in line delivered 0.81-0.85 of what was acked
// while the senders were sending (the backlog grew); settling beside,
// see the README's performance section.
//
// At most as many settles as the sink's concurrency run at once; when
// they are all busy the attempt settles in line, so the store's speed
// still bounds delivery. Ordered sinks always settle in line: the next
// delivery must not start before this one is acknowledged.
type settler struct {
	slots chan struct{} // one per settle handed over and not yet done
	jobs  chan func()
	wg    sync.WaitGroup
}

// newSettler starts n settling goroutines: long-lived, so a settle
// does not pay for a new goroutine and its stack growing.
func newSettler(n int) *settler {
	b := &settler{slots: make(chan struct{}, n), jobs: make(chan func(), n)}
	for range n {
		b.wg.Go(func() {
			for settle := range b.jobs {
				settle()
				<-b.slots
			}
		})
	}
	return b
}

// run runs settle beside the caller if fewer than n settles are under
// way, in line if not.
func (b *settler) run(settle func()) {
	if b == nil {
		settle()
		return
	}
	select {
	case b.slots <- struct{}{}:
		b.jobs <- settle // never blocks: at most n are handed over
	default:
		settle()
	}
}

// close waits for the settles under way.
func (b *settler) close() {
	close(b.jobs)
	b.wg.Wait()
}

// Handle processes one delivery, records the attempt and settles the
// delivery. Only an answer from the destination (or its silence) counts
// against the sink: a delivery held back by the breaker, by a plugin
// that is restarting or by a transform pool with no free runtime waits
// without spending an attempt. Both waits and attempts end with ctx.
func (w *Worker) Handle(ctx context.Context, d queue.Delivery) { w.handle(ctx, ctx, d, nil) }

// errNotAttempted: a wait ended (shutdown) before anything was sent.
var errNotAttempted = errors.New("not attempted: shutting down")

// handle is Handle with two contexts: waits end with wait, attempts in
// flight with work (wait ends no later than work). The settle of an
// attempt runs through bg (nil: before handle returns).
func (w *Worker) handle(wait, ctx context.Context, d queue.Delivery, bg *settler) {
	s := w.Sink
	ev := d.Event()
	did := d.ID().String()
	// Built only when a line is written: With formats its attributes at
	// once, which cost more than the rest of a delivery's bookkeeping.
	log := sync.OnceValue(func() *slog.Logger {
		return w.Log.With("pipeline", w.Pipeline, "sink", s.Name, "event_id", ev.ID, "delivery", did, "attempt", d.Attempt())
	})
	// The lease is renewed for as long as the delivery is held here or
	// by its settle, so an attempt longer than the queue's ack wait is
	// not handed out twice.
	stopLease := w.keepLease(d)
	handedOff := false
	defer func() {
		if !handedOff {
			stopLease()
		}
	}()
	var (
		v       sdk.Verdict
		status  int
		t       tried
		strikes int // plugin crashes while this delivery was the only one in it
	)
	for {
		if wait.Err() != nil {
			_ = d.Nak(0)
			return
		}
		gens := make([]uint64, len(s.Plugins))
		for i, p := range s.Plugins {
			gens[i] = p.Plugin.Generation()
		}
		var cerr error
		var down *PluginGuard
		if w.anyKnownDead(gens) {
			// Its process is known to be down: do not even try.
			down = s.Plugins[0]
			for i, g := range s.Plugins {
				if g.knownDead(gens[i]) {
					down = g
				}
			}
		} else if alone := w.enterPlugins(); w.restartedMeanwhile(gens) {
			// A process stopped while this delivery waited to enter (to
			// be alone in a recovering plugin): not its doing. Look again.
			w.leavePlugins(alone, false)
			continue
		} else {
			actx, aspan := w.Trace.StartAttempt(ctx, ev, w.Pipeline, s.Name, did, d.Attempt())
			v, status, t, cerr = w.attempt(wait, actx, ev, d.ID(), gens, func(r func() Result) error {
				if s.Breaker == nil {
					r()
					return nil
				}
				return s.Breaker.Do(wait, nil, 0, r)
			})
			telemetry.EndAttempt(aspan, v, status)
			if errors.Is(cerr, errNotAttempted) {
				w.leavePlugins(alone, false)
				_ = d.Nak(0)
				return
			}
			down = w.unavailable(cerr, gens)
			if down == nil && cerr == nil && v.Outcome == sdk.Retry {
				// An answer read by a plugin (Interpret) that stopped
				// meanwhile says nothing about the destination.
				if down = w.stoppedDuring(gens, true); down != nil {
					cerr = fmt.Errorf("plugin %s stopped during the attempt: %s", down.Plugin.Name(), v.Reason)
				}
			}
			w.leavePlugins(alone, down == nil)
			if ctx.Err() != nil && v.Outcome != sdk.Success {
				// Shutting down (perhaps while waiting): not the
				// destination's fault. Deliver again soon (after a
				// restart, with a durable queue).
				_ = d.Nak(0)
				return
			}
			if down == nil {
				break
			}
			suspect := slices.Contains(alone, down)
			log().Warn("plugin unavailable; the delivery waits for it without spending an attempt", "plugin", down.Plugin.Name(), "error", cerr)
			if !w.waitRestart(wait, d, gens) {
				if wait.Err() != nil {
					_ = d.Nak(0)
					return
				}
				// Still down after the bound: hand it back to the queue.
				log().Error("plugin still unavailable; delivery handed back to the queue", "plugin", down.Plugin.Name(), "waited", w.pluginWait())
				_ = d.Nak(w.pluginWait())
				return
			}
			// Blame only a process that ended on its own (not one an
			// operator killed) while this message was alone in it.
			if suspect && down.Plugin.Crashed(gens[slices.Index(s.Plugins, down)]) {
				strikes++
			}
			if strikes >= PoisonStrikes {
				v = sdk.Verdict{Outcome: sdk.Fail, Reason: fmt.Sprintf("plugin %s crashed %d times while it handled this message alone: a message that crashes the plugin is dead-lettered (last error: %v)", down.Plugin.Name(), strikes, cerr)}
				break
			}
			continue
		}
		if !w.waitRestart(wait, d, gens) {
			if wait.Err() != nil {
				_ = d.Nak(0)
				return
			}
			log().Error("plugin still unavailable; delivery handed back to the queue", "plugin", down.Plugin.Name(), "waited", w.pluginWait())
			_ = d.Nak(w.pluginWait())
			return
		}
	}
	// The recorded duration is the time spent on the destination's
	// requests, not the waits for transforms, the breaker or the limiter.
	start, dur := t.at, t.spent
	if start.IsZero() {
		start = w.now()
	}
	if v.Outcome != sdk.Success && v.Outcome != sdk.Retry && v.Outcome != sdk.Fail {
		// A verdict nobody filled in says nothing about the destination
		// and must never dead-letter a delivery: retry it.
		v = sdk.Verdict{Outcome: sdk.Retry, RetryAfter: v.RetryAfter, Reason: fmt.Sprintf("no verdict (outcome %d): %s", v.Outcome, cmp.Or(v.Reason, "the sink gave no reason"))}
	}
	if v.Outcome != sdk.Success && v.Reason == "" {
		v.Reason = "the sink gave no reason (" + v.Outcome.String() + ")"
	}
	a := queue.Attempt{At: start.UTC(), Duration: float64(dur.Microseconds()) / 1000, Status: status, Outcome: v.Outcome.String(), Reason: v.Reason}
	handedOff = true
	bg.run(func() {
		// The lease stops just before the queue hears of the outcome: a
		// renewal after a Nak would put the redelivery back to ack_wait.
		switch retry, delay := s.Policy.Next(v, d.Attempt(), w.Rand); {
		// History first, then the counters, then the queue: whoever sees a
		// count (a test, an operator) finds the record already written.
		case v.Outcome == sdk.Success:
			msg := "delivered"
			if v.Reason == reasonDropped {
				msg = reasonDropped
			}
			if w.Log.Enabled(ctx, slog.LevelInfo) {
				log().Info(msg, "duration", dur)
			}
			w.record(ctx, d, a, queue.StateSucceeded, time.Time{})
			s.Stats.Delivered.Add(1)
			w.Metrics.Settled(telemetry.Success)
			if !ev.ReceivedAt.IsZero() {
				w.Metrics.Delivered(w.now().Sub(ev.ReceivedAt))
			}
			stopLease()
			_ = d.Ack()
		case retry:
			log().Warn("attempt failed; will retry", "reason", v.Reason, "retry_in", delay.Round(time.Millisecond), "duration", dur)
			w.record(ctx, d, a, queue.StateRetrying, start.Add(delay))
			s.Stats.Retried.Add(1)
			w.Metrics.Settled(telemetry.Retry)
			w.Metrics.RetryAfter(v.RetryAfter)
			stopLease()
			_ = d.Nak(delay)
		default:
			why := "permanent failure"
			if v.Outcome == sdk.Retry {
				why = fmt.Sprintf("out of attempts (%d)", s.Policy.MaxAttempts)
			}
			log().Error("delivery failed: "+why+"; dead-lettered", "reason", v.Reason, "duration", dur)
			w.record(ctx, d, a, queue.StateDead, time.Time{})
			s.Stats.Failed.Add(1)
			w.Metrics.Settled(telemetry.Dead)
			stopLease()
			_ = d.Term(v.Reason)
		}
	})
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

// tried is when an attempt first reached the destination and how long
// its requests took (zero when none was sent).
type tried struct {
	at    time.Time
	spent time.Duration
}

// attempt runs the transforms, then delivers every resulting message
// through guard (the breaker: transforms say nothing about the
// destination, so they run outside it). A split event that fails
// part-way is retried whole: delivery is at least once. err is the
// component error behind a failed verdict, if any; errNotAttempted when
// wait ended while waiting.
func (w *Worker) attempt(wait, ctx context.Context, ev *sdk.Event, id queue.DeliveryID, gens []uint64, guard func(func() Result) error) (v sdk.Verdict, status int, t tried, err error) {
	t0 := w.now()
	tctx, tspan := w.Trace.Start(ctx, telemetry.SpanTransform)
	msgs, err := w.processWaiting(wait, tctx, ev)
	telemetry.End(tspan, err)
	if errors.Is(err, errNotAttempted) {
		return v, 0, t, err
	}
	if len(w.Transforms)+len(w.Sink.Transforms) > 0 {
		switch {
		case err == nil:
			w.Metrics.Transformed(w.now().Sub(t0))
		case ctx.Err() == nil && w.unavailable(err, nil) == nil:
			// A failure of the transform itself, not a shutdown or a
			// plugin process that went away.
			w.Metrics.TransformFailed(TransformErrorKind(err))
		}
	}
	if err != nil {
		return Classify(nil, fmt.Errorf("transform: %w", err), w.now()), 0, t, err
	}
	if len(msgs) == 0 {
		return sdk.Verdict{Outcome: sdk.Success, Reason: reasonDropped}, 0, t, nil
	}
	werr := guard(func() Result {
		v, status, err = sdk.Verdict{Outcome: sdk.Success}, 0, nil
		for i, m := range msgs {
			m.DeliveryID, m.Index = id.String(), i
			v, status, err = w.deliver(wait, ctx, m, &t)
			if v.Outcome != sdk.Success {
				break
			}
		}
		switch {
		case errors.Is(err, errNotAttempted) && t.at.IsZero():
			return Excluded
		case w.unavailable(err, nil) != nil || ctx.Err() != nil,
			err == nil && v.Outcome == sdk.Retry && w.stoppedDuring(gens, false) != nil:
			return Excluded
		case v.Outcome == sdk.Retry:
			return Failed
		}
		return Passed
	})
	if werr != nil {
		// Ended while waiting on the breaker: nothing was attempted.
		return v, 0, t, errNotAttempted
	}
	if errors.Is(err, errNotAttempted) && !t.at.IsZero() {
		// Part of a split event went out before the wait ended: it is
		// retried whole after the restart, like any attempt in flight.
		v, err = sdk.Verdict{Outcome: sdk.Retry, Reason: "shut down between the messages of a split event"}, nil
	}
	return v, status, t, err
}

// BusyPause is how long a delivery whose transform had no free runtime
// pauses before it asks again (the transform itself already waited its
// deadline for one).
const BusyPause = 50 * time.Millisecond

// processWaiting runs the transforms; while one is out of capacity
// (sdk.IsBusy: no free runtime), it waits and runs them again, spending
// no attempt, until wait ends (errNotAttempted).
func (w *Worker) processWaiting(wait, ctx context.Context, ev *sdk.Event) ([]sdk.Message, error) {
	for logged := false; ; logged = true {
		msgs, err := w.Process(ctx, ev)
		if !sdk.IsBusy(err) {
			return msgs, err
		}
		if !logged {
			w.Log.Warn("transform busy; the delivery waits for a free runtime without spending an attempt", "pipeline", w.Pipeline, "sink", w.Sink.Name, "event_id", ev.ID, "error", err)
		}
		t := time.NewTimer(BusyPause)
		select {
		case <-wait.Done():
			t.Stop()
			return nil, errNotAttempted
		case <-t.C:
		}
	}
}

// keepLease renews d's lease every holdEvery until the returned function
// is called.
func (w *Worker) keepLease(d queue.Delivery) (stop func()) {
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(w.holdEvery(), func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		_ = d.InProgress()
		t.Reset(w.holdEvery())
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}

// Process runs the pipeline's transforms and then the sink's on one event
// and returns the messages the sink is to send: an attempt's first half,
// also used offline (hookferry test) and by transform runs.
func (w *Worker) Process(ctx context.Context, ev *sdk.Event) ([]sdk.Message, error) {
	msgs := []sdk.Message{sdk.MessageFromEvent(ev)}
	var err error
	for _, chain := range [][]sdk.Transform{w.Transforms, w.Sink.Transforms} {
		if msgs, err = RunChain(ctx, chain, msgs); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// RunChain runs msgs through each transform in turn (one message may
// become none or several) and stops at the first error.
func RunChain(ctx context.Context, chain []sdk.Transform, msgs []sdk.Message) ([]sdk.Message, error) {
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

// deliver sends one message. Waiting for the rate limiter ends with wait
// (errNotAttempted) and is not part of the attempt's recorded duration:
// t gets the time of the first request and the time spent on requests.
func (w *Worker) deliver(wait, ctx context.Context, m sdk.Message, t *tried) (sdk.Verdict, int, error) {
	s := w.Sink
	if s.Limiter != nil {
		if err := w.waitRate(wait); err != nil {
			if wait.Err() != nil {
				return sdk.Verdict{Outcome: sdk.Retry, Reason: "rate limit wait: " + err.Error()}, 0, errNotAttempted
			}
			return sdk.Verdict{Outcome: sdk.Retry, Reason: "rate limit wait: " + err.Error()}, 0, nil
		}
	}
	begin := w.now()
	if t.at.IsZero() {
		t.at = begin
	}
	defer func() { t.spent += w.now().Sub(begin) }()
	ctx, span := w.Trace.StartSend(ctx, m.Index)
	v, status, err := w.send(ctx, m)
	telemetry.EndSend(span, v, status, err)
	return v, status, err
}

// send renders and sends one message (or hands it to a Deliverer) and
// reads the answer.
func (w *Worker) send(ctx context.Context, m sdk.Message) (sdk.Verdict, int, error) {
	s := w.Sink
	if dl, ok := sdk.As[sdk.Deliverer](s.Sink); ok {
		t0 := w.now()
		err := dl.Deliver(ctx, m)
		w.Metrics.Attempted(w.now().Sub(t0))
		return Classify(&sdk.Response{StatusCode: http.StatusOK}, err, w.now()), 0, err
	}
	out, err := s.Sink.Render(ctx, m)
	if err != nil {
		return Classify(nil, fmt.Errorf("render: %w", err), w.now()), 0, err
	}
	if s.TraceContext && w.Trace != nil {
		if out.Header == nil {
			out.Header = sdk.Header{}
		}
		w.Trace.Inject(ctx, out.Header)
	}
	t0 := w.now()
	resp, err := w.Sender.Send(ctx, out)
	w.Metrics.Attempted(w.now().Sub(t0))
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if in, ok := sdk.As[sdk.Interpreter](s.Sink); ok && err == nil {
		// The sink reads the answer and words the reason itself.
		return in.Interpret(ctx, out, resp), status, nil
	}
	v := Classify(resp, err, w.now())
	if v.Outcome != sdk.Success && resp != nil && len(resp.Body) > 0 {
		v.Reason += ": " + snippet(resp.Body)
	}
	return v, status, nil
}

// waitRate waits for the sink's rate limiter (like rate.Limiter.Wait),
// counting the waits it imposes.
func (w *Worker) waitRate(ctx context.Context) error {
	r := w.Sink.Limiter.Reserve()
	if !r.OK() {
		return errors.New("rate limit: no burst")
	}
	delay := r.Delay()
	if delay <= 0 {
		return nil
	}
	w.Metrics.RateLimited(delay)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// TransformErrorKind classifies a transform's error for metrics: a
// deadline (an error that is context.DeadlineExceeded or says Timeout()),
// a result that is not a message (an error that says InvalidOutput()),
// else an exception.
func TransformErrorKind(err error) telemetry.ErrorKind {
	var to interface{ Timeout() bool }
	var io interface{ InvalidOutput() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &to) && to.Timeout():
		return telemetry.Timeout
	case errors.As(err, &io) && io.InvalidOutput():
		return telemetry.InvalidOutput
	}
	return telemetry.Exception
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
