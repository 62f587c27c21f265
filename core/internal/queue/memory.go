package queue

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hookbridge/hookbridge/sdk"
)

// DefaultMemoryCapacity bounds the events waiting per consumer.
const DefaultMemoryCapacity = 10000

// Memory is an in-process queue. Events are lost when the process stops.
type Memory struct {
	capacity int
	mu       sync.Mutex
	closed   bool
	streams  map[string][]*memConsumer // pipeline -> consumers
	byName   map[string]*memConsumer   // pipeline/consumer
}

// NewMemory returns a queue holding at most capacity waiting events per
// consumer (DefaultMemoryCapacity when capacity <= 0).
func NewMemory(capacity int) *Memory {
	if capacity <= 0 {
		capacity = DefaultMemoryCapacity
	}
	return &Memory{capacity: capacity, streams: map[string][]*memConsumer{}, byName: map[string]*memConsumer{}}
}

var _ Queue = (*Memory)(nil)

type memConsumer struct {
	mu       sync.Mutex
	cond     *sync.Cond
	items    []*memDelivery
	capacity int
	closed   bool
	timers   map[*time.Timer]struct{}
}

type memDelivery struct {
	c       *memConsumer
	ev      *sdk.Event
	attempt int
	once    sync.Once
}

// Declare creates the consumers of a pipeline.
func (m *Memory) Declare(_ context.Context, pipeline string, consumers []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for _, name := range consumers {
		key := pipeline + "/" + name
		if _, ok := m.byName[key]; ok {
			continue
		}
		c := &memConsumer{capacity: m.capacity, timers: map[*time.Timer]struct{}{}}
		c.cond = sync.NewCond(&c.mu)
		m.byName[key] = c
		m.streams[pipeline] = append(m.streams[pipeline], c)
	}
	return nil
}

// Publish adds ev to every consumer of its pipeline, or to none: when any
// consumer is full the whole publish fails with ErrFull.
func (m *Memory) Publish(_ context.Context, ev *sdk.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	cs, ok := m.streams[ev.Pipeline]
	if !ok {
		return fmt.Errorf("queue: pipeline %q was not declared", ev.Pipeline)
	}
	// Holding m.mu keeps other publishers out; consumers only shrink their
	// queues and naks may grow them, which capacity tolerates.
	for _, c := range cs {
		c.mu.Lock()
		full := len(c.items) >= c.capacity
		c.mu.Unlock()
		if full {
			return ErrFull
		}
	}
	for _, c := range cs {
		c.push(&memDelivery{c: c, ev: ev, attempt: 1})
	}
	return nil
}

func (c *memConsumer) push(d *memDelivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.items = append(c.items, d)
	c.cond.Signal()
}

// next blocks until a delivery is ready or the consumer closes.
func (c *memConsumer) next() (*memDelivery, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.items) == 0 && !c.closed {
		c.cond.Wait()
	}
	if c.closed {
		return nil, false
	}
	d := c.items[0]
	c.items[0] = nil
	c.items = c.items[1:]
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
	if concurrency < 1 {
		concurrency = 1
	}
	stop := context.AfterFunc(ctx, c.close)
	defer stop()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				d, ok := c.next()
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

func (d *memDelivery) settle(f func()) error {
	done := false
	d.once.Do(func() { f(); done = true })
	if !done {
		return fmt.Errorf("queue: delivery of %s already settled", d.ev.ID)
	}
	return nil
}

// Ack finishes the delivery.
func (d *memDelivery) Ack() error { return d.settle(func() {}) }

// Term gives up on the delivery.
func (d *memDelivery) Term(string) error { return d.settle(func() {}) }

// Nak schedules the event again after delay.
func (d *memDelivery) Nak(delay time.Duration) error {
	return d.settle(func() {
		next := &memDelivery{c: d.c, ev: d.ev, attempt: d.attempt + 1}
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
		c.timers[t] = struct{}{}
	})
}
