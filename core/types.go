package core

import "github.com/hookferry/hookferry/core/internal/queue"

// The types the engine's API returns, for the CLI and other callers of
// the admin API to use as they are (the admin API serves them as JSON).
type (
	// Record is the state and history of one delivery.
	Record = queue.Record
	// Attempt is one try of a delivery, as recorded.
	Attempt = queue.Attempt
	// Depth is one sink's backlog.
	Depth = queue.Depth
	// Filter selects delivery records.
	Filter = queue.Filter
	// DeliveryID names a delivery: PIPELINE.SINK.SEQ.
	DeliveryID = queue.DeliveryID
)

// Delivery states.
const (
	StateDelivering = queue.StateDelivering
	StateRetrying   = queue.StateRetrying
	StateSucceeded  = queue.StateSucceeded
	StateDead       = queue.StateDead
)

// ParseDeliveryID reads "PIPELINE.SINK.SEQ".
func ParseDeliveryID(s string) (DeliveryID, error) { return queue.ParseDeliveryID(s) }
