package queue

import (
	"context"
	"errors"
	"time"

	"github.com/hookbridge/hookbridge/sdk"
)

// ErrFull means the queue cannot take the event now; the sender should
// try again later (ingress answers 503).
var ErrFull = errors.New("queue: full")

// ErrClosed means the queue has been closed.
var ErrClosed = errors.New("queue: closed")

// Queue stores accepted events and hands them to consumers.
type Queue interface {
	// Declare makes ready the storage for a pipeline and one consumer per
	// name. It is called for every pipeline before Publish or Consume.
	Declare(ctx context.Context, pipeline string, consumers []string) error
	// Publish stores ev under ev.Pipeline for every consumer of that
	// pipeline. When it returns nil the event is the queue's to keep.
	Publish(ctx context.Context, ev *sdk.Event) error
	// Consume hands deliveries of (pipeline, consumer) to h, at most
	// concurrency at a time, until ctx ends or the queue closes; then it
	// waits for running handlers and returns.
	Consume(ctx context.Context, pipeline, consumer string, concurrency int, h Handler) error
	// Close stops the queue.
	Close(ctx context.Context) error
}

// Handler processes one delivery and must settle it (Ack, Nak or Term).
type Handler func(ctx context.Context, d Delivery)

// Delivery is one event handed to one consumer.
type Delivery interface {
	Event() *sdk.Event
	// Attempt counts deliveries of this event to this consumer, from 1.
	Attempt() int
	// Ack: done, never deliver again.
	Ack() error
	// Nak: deliver again after delay.
	Nak(delay time.Duration) error
	// Term: give up on this event for this consumer.
	Term(reason string) error
}
