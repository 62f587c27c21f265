package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/sdk"
)

// Sender sends one outbound request (delivery.Client in the engine).
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
	Policy      delivery.Policy
	Concurrency int
	Ordered     bool
	// Limiter paces requests to the destination; nil means no limit.
	Limiter *rate.Limiter
	// Breaker opens after consecutive retryable failures; while it is
	// open the sink's consumption is held. nil means no breaker.
	Breaker *gobreaker.CircuitBreaker[struct{}]
	Stats   Stats
}

// Stats counts settled deliveries of one sink.
type Stats struct {
	Delivered atomic.Int64 // events fully delivered
	Retried   atomic.Int64 // attempts that will be tried again
	Failed    atomic.Int64 // events given up (permanent or out of attempts)
}

// Pipeline is a source, its transforms and its sinks, wired to a queue.
type Pipeline struct {
	Name       string
	SourceType string
	Source     sdk.Source
	Transforms []sdk.Transform
	Sinks      []*Sink
	// Events lists the event-type patterns the pipeline accepts ("push",
	// "pull_request.*"); others are answered 200 and stored nowhere.
	Events []string
	Queue  queue.Queue
	Sender Sender
	Log    *slog.Logger
	// Now and Rand are the clock and jitter source; nil means the real ones.
	Now  func() time.Time
	Rand func() float64
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Methods lists the HTTP methods the source accepts.
func (p *Pipeline) Methods() []string {
	if ml, ok := sdk.As[sdk.MethodLister](p.Source); ok {
		return ml.Methods()
	}
	return []string{http.MethodPost}
}

// Consumers declares the queue consumers of this pipeline: one per sink.
func (p *Pipeline) Consumers() []queue.Consumer {
	out := make([]queue.Consumer, len(p.Sinks))
	for i, s := range p.Sinks {
		out[i] = queue.Consumer{Name: s.Name, MaxInFlight: s.Concurrency, Ordered: s.Ordered}
	}
	return out
}

type accepted struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Serve is the ingress side: the source checks the request; an event is
// stored before the sender gets its 2xx.
func (p *Pipeline) Serve(ctx context.Context, req *sdk.Request) *sdk.Response {
	rec, err := p.Source.Receive(ctx, req)
	if err != nil {
		var rej *sdk.RejectError
		if errors.As(err, &rej) {
			p.Log.Warn("request rejected", "pipeline", p.Name, "status", rej.Status, "reason", err.Error(), "remote", req.RemoteAddr)
			return jsonResponse(rej.Status, map[string]string{"error": rej.Public})
		}
		p.Log.Error("source failed", "pipeline", p.Name, "error", err, "remote", req.RemoteAddr)
		return jsonResponse(http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
	ev := rec.Event
	if ev == nil {
		if rec.Reply != nil {
			return rec.Reply
		}
		return &sdk.Response{StatusCode: http.StatusNoContent}
	}
	if !p.wants(ev.Type) {
		p.Log.Debug("event type filtered out", "pipeline", p.Name, "type", ev.Type, "event_id", ev.ID)
		return jsonResponse(http.StatusOK, map[string]string{"status": "ignored", "type": ev.Type})
	}
	ev.Pipeline = p.Name
	if ev.Source == "" {
		ev.Source = p.SourceType
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = req.ReceivedAt
	}
	dup, err := p.Queue.Publish(ctx, ev)
	if err != nil {
		p.Log.Error("event not stored; sender told to retry", "pipeline", p.Name, "event_id", ev.ID, "error", err)
		r := jsonResponse(http.StatusServiceUnavailable, map[string]string{"error": "unavailable, retry later"})
		r.Header.Set("retry-after", "5")
		return r
	}
	if dup {
		// Already stored within the de-duplication window: acknowledge
		// again, deliver nothing new.
		p.Log.Info("duplicate event acknowledged, not delivered again", "pipeline", p.Name, "event_id", ev.ID)
		return jsonResponse(http.StatusOK, accepted{ID: ev.ID, Duplicate: true})
	}
	p.Log.Debug("event accepted", "pipeline", p.Name, "event_id", ev.ID, "type", ev.Type, "bytes", len(ev.Body))
	if rec.Reply != nil {
		return rec.Reply
	}
	return jsonResponse(http.StatusAccepted, accepted{ID: ev.ID})
}

// wants reports whether an event type passes the pipeline's filter.
func (p *Pipeline) wants(typ string) bool {
	if len(p.Events) == 0 {
		return true
	}
	for _, pat := range p.Events {
		if ok, _ := path.Match(pat, typ); ok {
			return true
		}
	}
	return false
}

func jsonResponse(status int, v any) *sdk.Response {
	b, _ := json.Marshal(v)
	return &sdk.Response{StatusCode: status, Header: sdk.Header{"content-type": {"application/json"}}, Body: b}
}

// Run consumes every sink's deliveries until stop ends, then waits for the
// attempts in flight. Attempts run under work, which the caller cancels
// when the shutdown grace period is over.
func (p *Pipeline) Run(stop, work context.Context) error {
	errs := make(chan error, len(p.Sinks))
	for _, s := range p.Sinks {
		go func() {
			errs <- p.Queue.Consume(stop, p.Name, s.Name, s.Concurrency, func(_ context.Context, d queue.Delivery) {
				p.Handle(work, s, d)
			})
		}()
	}
	var err error
	for range p.Sinks {
		err = errors.Join(err, <-errs)
	}
	return err
}

// Handle processes one delivery for sink s, records the attempt and
// settles the delivery.
func (p *Pipeline) Handle(ctx context.Context, s *Sink, d queue.Delivery) {
	if !p.waitBreaker(ctx, s, d) {
		_ = d.Nak(0)
		return
	}
	ev := d.Event()
	start := p.now()
	var v sdk.Verdict
	var status int
	if s.Breaker != nil {
		_, _ = s.Breaker.Execute(func() (struct{}, error) {
			v, status = p.attempt(ctx, s, ev, d.ID())
			if v.Outcome == sdk.Retry {
				return struct{}{}, errors.New(v.Reason)
			}
			return struct{}{}, nil
		})
	} else {
		v, status = p.attempt(ctx, s, ev, d.ID())
	}
	dur := p.now().Sub(start)
	log := p.Log.With("pipeline", p.Name, "sink", s.Name, "event_id", ev.ID, "delivery", d.ID().String(), "attempt", d.Attempt())
	if v.Outcome != sdk.Success && ctx.Err() != nil {
		// Shutting down: this is not the destination's fault. Deliver
		// again soon (after a restart, with a durable queue).
		_ = d.Nak(0)
		return
	}
	a := queue.Attempt{At: start.UTC(), Duration: float64(dur.Microseconds()) / 1000, Status: status, Outcome: v.Outcome.String(), Reason: v.Reason}
	switch retry, delay := s.Policy.Next(v, d.Attempt(), p.Rand); {
	// History first, then the counters, then the queue: whoever sees a
	// count (a test, an operator) finds the record already written.
	case v.Outcome == sdk.Success:
		msg := "delivered"
		if v.Reason == reasonDropped {
			msg = reasonDropped
		}
		log.Info(msg, "duration", dur)
		p.record(ctx, d, a, queue.StateSucceeded, time.Time{})
		s.Stats.Delivered.Add(1)
		_ = d.Ack()
	case retry:
		log.Warn("attempt failed; will retry", "reason", v.Reason, "retry_in", delay.Round(time.Millisecond), "duration", dur)
		p.record(ctx, d, a, queue.StateRetrying, start.Add(delay))
		s.Stats.Retried.Add(1)
		_ = d.Nak(delay)
	default:
		why := "permanent failure"
		if v.Outcome == sdk.Retry {
			why = fmt.Sprintf("out of attempts (%d)", s.Policy.MaxAttempts)
		}
		log.Error("delivery failed: "+why+"; dead-lettered", "reason", v.Reason, "duration", dur)
		p.record(ctx, d, a, queue.StateDead, time.Time{})
		s.Stats.Failed.Add(1)
		_ = d.Term(v.Reason)
	}
}

// waitBreaker holds the delivery while the sink's breaker is open, so a
// destination that is down is not hammered and attempts are not burnt.
// It reports false when ctx ended first.
func (p *Pipeline) waitBreaker(ctx context.Context, s *Sink, d queue.Delivery) bool {
	if s.Breaker == nil {
		return true
	}
	for s.Breaker.State() == gobreaker.StateOpen {
		_ = d.InProgress()
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
	}
	return true
}

// record adds the attempt to the delivery's history. History is for
// people; failing to write it never fails the delivery.
func (p *Pipeline) record(ctx context.Context, d queue.Delivery, a queue.Attempt, state string, next time.Time) {
	if p.Queue == nil {
		return
	}
	h := p.Queue.History()
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
	r.State, r.NextAttempt, r.Updated = state, next, p.now().UTC()
	if err := h.Put(ctx, r); err != nil {
		p.Log.Warn("history not recorded", "delivery", id.String(), "error", err)
	}
}

const reasonDropped = "dropped by transform"

// attempt runs the transforms and delivers every resulting message. A
// split event that fails part-way is retried whole: delivery is at least
// once.
func (p *Pipeline) attempt(ctx context.Context, s *Sink, ev *sdk.Event, id queue.DeliveryID) (sdk.Verdict, int) {
	msgs := []sdk.Message{sdk.MessageFromEvent(ev)}
	var err error
	for _, chain := range [][]sdk.Transform{p.Transforms, s.Transforms} {
		if msgs, err = runChain(ctx, chain, msgs); err != nil {
			return delivery.Classify(nil, fmt.Errorf("transform: %w", err), p.now()), 0
		}
	}
	if len(msgs) == 0 {
		return sdk.Verdict{Outcome: sdk.Success, Reason: reasonDropped}, 0
	}
	status := 0
	for i, m := range msgs {
		m.DeliveryID, m.Index = id.String(), i
		v, st := p.deliver(ctx, s, m)
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

func (p *Pipeline) deliver(ctx context.Context, s *Sink, m sdk.Message) (sdk.Verdict, int) {
	if s.Limiter != nil {
		if err := s.Limiter.Wait(ctx); err != nil {
			return sdk.Verdict{Outcome: sdk.Retry, Reason: "rate limit wait: " + err.Error()}, 0
		}
	}
	if dl, ok := sdk.As[sdk.Deliverer](s.Sink); ok {
		return delivery.Classify(&sdk.Response{StatusCode: http.StatusOK}, dl.Deliver(ctx, m), p.now()), 0
	}
	out, err := s.Sink.Render(ctx, m)
	if err != nil {
		return delivery.Classify(nil, fmt.Errorf("render: %w", err), p.now()), 0
	}
	resp, err := p.Sender.Send(ctx, out)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if in, ok := sdk.As[sdk.Interpreter](s.Sink); ok && err == nil {
		// The sink reads the answer and words the reason itself.
		return in.Interpret(ctx, out, resp), status
	}
	v := delivery.Classify(resp, err, p.now())
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
