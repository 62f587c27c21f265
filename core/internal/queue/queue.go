package queue

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// ErrFull means the queue cannot take the event now; the sender should
// try again later (ingress answers 503).
var ErrFull = errors.New("queue: full")

// ErrClosed means the queue has been closed.
var ErrClosed = errors.New("queue: closed")

// ErrNotFound means no such delivery or event is stored (any more).
var ErrNotFound = errors.New("queue: not found")

// Consumer declares one consumer of a pipeline: a sink.
type Consumer struct {
	Name string
	// MaxInFlight bounds deliveries being handled at once (the sink's
	// concurrency). A durable queue may hand out as many again ahead of
	// time, so that a worker that settles one finds the next waiting.
	MaxInFlight int
	// Ordered delivers one at a time in arrival order; a failing head
	// blocks the ones behind it.
	Ordered bool
}

// Queue stores accepted events and hands them to consumers.
type Queue interface {
	// Declare makes ready the storage for a pipeline and its consumers.
	// It is called for every pipeline before Publish or Consume.
	Declare(ctx context.Context, pipeline string, consumers []Consumer) error
	// Publish stores ev under ev.Pipeline for every consumer of that
	// pipeline. When it returns nil the event is the queue's to keep.
	// duplicate reports an event whose id was already stored within the
	// de-duplication window: it is acknowledged and not delivered again.
	Publish(ctx context.Context, ev *sdk.Event) (duplicate bool, err error)
	// Consume hands deliveries of (pipeline, consumer) to h, at most
	// concurrency at a time, until ctx ends or the queue closes; then it
	// waits for running handlers and returns.
	Consume(ctx context.Context, pipeline, consumer string, concurrency int, h Handler) error
	// Replay delivers a stored event again to one consumer, through the
	// current transforms and sink.
	Replay(ctx context.Context, id DeliveryID) error
	// History is where delivery records are kept.
	History() History
	// Depth counts a consumer's deliveries not yet settled: waiting for a
	// first attempt, and handed out (being attempted, or waiting to retry).
	Depth(ctx context.Context, pipeline, consumer string) (Depth, error)
	// Close stops the queue.
	Close(ctx context.Context) error
}

// Handler processes one delivery and must settle it (Ack, Nak or Term).
type Handler func(ctx context.Context, d Delivery)

// Delivery is one event handed to one consumer.
type Delivery interface {
	Event() *sdk.Event
	// ID names the (event, consumer) pair; it is the same on every
	// attempt and on replays.
	ID() DeliveryID
	// Attempt is the number of this attempt of the event by this
	// consumer since it was published or replayed, from 1. A durable
	// queue takes it from the delivery's history record when the event
	// was handed out before, so deliveries handed back unattempted (at a
	// stop, a reload, or pulled ahead) spend no attempt.
	Attempt() int
	// Replayed reports a delivery that an operator asked for again.
	Replayed() bool
	// Ack: done, never deliver again.
	Ack() error
	// Nak: deliver again after delay.
	Nak(delay time.Duration) error
	// Term: give up on this event for this consumer.
	Term(reason string) error
	// InProgress: still working on it; do not deliver it again yet.
	InProgress() error
}

// Depth is a consumer's backlog.
type Depth struct {
	Pipeline string `json:"pipeline"`
	Sink     string `json:"sink"`
	// Pending events wait for their first attempt.
	Pending uint64 `json:"pending"`
	// InFlight deliveries are being attempted or wait for a retry.
	InFlight uint64 `json:"in_flight"`
	// Dead counts the consumer's dead letters still kept.
	Dead uint64 `json:"dead"`
	// Oldest is when the oldest delivery not yet settled (pending or in
	// flight) was stored; zero when there is none.
	Oldest time.Time `json:"oldest,omitzero"`
}

// DeliveryID is "PIPELINE.SINK.SEQ": the pipeline and sink names and the
// event's sequence number in the store.
type DeliveryID struct {
	Pipeline string
	Sink     string
	Seq      uint64
}

func (d DeliveryID) String() string {
	return d.Pipeline + "." + d.Sink + "." + strconv.FormatUint(d.Seq, 10)
}

// ParseDeliveryID reads "PIPELINE.SINK.SEQ".
func ParseDeliveryID(s string) (DeliveryID, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return DeliveryID{}, errors.New("a delivery id looks like PIPELINE.SINK.SEQ")
	}
	seq, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil || seq == 0 {
		return DeliveryID{}, errors.New("a delivery id ends with a positive sequence number")
	}
	return DeliveryID{Pipeline: parts[0], Sink: parts[1], Seq: seq}, nil
}

// Delivery states.
const (
	StateDelivering = "delivering"
	StateRetrying   = "retrying"
	StateSucceeded  = "succeeded"
	StateDead       = "dead"
)

// Attempt is one try to deliver, as recorded in history. It never holds
// secrets: no URL, no request headers, only a bounded response snippet.
type Attempt struct {
	At       time.Time `json:"at"`
	Duration float64   `json:"duration_ms"`
	Status   int       `json:"status,omitempty"`
	Outcome  string    `json:"outcome"`
	Reason   string    `json:"reason,omitempty"`
}

// MaxAttemptsKept bounds the attempts a record keeps (the newest).
const MaxAttemptsKept = 50

// Record is the state and history of one delivery.
type Record struct {
	ID        string    `json:"id"`
	Pipeline  string    `json:"pipeline"`
	Sink      string    `json:"sink"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type,omitempty"`
	Seq       uint64    `json:"seq"`
	State     string    `json:"state"`
	Attempts  []Attempt `json:"attempts"`
	// AttemptCount counts every attempt, also those no longer kept.
	AttemptCount int       `json:"attempt_count"`
	NextAttempt  time.Time `json:"next_attempt,omitzero"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	Replays      int       `json:"replays,omitempty"`
}

// AddAttempt appends a, keeping the newest MaxAttemptsKept.
func (r *Record) AddAttempt(a Attempt) {
	r.AttemptCount++
	r.Attempts = append(r.Attempts, a)
	if n := len(r.Attempts); n > MaxAttemptsKept {
		r.Attempts = append(r.Attempts[:0:0], r.Attempts[n-MaxAttemptsKept:]...)
	}
}

// Filter selects records.
type Filter struct {
	State    string
	Pipeline string
	Sink     string
	// Since keeps records updated at or after it; zero keeps all.
	Since time.Time
	// Limit bounds the result; 0 means 1000.
	Limit int
}

// Match reports whether r passes f.
func (f Filter) Match(r *Record) bool {
	return (f.State == "" || r.State == f.State) &&
		(f.Pipeline == "" || r.Pipeline == f.Pipeline) &&
		(f.Sink == "" || r.Sink == f.Sink) &&
		(f.Since.IsZero() || !r.Updated.Before(f.Since))
}

// History stores delivery records.
type History interface {
	Get(ctx context.Context, id DeliveryID) (*Record, error)
	Put(ctx context.Context, r *Record) error
	List(ctx context.Context, f Filter) ([]*Record, error)
}
