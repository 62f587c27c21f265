package queue

import "context"

// Duplicates after kill -9. NATS acknowledges an ack at once but writes a
// consumer's ack state to disk at most ten times a second, so a process
// killed with SIGKILL forgets its last ~100ms of acks and, after the
// restart, delivers those events again (about 2% of events at 200/s with
// a kill every few seconds). DoubleAck does not help: the server confirms
// the ack before it is on disk; so deliveries are acked with a plain Ack
// (no round trip), and a lost ack is caught here like a forgotten one.
//
// The delivery's record is: it is written to the history bucket (a
// JetStream write, on disk before it is confirmed) before the ack. So a
// delivery that may have been settled by an earlier process, or by an
// earlier attempt, is looked up first, and one whose record says
// succeeded (or dead) is settled again without being handed out.
//
// Only events stored before this process opened the queue, and
// redeliveries (attempt > 1), are looked up: new events in steady state
// cost nothing. Replays are never skipped: an operator asked for them.

// settledBefore reports (and settles again) a delivery whose record says
// it was already delivered or dead-lettered.
func (q *JetStream) settledBefore(ctx context.Context, d *jsDelivery) bool {
	if q.noSettledCheck || d.replayed || (d.id.Seq > q.startSeq && d.attempt <= 1) {
		return false
	}
	r, err := q.History().Get(ctx, d.id)
	if err != nil {
		return false // no record (never attempted), or unreadable: deliver
	}
	switch r.State {
	case StateSucceeded:
		q.log.Debug("queue: already delivered before a restart; not sent again", "delivery", d.id.String())
		_ = d.Ack()
		return true
	case StateDead:
		reason := ""
		if n := len(r.Attempts); n > 0 {
			reason = r.Attempts[n-1].Reason
		}
		_ = d.Term(reason)
		return true
	}
	return false
}
