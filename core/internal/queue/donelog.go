package queue

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The delivered log. Most deliveries succeed at their first attempt, and
// their record is then final: written once, read rarely (a list, a
// lookup by id, the settled check after a crash). As one key each in the
// history bucket they cost a store write per event (13% of the CPU of a
// delivery with the JS mapping: the same binary with the write left out
// delivered 1.13× as many events at 0.87× the CPU) and nats-server's
// memory for every key kept (its subject index and per-message expiry:
// about 180 B a record for delivered_retention). So those records go to a
// stream of their own instead, many records to a message, under one
// subject per sink and range of event sequences (4,096): written together
// by a group committer (up to doneWriters writes out at once; what
// arrives while they are out goes in the next), expired by the stream's
// age limit (delivered_retention), and found by id by reading the
// messages of one subject. Every other record (retrying, dead, a replay,
// a success after failures) stays in the bucket, and a record there wins
// over one in the log (only a replay writes one after). A write the log
// refuses goes to the bucket instead (jsHistory.Put).

// StreamDelivered holds the records of deliveries that succeeded at their
// first attempt (a JSON array of records per message).
const StreamDelivered = "HOOKFERRY_DELIVERED"

const (
	subjDelivered = "hookferry.delivered."
	// doneSeqs is how many event sequences share a subject of the log.
	doneSeqs = 4096
	// doneMax and doneMaxBytes bound one message of the log.
	doneMax      = 512
	doneMaxBytes = 256 << 10
	// doneWriters is how many writes of the log may be out at once: a
	// record waits for a free writer, not for the write before it.
	doneWriters = 4
	// doneWriteTimeout bounds one write of the log.
	doneWriteTimeout = 30 * time.Second
)

// firstSuccess says whether r goes to the delivered log: a delivery that
// succeeded at its first attempt, not a replay.
func firstSuccess(r *Record) bool {
	return r.State == StateSucceeded && r.AttemptCount == 1 && r.Replays == 0
}

// doneSubject is the log subject of a delivery's record.
func doneSubject(id DeliveryID) string {
	return subjDelivered + id.Pipeline + "." + id.Sink + "." + strconv.FormatUint(id.Seq/doneSeqs, 10)
}

// doneLog writes records to the delivered log in groups.
type doneLog struct {
	q        *JetStream
	maxBytes int // of one message: doneMaxBytes, less if the server takes less
	mu       sync.Mutex
	pending  []*doneReq
	closed   bool
	wake     chan struct{}
	stop     chan struct{}
	writers  sync.WaitGroup
	once     sync.Once
}

type doneReq struct {
	subj string
	rec  []byte
	err  chan error
}

func newDoneLog(q *JetStream) *doneLog {
	l := &doneLog{q: q, maxBytes: doneMaxBytes, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	if limit := int(q.nc.MaxPayload()) - 4096; limit < l.maxBytes {
		l.maxBytes = max(limit, 1024)
	}
	for range doneWriters {
		l.writers.Go(l.run)
	}
	return l
}

// put stores one record (JSON) and returns once the log holds it.
func (l *doneLog) put(ctx context.Context, id DeliveryID, rec []byte) error {
	req := &doneReq{subj: doneSubject(id), rec: rec, err: make(chan error, 1)}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.pending = append(l.pending, req)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	select {
	case err := <-req.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *doneLog) run() {
	for {
		select {
		case <-l.wake:
		case <-l.stop:
			l.fail(ErrClosed)
			return
		}
		// Whatever arrived while the writes were out goes in the next
		// one: no waiting for company, so a quiet sink pays one write.
		// Records arriving meanwhile wake another writer.
		for {
			l.mu.Lock()
			batch := l.pending
			l.pending = nil
			l.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			l.write(batch)
		}
	}
}

// fail answers every waiting record with err and refuses new ones.
func (l *doneLog) fail(err error) {
	l.mu.Lock()
	l.closed = true
	batch := l.pending
	l.pending = nil
	l.mu.Unlock()
	for _, r := range batch {
		r.err <- err
	}
}

// close stops the committer; records waiting get ErrClosed. Idempotent.
func (l *doneLog) close() {
	l.once.Do(func() { close(l.stop) })
	l.writers.Wait()
}

// write stores a batch: one message per subject and bounded chunk.
func (l *doneLog) write(batch []*doneReq) {
	bySubj := map[string][]*doneReq{}
	var order []string
	for _, r := range batch {
		if _, ok := bySubj[r.subj]; !ok {
			order = append(order, r.subj)
		}
		bySubj[r.subj] = append(bySubj[r.subj], r)
	}
	for _, subj := range order {
		reqs := bySubj[subj]
		for len(reqs) > 0 {
			n, size := 0, 2
			for n < len(reqs) && n < doneMax && (n == 0 || size+len(reqs[n].rec)+1 <= l.maxBytes) {
				size += len(reqs[n].rec) + 1
				n++
			}
			err := l.publish(subj, reqs[:n], size)
			for _, r := range reqs[:n] {
				r.err <- err
			}
			reqs = reqs[n:]
		}
	}
}

func (l *doneLog) publish(subj string, reqs []*doneReq, size int) error {
	data := make([]byte, 0, size)
	data = append(data, '[')
	for i, r := range reqs {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, r.rec...)
	}
	data = append(data, ']')
	msg := nats.NewMsg(subj)
	msg.Data = data
	ctx, cancel := context.WithTimeout(context.Background(), doneWriteTimeout)
	defer cancel()
	// A store that fails while this waits never answers.
	ctx, done := l.q.health.bind(ctx)
	defer done()
	_, err := l.q.js.PublishMsg(ctx, msg)
	return err
}

// readOrdered hands fn every message of stream on filter (a subject,
// wildcards allowed) from start on (zero: all), in order, up to the
// stream's sequence last (0: whatever is stored when it starts),
// fetched up to batch at a time, until fn says stop. It reads through
// one ephemeral consumer of its own, deleted at the end (an ordered
// consumer makes a new one on the server for every fetch and leaves the
// last for minutes).
func (q *JetStream) readOrdered(ctx context.Context, stream string, batch int, filter string, start time.Time, last uint64, headersOnly bool, fn func(m jetstream.Msg, meta *jetstream.MsgMetadata) (more bool)) error {
	cfg := jetstream.ConsumerConfig{
		FilterSubject: filter, AckPolicy: jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute, MemoryStorage: true, HeadersOnly: headersOnly,
	}
	if !start.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := q.js.CreateConsumer(ctx, stream, cfg)
	if err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = q.js.DeleteConsumer(dctx, stream, cons.CachedInfo().Name)
	}()
	if cons.CachedInfo().NumPending == 0 {
		return nil
	}
	for {
		msgs, err := cons.FetchNoWait(batch)
		if err != nil {
			return err
		}
		n := 0
		for m := range msgs.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return err
			}
			if !fn(m, meta) || meta.NumPending == 0 || last > 0 && meta.Sequence.Stream >= last {
				return nil
			}
		}
		if err := msgs.Error(); err != nil {
			return err
		}
		if n == 0 {
			// What was pending expired meanwhile.
			return ctx.Err()
		}
	}
}

// readDone calls fn with every record in the delivered log's messages on
// subject filter (a wildcard allowed), from start on (zero: all), up to
// the log's sequence last (0: what is stored), with when the log stored
// it; fn returning false stops the read.
func (q *JetStream) readDone(ctx context.Context, filter string, start time.Time, last uint64, fn func(r *Record, stored time.Time) bool) error {
	// Up to 256 KiB a message: a few at a time.
	return q.readOrdered(ctx, StreamDelivered, 64, filter, start, last, false, func(m jetstream.Msg, meta *jetstream.MsgMetadata) bool {
		var recs []*Record
		if err := json.Unmarshal(m.Data(), &recs); err != nil {
			q.log.Warn("queue: a message of the delivered log cannot be read; skipped", "seq", meta.Sequence.Stream, "error", err)
			return true
		}
		for _, r := range recs {
			if !fn(r, meta.Timestamp) {
				return false
			}
		}
		return true
	})
}

// getDone finds a delivery's record in the delivered log (the last one
// written, if it was written twice); nil when it has none, or when the
// log's stream is gone (an external server's, deleted by hand: records
// are then written to the bucket, see Put).
func (q *JetStream) getDone(ctx context.Context, id DeliveryID) (*Record, error) {
	want := id.String()
	var found *Record
	err := q.readDone(ctx, doneSubject(id), time.Time{}, 0, func(r *Record, _ time.Time) bool {
		if r.ID == want {
			found = r
		}
		return true
	})
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return found, nil
}

// keyFilter selects a list filter's pipeline and sink among names of
// the form PIPELINE.SINK.X: the bucket's keys (X a sequence) and, after
// subjDelivered, the delivered log's subjects (X a range of them).
func keyFilter(f Filter) string {
	switch {
	case f.Pipeline != "" && f.Sink != "":
		return f.Pipeline + "." + f.Sink + ".*"
	case f.Pipeline != "":
		return f.Pipeline + ".>"
	}
	return ">"
}
