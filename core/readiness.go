package core

import "github.com/hookferry/hookferry/core/internal/queue"

// queueReady asks the queue whether it stores events now: a full disk, a
// store that failed to write or an unreachable NATS make the engine not
// ready (/readyz), since every webhook would get 503.
func queueReady(q queue.Queue) error {
	if r, ok := q.(queue.Readiness); ok {
		return r.Ready()
	}
	return nil
}
