package queue

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// DefaultMemoryCapacity bounds the events waiting per consumer, and the
// events and records kept for replay and history.
const DefaultMemoryCapacity = 10000

// Memory is an in-process queue. Everything is lost when the process
// stops; it exists for tests and as the baseline durable storage is
// measured against.
type Memory struct {
	capacity int
	mu       sync.Mutex
	closed   bool
	seq      uint64
	streams  map[string][]*memConsumer // pipeline -> consumers
	byName   map[string]*memConsumer   // pipeline/consumer
	events   map[uint64]*sdk.Event     // for replay, bounded
	ids      map[string]uint64         // pipeline/event id -> seq, for dedup
	history  *memHistory
}

// NewMemory returns a queue holding at most capacity waiting events per
// consumer (DefaultMemoryCapacity when capacity <= 0).
func NewMemory(capacity int) *Memory {
	if capacity <= 0 {
		capacity = DefaultMemoryCapacity
	}
	return &Memory{
		capacity: capacity, streams: map[string][]*memConsumer{}, byName: map[string]*memConsumer{},
		events: map[uint64]*sdk.Event{}, ids: map[string]uint64{},
		history: &memHistory{records: map[DeliveryID]*Record{}, limit: capacity, idx: newIndex(), dead: map[string]uint64{}},
	}
}

var _ Queue = (*Memory)(nil)

type memConsumer struct {
	pipeline, name string
	mu             sync.Mutex
	cond           *sync.Cond
	items          []*memDelivery
	capacity       int
	closed         bool
	timers         map[*time.Timer]*memDelivery // waiting to be retried
	out            map[*memDelivery]struct{}    // handed out, not settled
}

type memDelivery struct {
	c        *memConsumer
	ev       *sdk.Event
	seq      uint64
	attempt  int
	replayed bool
	stored   time.Time // when the event was published or replayed
	once     sync.Once
}

// Declare creates the consumers of a pipeline.
func (m *Memory) Declare(_ context.Context, pipeline string, consumers []Consumer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for _, cs := range consumers {
		key := pipeline + "/" + cs.Name
		if _, ok := m.byName[key]; ok {
			continue
		}
		c := &memConsumer{pipeline: pipeline, name: cs.Name, capacity: m.capacity, timers: map[*time.Timer]*memDelivery{}, out: map[*memDelivery]struct{}{}}
		c.cond = sync.NewCond(&c.mu)
		m.byName[key] = c
		m.streams[pipeline] = append(m.streams[pipeline], c)
	}
	return nil
}

// Publish adds ev to every consumer of its pipeline, or to none: when any
// consumer is full the whole publish fails with ErrFull.
func (m *Memory) Publish(_ context.Context, ev *sdk.Event) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, ErrClosed
	}
	cs, ok := m.streams[ev.Pipeline]
	if !ok {
		return false, fmt.Errorf("queue: pipeline %q was not declared", ev.Pipeline)
	}
	if _, dup := m.ids[ev.Pipeline+"/"+ev.ID]; dup {
		return true, nil
	}
	for _, c := range cs {
		c.mu.Lock()
		full := len(c.items) >= c.capacity
		c.mu.Unlock()
		if full {
			return false, ErrFull
		}
	}
	m.seq++
	m.events[m.seq] = ev
	m.ids[ev.Pipeline+"/"+ev.ID] = m.seq
	if old := m.seq - uint64(m.capacity); m.seq > uint64(m.capacity) {
		if e, ok := m.events[old]; ok {
			delete(m.ids, e.Pipeline+"/"+e.ID)
			delete(m.events, old)
		}
	}
	now := time.Now()
	for _, c := range cs {
		c.push(&memDelivery{c: c, ev: ev, seq: m.seq, attempt: 1, stored: now})
	}
	return false, nil
}

// Replay queues a stored event again for one consumer.
func (m *Memory) Replay(_ context.Context, id DeliveryID) error {
	ev, err := m.Event(context.Background(), id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	c := m.byName[id.Pipeline+"/"+id.Sink]
	m.mu.Unlock()
	c.push(&memDelivery{c: c, ev: ev, seq: id.Seq, attempt: 1, replayed: true, stored: time.Now()})
	return nil
}

// Depth counts waiting, handed-out and scheduled deliveries, and the
// consumer's dead letters.
func (m *Memory) Depth(_ context.Context, pipeline, consumer string) (Depth, error) {
	m.mu.Lock()
	c, ok := m.byName[pipeline+"/"+consumer]
	m.mu.Unlock()
	if !ok {
		return Depth{}, fmt.Errorf("%w: consumer %s/%s", ErrNotFound, pipeline, consumer)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := Depth{Pipeline: pipeline, Sink: consumer, Pending: uint64(len(c.items)), InFlight: uint64(len(c.out) + len(c.timers)), Dead: m.history.deadCount(pipeline, consumer)}
	oldest := func(md *memDelivery) {
		if d.Oldest.IsZero() || md.stored.Before(d.Oldest) {
			d.Oldest = md.stored
		}
	}
	for _, md := range c.items {
		oldest(md)
	}
	for md := range c.out {
		oldest(md)
	}
	for _, md := range c.timers {
		oldest(md)
	}
	return d, nil
}

// History returns the in-memory records.
func (m *Memory) History() History { return m.history }

func (c *memConsumer) push(d *memDelivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.items = append(c.items, d)
	c.cond.Signal()
}

// next blocks until a delivery is ready, or the consumer closes, or the
// Consume call that waits stops (*stopped, guarded by c.mu).
func (c *memConsumer) next(stopped *bool) (*memDelivery, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.items) == 0 && !c.closed && !*stopped {
		c.cond.Wait()
	}
	if c.closed || *stopped {
		return nil, false
	}
	d := c.items[0]
	c.items[0] = nil
	c.items = c.items[1:]
	c.out[d] = struct{}{}
	return d, true
}

func (c *memConsumer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for t := range c.timers {
		t.Stop()
	}
	c.cond.Broadcast()
}

// Consume runs h on the consumer's deliveries.
func (m *Memory) Consume(ctx context.Context, pipeline, consumer string, concurrency int, h Handler) error {
	m.mu.Lock()
	c, ok := m.byName[pipeline+"/"+consumer]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("queue: consumer %s/%s was not declared", pipeline, consumer)
	}
	// Ending ctx stops this call only: what waits (and the retries
	// scheduled) stays in the consumer for the next Consume (a worker
	// replaced by a config reload). Close ends the consumer itself.
	stopped := false
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		stopped = true
		c.mu.Unlock()
		c.cond.Broadcast()
	})
	defer stop()
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Go(func() {
			for {
				d, ok := c.next(&stopped)
				if !ok {
					return
				}
				h(ctx, d)
			}
		})
	}
	wg.Wait()
	return nil
}

// Close stops every consumer; waiting and scheduled events are dropped.
func (m *Memory) Close(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for _, c := range m.byName {
		c.close()
	}
	return nil
}

func (d *memDelivery) Event() *sdk.Event { return d.ev }
func (d *memDelivery) Attempt() int      { return d.attempt }
func (d *memDelivery) Replayed() bool    { return d.replayed }
func (d *memDelivery) ID() DeliveryID {
	return DeliveryID{Pipeline: d.c.pipeline, Sink: d.c.name, Seq: d.seq}
}

func (d *memDelivery) settle(f func()) error {
	done := false
	d.once.Do(func() {
		d.c.mu.Lock()
		delete(d.c.out, d)
		d.c.mu.Unlock()
		f()
		done = true
	})
	if !done {
		return fmt.Errorf("queue: delivery %s already settled", d.ID())
	}
	return nil
}

// InProgress does nothing: memory deliveries never time out.
func (d *memDelivery) InProgress() error { return nil }

// Ack finishes the delivery.
func (d *memDelivery) Ack() error { return d.settle(func() {}) }

// Term gives up on the delivery.
func (d *memDelivery) Term(string) error { return d.settle(func() {}) }

// Nak schedules the event again after delay.
func (d *memDelivery) Nak(delay time.Duration) error {
	return d.settle(func() {
		next := &memDelivery{c: d.c, ev: d.ev, seq: d.seq, attempt: d.attempt + 1, replayed: d.replayed, stored: d.stored}
		c := d.c
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			return
		}
		var t *time.Timer
		t = time.AfterFunc(delay, func() {
			c.mu.Lock()
			delete(c.timers, t)
			c.mu.Unlock()
			c.push(next)
		})
		c.timers[t] = next
	})
}

// memHistory keeps the newest records in memory; the oldest (by first
// write) are evicted in O(1).
type memHistory struct {
	mu      sync.Mutex
	records map[DeliveryID]*Record
	order   []DeliveryID // first-write order, for eviction
	limit   int
	idx     *index
	dead    map[string]uint64 // pipeline/sink -> dead records written, like JetStream's dead-letter stream
}

func (h *memHistory) deadCount(pipeline, sink string) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dead[pipeline+"/"+sink]
}

func (h *memHistory) Get(_ context.Context, id DeliveryID) (*Record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.records[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	c := *r
	c.Attempts = append([]Attempt(nil), r.Attempts...)
	return &c, nil
}

func (h *memHistory) Put(_ context.Context, r *Record) error {
	id, err := ParseDeliveryID(r.ID)
	if err != nil {
		return err
	}
	c := *r
	c.Attempts = append([]Attempt(nil), r.Attempts...)
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, known := h.records[id]; !known {
		h.order = append(h.order, id)
	}
	h.records[id] = &c
	if c.State == StateDead {
		h.dead[c.Pipeline+"/"+c.Sink]++
	}
	h.idx.put(Summarise(&c))
	for len(h.records) > h.limit && len(h.order) > 0 {
		delete(h.records, h.order[0])
		h.idx.remove(h.order[0].String())
		h.order = h.order[1:]
	}
	return nil
}

func (h *memHistory) List(_ context.Context, f Filter) ([]*Record, error) {
	h.mu.Lock()
	var out []*Record
	for _, r := range h.records {
		if f.Match(r) {
			c := *r
			out = append(out, &c)
		}
	}
	h.mu.Unlock()
	return limitSorted(out, f.Limit), nil
}

// limitSorted orders records by sequence (arrival) and applies a limit.
func limitSorted(rs []*Record, limit int) []*Record {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Seq != rs[j].Seq {
			return rs[i].Seq < rs[j].Seq
		}
		return rs[i].ID < rs[j].ID
	})
	if limit <= 0 {
		limit = 1000
	}
	if len(rs) > limit {
		rs = rs[len(rs)-limit:]
	}
	return rs
}
