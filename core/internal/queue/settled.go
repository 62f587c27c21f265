package queue

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Duplicates after kill -9. NATS acknowledges an ack at once but writes a
// consumer's ack state to disk at most ten times a second, so a process
// killed with SIGKILL forgets its last ~100ms of acks and, after the
// restart, delivers those events again (about 2% of events at 200/s with
// a kill every few seconds). DoubleAck does not help: the server confirms
// the ack before it is on disk; so deliveries are acked with a plain Ack
// (no round trip), and a lost ack is caught here like a forgotten one.
//
// The delivery's record is: it is written to the history bucket or the
// delivered log (a JetStream write, on disk before it is confirmed)
// before the ack. So a
// delivery that may have been settled by an earlier process, or by an
// earlier attempt, is looked up first, and one whose record says
// succeeded (or dead) is settled again without being handed out.
//
// Only events stored before this process opened the queue, and
// redeliveries (attempt > 1), are looked up: new events in steady state
// cost nothing. Replays are never skipped: an operator asked for them.
//
// A backlog found at open is mostly events never attempted: looking each
// one up (a store round trip that finds nothing) made such a backlog
// drain at a third of the steady rate. So at open the history records
// written in the last SettledWindow before the previous process stopped
// are read once, in one sequential pass, and a first delivery of an old
// event is checked against that set instead. An ack older than the
// window was persisted long ago (NATS writes ack state within ~100 ms),
// so an older record cannot be hiding a forgotten ack.

// SettledWindow is how far back from the newest history record the
// settled set is read at open: a hundred times the interval at which
// NATS persists acks.
const SettledWindow = 10 * time.Second

// settledReadTimeout bounds the read of that tail; if it fails or takes
// longer, every old event is looked up one by one, as before.
const settledReadTimeout = 30 * time.Second

// loadSettled reads the history records written in the last
// SettledWindow (up to the bucket's last record at open, and the
// delivered log's) into q.recentSettled: delivery id -> state, for
// succeeded and dead only.
func (q *JetStream) loadSettled(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, settledReadTimeout)
	defer cancel()
	set := map[string]string{}
	// First-attempt successes, from the delivered log's tail; a bucket
	// record of the same delivery (read next) is the newer.
	ds, err := q.js.Stream(ctx, StreamDelivered)
	if err != nil {
		return err
	}
	if di := ds.CachedInfo().State; di.Msgs > 0 {
		err := q.readDone(ctx, subjDelivered+">", di.LastTime.Add(-SettledWindow), di.LastSeq, func(r *Record, _ time.Time) bool {
			set[r.ID] = StateSucceeded
			return true
		})
		if err != nil {
			return err
		}
	}
	st, err := q.js.Stream(ctx, "KV_"+BucketDeliveries)
	if err != nil {
		return err
	}
	info := st.CachedInfo().State
	if info.Msgs == 0 || info.LastSeq == 0 {
		q.recentSettled = set
		return nil
	}
	from := info.LastTime.Add(-SettledWindow)
	prefix := "$KV." + BucketDeliveries + "."
	err = q.readOrdered(ctx, "KV_"+BucketDeliveries, 1024, prefix+">", from, info.LastSeq, false, func(m jetstream.Msg, meta *jetstream.MsgMetadata) bool {
		key := strings.TrimPrefix(m.Subject(), prefix)
		var r struct {
			State string `json:"state"`
		}
		if op := m.Headers().Get("KV-Operation"); op != "" || json.Unmarshal(m.Data(), &r) != nil ||
			r.State != StateSucceeded && r.State != StateDead {
			delete(set, key) // deleted, purged, or not settled (a later retry)
		} else {
			set[key] = r.State
		}
		return true // up to the last record at open (or all there is)
	})
	if err != nil {
		return err
	}
	q.recentSettled = set
	return nil
}

// settledBefore reports (and settles again) a delivery whose record says
// it was already delivered or dead-lettered.
func (q *JetStream) settledBefore(ctx context.Context, d *jsDelivery) bool {
	if q.noSettledCheck || d.replayed || (d.id.Seq > q.startSeq && d.attempt <= 1) {
		return false
	}
	if d.attempt <= 1 && q.recentSettled != nil {
		switch q.recentSettled[d.id.String()] {
		case "":
			return false // not settled lately: its ack, if any, was kept
		case StateSucceeded:
			q.log.Debug("queue: already delivered before a restart; not sent again", "delivery", d.id.String())
			_ = d.Ack()
			return true
		}
		// Dead: the record has the reason to terminate it with.
	}
	r, err := q.History().Get(ctx, d.id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			// Handed out before but never attempted: pulled ahead and
			// handed back at a stop or a reload. The server counted
			// those hand-backs as deliveries; they are no attempts.
			d.attempt = 1
		}
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
	// Retrying: the attempts so far are the record's, not the server's
	// count of deliveries, which hand-backs raise too.
	if r.AttemptCount > 0 {
		d.attempt = r.AttemptCount + 1
	}
	return false
}
